"""Malformed annotations name file:line; damaged checkpoints and cache entries fail cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.checkpoint.load import load_labeler
from pipeline.data.annotations import read_class_names, read_frame_labels
from pipeline.data.mstcn import read_ground_truth
from pipeline.errors import AnnotationError, CheckpointError, NotAVideoError, VideoNotFoundError
from pipeline.io import open_video

CLASSES = ["background", "walk", "café"]
DEFAULT_CKPT = Path(__file__).parents[2] / "pipeline" / "assets" / "default.ckpt"
GOOD = "start_frame,end_frame,label\n0,4,walk\n4,10,café\n"


def _read(path: Path, frames: int = 10) -> np.ndarray:
    return read_frame_labels(path, CLASSES, frames, np.arange(frames) / 25.0)


@pytest.mark.parametrize(
    "data",
    [GOOD.encode(), b"\xef\xbb\xbf" + GOOD.encode(), GOOD.replace("\n", "\r\n").encode()],
    ids=["utf-8", "bom", "crlf"],
)
def test_bom_and_crlf_read_like_plain_utf8(tmp_path, data):
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    assert _read(path).tolist() == [1] * 4 + [2] * 6


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (GOOD.encode("latin-1"), 3, "not UTF-8"),
        (GOOD.encode("utf-16"), 1, "UTF-16"),
        (GOOD.encode("utf-16-le"), 1, "NUL byte"),
        (b"", 1, "empty"),
        (GOOD + "10,99999999999999999999,walk\n", 4, "runs outside"),
        (GOOD + "-5,0,walk\n", 4, "runs outside"),
        (GOOD + "2,6,walk\n", 4, "overlaps the one on line 2"),
        (GOOD + "10,11,jog\n", 4, "unknown class 'jog'"),
        (GOOD + "10,x,walk\n", 4, "expected an integer"),
        (GOOD + "10," + "9" * 5000 + ",walk\n", 4, "expected an integer"),
        (GOOD + '10,11,"' + "x" * 200_000 + '"\n', 4, "not valid CSV"),
        ("frame,label\n0,walk\n-1,walk\n", 3, "frame -1"),
    ],
    ids=[
        "latin-1", "utf-16", "utf-16-no-bom", "empty", "huge", "negative", "overlap",
        "unknown", "not-a-number", "5000-digits", "huge-field", "negative-frame",
    ],
)  # fmt: skip
def test_malformed_csv_is_one_error_naming_file_and_line(tmp_path, data, line, words):
    path = tmp_path / "a.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(AnnotationError) as info:
        _read(path, 12)
    message = str(info.value)
    assert f"{path}:{line}:" in message and words in message
    assert "\n" not in message and len(message) < 400


def test_header_only_segments_file_labels_nothing(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("start_frame,end_frame,label\n")
    assert _read(path).tolist() == [-1] * 10


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("walk\nwalk\n".encode("utf-16"), 1),
        ("walk\ncafé\n".encode("latin-1"), 2),
        (b"walk\nwalk\x0cwalk\nwalk\n", 2),  # a form feed is no line end: one bad label
    ],
    ids=["utf-16", "latin-1", "form-feed"],
)
def test_malformed_mstcn_text_names_file_and_line(tmp_path, data, line):
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    with pytest.raises(AnnotationError, match=rf"v\.txt:{line}:"):
        read_ground_truth(path, CLASSES, None)


def test_a_short_mstcn_file_names_the_missing_line(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("walk\nwalk\n")
    with pytest.raises(AnnotationError, match=r"v\.txt:3: 2 label lines .* 5 frames"):
        read_ground_truth(path, CLASSES, 5)


def test_mapping_with_unicode_digits_is_an_annotation_error(tmp_path):
    (tmp_path / "mapping.txt").write_text("0 background\n² walk\n")
    with pytest.raises(AnnotationError, match=r"mapping\.txt:2:"):
        read_class_names(tmp_path)


@pytest.mark.parametrize("how", ["truncate", "flip", "zero"])
def test_damaged_checkpoints_are_one_checkpoint_error(tmp_path, how):
    data = bytearray(DEFAULT_CKPT.read_bytes())
    rng = np.random.default_rng(3)
    if how == "truncate":
        data = data[: len(data) // 3]
    elif how == "flip":  # the zip directory at the end: where a flip breaks the file
        for pos in rng.integers(len(data) - 2000, len(data), 8):
            data[pos] ^= 0x10
    else:
        data[100:4000] = bytes(3900)
    path = tmp_path / "bad.ckpt"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as info:
        load_labeler(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_checkpoint_with_nan_weights_is_refused(tmp_path):
    import torch

    ckpt = torch.load(DEFAULT_CKPT, weights_only=True)
    key = next(k for k, v in ckpt["state_dict"].items() if v.is_floating_point())
    ckpt["state_dict"][key][...] = float("nan")
    torch.save(ckpt, tmp_path / "nan.ckpt")
    with pytest.raises(CheckpointError, match="NaN"):
        load_labeler(tmp_path / "nan.ckpt")


def test_a_fifo_and_a_dangling_link_are_refused_without_opening(tmp_path):
    fifo = tmp_path / "live.mp4"
    import os

    os.mkfifo(fifo)  # opening it for reading would block until a writer appears
    with pytest.raises(NotAVideoError, match="not a regular file"):
        open_video(fifo)
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")
    with pytest.raises(VideoNotFoundError, match="symbolic link"):
        open_video(tmp_path / "gone.mp4")

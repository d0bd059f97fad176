"""Annotation formats: class lists, segments CSV (frames/seconds), per-frame CSV, MS-TCN."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.core.track import LabelTrack
from pipeline.data.annotations import (
    check_videos_exist,
    find_annotation,
    read_class_names,
    read_frame_labels,
)
from pipeline.data.mstcn import export_mstcn, import_mstcn
from pipeline.errors import AnnotationError, ConfigError, OutputExistsError
from pipeline.outputs.tracks import segment_table, write_labels_csv, write_segments_csv

CLASSES = ["background", "walk", "run"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_vfr_video(path: Path, pts_ms: list[int]) -> list[float]:
    """A tiny lossless FFV1 video with the given (variable) frame times; returns decoded pts_s."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 32, 32, "bgr0"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            rgb = np.full((32, 32, 3), 20 * i, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with av.open(str(path)) as src:
        return [float(f.time) for f in src.decode(video=0)]


# --- class lists ------------------------------------------------------------------------


def test_class_names_from_classes_txt_or_mapping(tmp_path: Path) -> None:
    write(tmp_path / "a" / "classes.txt", "background\nwalk\n\nrun\n")
    assert read_class_names(tmp_path / "a") == CLASSES
    # mapping lines in any order; ids give the order
    write(tmp_path / "b" / "mapping.txt", "2 run\n0 background\n1 walk\n")
    assert read_class_names(tmp_path / "b") == CLASSES


def test_class_list_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="classes.txt"):
        read_class_names(tmp_path)
    write(tmp_path / "mapping.txt", "0 background\n2 run\n")
    with pytest.raises(AnnotationError, match=r"\[0, 2\], expected 0..1"):
        read_class_names(tmp_path)
    write(tmp_path / "mapping.txt", "0 background\n1 run\n")
    write(tmp_path / "classes.txt", "run\nbackground\n")
    with pytest.raises(AnnotationError, match="different classes or orders"):
        read_class_names(tmp_path)


# --- segments CSV -----------------------------------------------------------------------


def test_shared_segments_csv_in_frames(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path / "annotations.csv",
        "video,start_frame,end_frame,label\n"
        "clip_a.mp4,2,4,walk\n"  # a video cell may carry the extension
        "clip_b,0,3,run\n"
        "clip_a,5,6,run\n",
    )
    labels = read_frame_labels(csv_path, CLASSES, 7, video="clip_a")
    assert labels.dtype == np.int64
    assert labels.tolist() == [-1, -1, 1, 1, -1, 2, -1]  # end exclusive, gaps unlabeled
    with_bg = read_frame_labels(csv_path, CLASSES, 7, video="clip_a", background="background")
    assert with_bg.tolist() == [0, 0, 1, 1, 0, 2, 0]
    assert read_frame_labels(csv_path, CLASSES, 4, video="clip_b").tolist() == [2, 2, 2, -1]


def test_segments_csv_in_seconds_on_a_real_vfr_video(tmp_path: Path) -> None:
    pts_s = write_vfr_video(tmp_path / "v.mkv", [0, 100, 150, 400, 500, 900])
    assert pts_s == pytest.approx([0.0, 0.1, 0.15, 0.4, 0.5, 0.9])
    text = "start_time,end_time,label\n0.1,0.4,walk\n0.4,2.0,run\n"
    path = write(tmp_path / "labels" / "v.csv", text)
    labels = read_frame_labels(path, CLASSES, 6, pts_s=np.array(pts_s))
    # start <= pts < end: 0.1 and 0.15 are walk, 0.4 starts run; the end may pass the last frame
    assert labels.tolist() == [-1, 1, 1, 2, 2, 2]
    with pytest.raises(AnnotationError, match="frame timestamps"):
        read_frame_labels(path, CLASSES, 6)


def test_segments_csv_written_by_label_reads_back(tmp_path: Path) -> None:
    truth = np.array([1, 1, 1, 0, 0, 2, 2, 2])
    probs = np.eye(3)[truth]  # (T, C) one-hot
    frames, pts_s = np.arange(8), np.arange(8) / 25
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, truth))
    seg_path = write_segments_csv(tmp_path / "labels" / "a.csv", table)
    # header start_frame,end_frame,start_s,end_s,...: frame columns win over times
    assert read_frame_labels(seg_path, CLASSES, 8).tolist() == truth.tolist()
    per_frame = write_labels_csv(
        tmp_path / "labels" / "b.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES)
    )
    assert read_frame_labels(per_frame, CLASSES, 8).tolist() == truth.tolist()


def test_per_frame_csv_sparse_frames_stay_unlabeled(tmp_path: Path) -> None:
    header = "frame,pts_s,label,confidence,p_background,p_walk,p_run\n"
    rows = "".join(f"{f},{f / 10},walk,1,0,1,0\n" for f in (0, 2, 4))  # labeled with stride 2
    path = write(tmp_path / "p.csv", header + rows)
    out = read_frame_labels(path, CLASSES, 6, background="background")
    assert out.tolist() == [1, -1, 1, -1, 1, -1]  # skipped frames are unknown, not background


def test_per_frame_csv_of_wrong_length(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "frame,label\n0,walk\n1,walk\n2,run\n")
    with pytest.raises(AnnotationError, match="labels 3 frames but the video has 5"):
        read_frame_labels(path, CLASSES, 5)
    with pytest.raises(AnnotationError, match=r"p.csv:4: frame 2 is past the end .* 2 frames"):
        read_frame_labels(path, CLASSES, 2)


# --- errors name file, line and fix ---------------------------------------------------


def segments_file(tmp_path: Path, body: str) -> Path:
    return write(tmp_path / "s.csv", "start_frame,end_frame,label\n" + body)


def test_unknown_class_names_line_known_classes_and_typo(tmp_path: Path) -> None:
    path = segments_file(tmp_path, "0,2,walk\n2,4,runn\n")
    with pytest.raises(AnnotationError, match=r"s.csv:3: unknown class 'runn'") as err:
        read_frame_labels(path, CLASSES, 4)
    assert "background, walk, run" in str(err.value)
    assert "Did you mean 'run'?" in str(err.value)


def test_segment_past_the_end_names_frame_count(tmp_path: Path) -> None:
    path = segments_file(tmp_path, "0,2,walk\n2,11,run\n")
    with pytest.raises(AnnotationError, match=r"s.csv:3: .*\[2, 11\).* has 10 frames"):
        read_frame_labels(path, CLASSES, 10)


def test_overlap_names_both_lines(tmp_path: Path) -> None:
    path = segments_file(tmp_path, "4,8,walk\n0,5,run\n")
    with pytest.raises(AnnotationError, match=r"s.csv:2: .*overlaps the one on line 3"):
        read_frame_labels(path, CLASSES, 10)


def test_end_not_after_start(tmp_path: Path) -> None:
    path = segments_file(tmp_path, "3,3,walk\n")
    with pytest.raises(AnnotationError, match=r"s.csv:2: segment ends \(3\) at or before"):
        read_frame_labels(path, CLASSES, 10)


def test_bad_number_and_headers(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match=r"s.csv:2: end_frame is '4.5'"):
        read_frame_labels(segments_file(tmp_path, "1,4.5,walk\n"), CLASSES, 10)
    missing = write(tmp_path / "m.csv", "video,start_frame,label\nx,0,walk\n")
    with pytest.raises(AnnotationError, match=r"lacks column\(s\) \['end_frame'\]"):
        read_frame_labels(missing, CLASSES, 10, video="x")
    unknown = write(tmp_path / "u.csv", "from,to,what\n0,1,walk\n")
    with pytest.raises(AnnotationError, match="start_frame,end_frame,label"):
        read_frame_labels(unknown, CLASSES, 10)


def test_video_selection_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "video,start_frame,end_frame,label\nx,0,1,walk\ny,0,1,run\n")
    with pytest.raises(AnnotationError, match=r"annotates \['x', 'y'\]"):
        read_frame_labels(path, CLASSES, 2)
    with pytest.raises(AnnotationError, match="none for video 'z'"):
        read_frame_labels(path, CLASSES, 2, video="z")
    with pytest.raises(ConfigError, match="background class 'bg'"):
        read_frame_labels(path, CLASSES, 2, video="x", background="bg")


def test_annotation_for_missing_video(tmp_path: Path) -> None:
    write(tmp_path / "videos" / "walking.mp4", "")  # only the name matters here
    write(tmp_path / "annotations.csv", "video,start_frame,end_frame,label\nwalkin,0,1,walk\n")
    with pytest.raises(AnnotationError, match=r"'walkin' \(did you mean 'walking'\?\)"):
        check_videos_exist(tmp_path)
    found = check_videos_exist(tmp_path, ["walking"])
    assert found == {"walking": tmp_path / "videos" / "walking.mp4"}


def test_find_annotation_order(tmp_path: Path) -> None:
    header = "video,start_frame,end_frame,label\n"
    write(tmp_path / "annotations.csv", header + "a,0,1,walk\nb,0,1,run\n")
    write(tmp_path / "labels" / "b.csv", "start_frame,end_frame,label\n0,1,run\n")
    assert find_annotation(tmp_path, "a") == tmp_path / "annotations.csv"
    assert find_annotation(tmp_path, "b") == tmp_path / "labels" / "b.csv"  # per-video first
    assert find_annotation(tmp_path, "c") is None


# --- MS-TCN ----------------------------------------------------------------------------


def test_mstcn_ground_truth_txt(tmp_path: Path) -> None:
    write(tmp_path / "mapping.txt", "0 background\n1 walk\n2 run\n")
    gt = write(tmp_path / "groundTruth" / "v.txt", "walk\nwalk\nrun\nbackground\n")
    classes = read_class_names(tmp_path)
    assert find_annotation(tmp_path, "v") == gt
    assert read_frame_labels(gt, classes, 4).tolist() == [1, 1, 2, 0]
    with pytest.raises(AnnotationError, match="4 label lines but the video has 5 frames"):
        read_frame_labels(gt, classes, 5)


def test_mstcn_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    videos = {
        "v1": (rng.normal(size=(7, 5)), np.array([0, 0, 1, 1, 1, 2, 2])),
        "v2": (rng.normal(size=(3, 5)), np.array([2, -1, 2])),
    }
    for name, (feats, labels) in videos.items():
        export_mstcn(tmp_path, name, feats, labels, CLASSES, background="background")
    export_mstcn(tmp_path, "v3", rng.normal(size=(4, 5)), None, CLASSES)  # features only
    stored = np.load(tmp_path / "features" / "v1.npy")
    assert stored.shape == (5, 7) and stored.dtype == np.float32  # (D, T) on disk
    assert (tmp_path / "groundTruth" / "v1.txt").read_text().splitlines()[:3] == [
        "background",
        "background",
        "walk",
    ]
    got = {name: rest for name, *rest in import_mstcn(tmp_path)}
    assert list(got) == ["v1", "v2", "v3"]
    for name, (feats, labels) in videos.items():
        feats_back, labels_back, classes = got[name]
        np.testing.assert_allclose(feats_back, feats.astype(np.float32))  # (T, D) again
        assert labels_back.tolist() == np.where(labels == -1, 0, labels).tolist()
        assert classes == CLASSES
    assert got["v3"][1] is None


def test_mstcn_export_refuses_what_it_cannot_store(tmp_path: Path) -> None:
    feats = np.zeros((2, 3))
    with pytest.raises(AnnotationError, match="1 unlabeled frames.*background="):
        export_mstcn(tmp_path, "v", feats, np.array([1, -1]), CLASSES)
    export_mstcn(tmp_path, "v", feats, np.array([1, 1]), CLASSES)
    with pytest.raises(OutputExistsError):
        export_mstcn(tmp_path, "v", feats, np.array([1, 1]), CLASSES)
    with pytest.raises(OutputExistsError, match="mapping.txt lists classes"):
        export_mstcn(tmp_path, "w", feats, np.array([1, 1]), ["a", "b"])

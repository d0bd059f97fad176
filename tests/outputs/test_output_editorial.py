"""Editor hand-off: OTIO timeline and CMX 3600 EDL read back with OTIO, chapters with PyAV."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from pipeline.core.track import LabelTrack
from pipeline.io.info import video_info
from pipeline.io.writer import Chapter, VideoWriter, add_chapters, read_chapters
from pipeline.outputs.editorial import chapters_from_segments, media_url, write_timeline
from pipeline.outputs.tracks import segment_table
from tools.synth import write_test_video

FPS = 25.0


def _segments() -> list[dict]:
    """A real segment table: shot 0-39, cut 40, shot 41-89, gradual 90-99, shot 100-149."""
    labels = np.zeros(150, dtype=np.int64)
    labels[40] = 1
    labels[90:100] = 2
    probs = np.eye(3)[labels] * 0.9 + 0.1 / 3  # (T, 3)
    frames = np.arange(150)
    return segment_table(
        LabelTrack.checked(frames, frames / FPS, probs, ["shot", "cut", "gradual"], labels, fps=FPS)
    )


def test_otio_has_one_clip_per_segment_over_the_source(tmp_path: Path) -> None:
    segments = _segments()
    source = tmp_path / "film.mp4"
    path = write_timeline(tmp_path / "film.otio", segments, media_url(source, tmp_path, None), FPS)
    timeline = otio.adapters.read_from_file(str(path))
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["shot", "cut", "shot", "gradual", "shot"]
    for clip, seg in zip(clips, segments, strict=True):
        rng = clip.source_range
        assert rng.start_time.to_frames() == seg["start_frame"]
        assert rng.duration.to_frames() == seg["end_frame"] - seg["start_frame"]
        assert rng.start_time.rate == FPS
        assert clip.media_reference.target_url == "film.mp4"  # relative: the folder may move
        assert clip.metadata["framelabel"]["label"] == seg["label"]
    assert timeline.duration().to_frames() == 150
    markers = timeline.tracks[0].markers
    assert [m.marked_range.start_time.to_frames() for m in markers] == [40, 41, 90, 100]
    assert markers[0].name == "shot -> cut"


def test_otio_ranges_stay_in_source_frames_when_labelling_started_late(tmp_path: Path) -> None:
    segments = [
        dataclasses.replace(s, start_frame=s.start_frame + 500, end_frame=s.end_frame + 500)
        for s in _segments()
    ]
    timeline = otio.adapters.read_from_file(
        str(write_timeline(tmp_path / "a.otio", segments, None, FPS))
    )
    first = next(iter(timeline.find_clips()))
    assert first.source_range.start_time.to_frames() == 500
    assert isinstance(first.media_reference, otio.schema.MissingReference)
    assert timeline.tracks[0].markers[0].marked_range.start_time.to_frames() == 40  # track time


def test_edl_is_cmx_3600_with_one_event_per_segment(tmp_path: Path) -> None:
    path = write_timeline(tmp_path / "film.edl", _segments(), "film.mp4", FPS, "edl")
    text = path.read_text()
    assert text.startswith("TITLE: film")
    assert "001 " in text and "005 " in text and "006 " not in text
    back = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=FPS)
    durations = [c.source_range.duration.to_frames() for c in back.find_clips()]
    assert durations == [40, 1, 49, 10, 50]


def test_chapters_one_per_shot_opened_by_its_edit() -> None:
    chapters = chapters_from_segments(_segments())
    # shot 0-1.6 s; the cut at 1.6 s opens the next shot's chapter; the gradual at 3.6 s too
    assert [(c.start_s, c.end_s) for c in chapters] == [(0.0, 1.6), (1.6, 3.6), (3.6, 6.0)]
    assert [c.title for c in chapters] == [
        "shot 00:00:00.000",
        "shot 00:00:01.640",
        "shot 00:00:04.000",
    ]
    assert chapters_from_segments(_segments(), min_length_s=100.0) == []


def test_short_shots_join_the_chapter_before_and_titles_never_collide() -> None:
    labels = np.zeros(100, dtype=np.int64)
    labels[[20, 23, 26]] = 1  # three cuts 3 frames apart: shots of 2 frames (0.08 s)
    probs = np.eye(3)[labels] * 0.9 + 0.1 / 3
    frames = np.arange(100)
    segments = segment_table(
        LabelTrack.checked(frames, frames / FPS, probs, ["shot", "cut", "gradual"], labels, fps=FPS)
    )
    every_shot = chapters_from_segments(segments)
    assert len(every_shot) == 4 and len({c.title for c in every_shot}) == 4
    long_only = chapters_from_segments(segments, min_length_s=0.5)
    assert [(c.start_s, c.end_s) for c in long_only] == [(0.0, 1.04), (1.04, 4.0)]


def test_video_writer_stores_chapters_pyav_reads_them(tmp_path: Path) -> None:
    chapters = [Chapter(0.0, 1.0, "shot 0.0s"), Chapter(1.0, 2.0, "gradual 1.0s")]
    with VideoWriter(tmp_path / "v.mp4", 64, 48, FPS) as writer:
        for _ in range(50):
            writer.write(np.zeros((48, 64, 3), np.uint8))
        writer.set_chapters(chapters)  # known only once the labels are: after the frames
    assert read_chapters(tmp_path / "v.mp4") == chapters
    assert video_info(tmp_path / "v.mp4", count=True).frames == 50
    with VideoWriter(tmp_path / "w.mp4", 64, 48, FPS) as writer:
        writer.write(np.zeros((48, 64, 3), np.uint8))
        with pytest.raises(ValueError, match="out of order"):
            writer.set_chapters([Chapter(1.0, 0.5, "ends before it starts")])
    assert read_chapters(tmp_path / "w.mp4") == []


def test_add_chapters_copies_the_streams_of_a_finished_video(tmp_path: Path) -> None:
    path = write_test_video(tmp_path / "v.mp4", 40, audio=True)
    before = video_info(path, count=True)
    add_chapters(path, [Chapter(0.0, 0.8, "a"), Chapter(0.8, 1.6, "b")])
    assert [c.title for c in read_chapters(path)] == ["a", "b"]
    add_chapters(path, [Chapter(0.0, 1.6, "only")])  # replaces, never accumulates
    assert [c.title for c in read_chapters(path)] == ["only"]
    after = video_info(path, count=True)
    assert (after.frames, after.has_audio, after.codec) == (before.frames, True, before.codec)
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(("kind", "suffix"), [("fcp7", ".xml"), ("fcpx", ".fcpxml")])
def test_final_cut_xml_reads_back_with_the_same_clips_and_markers(
    tmp_path: Path, kind: str, suffix: str
) -> None:
    segments = _segments()
    url = media_url(tmp_path / "media" / "film.mp4", tmp_path, None)
    path = write_timeline(tmp_path / f"film{suffix}", segments, url, FPS, kind)
    adapter = {"fcp7": "fcp_xml", "fcpx": "fcpx_xml"}[kind]
    back = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    clips = list(back.find_clips())
    assert [c.name for c in clips] == [s["label"] for s in segments]
    for clip, seg in zip(clips, segments, strict=True):
        assert clip.source_range.start_time.to_frames() == seg["start_frame"]
        assert clip.source_range.duration.to_frames() == seg["end_frame"] - seg["start_frame"]
        assert clip.media_reference.target_url == "media/film.mp4"
    markers = [m.name for c in clips for m in c.markers]
    assert markers == ["shot -> cut", "cut -> shot", "shot -> gradual", "gradual -> shot"]


def test_a_media_root_names_the_source_under_it(tmp_path: Path) -> None:
    url = media_url(tmp_path / "a b.mp4", tmp_path, "file:///Volumes/footage/")
    assert url == "file:///Volumes/footage/a%20b.mp4"

"""`framelabel split`: one file per shot of a real labelled video, by stream copy (snapped to
keyframes) or re-encoded (exact frames), audio kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.track import SegmentRow
from pipeline.io.info import video_info
from pipeline.io.reader import open_video
from pipeline.outputs.split import pieces_from_segments
from tests.report.conftest import FRAMES, SIZE, scene_frame
from tools.synth import write_test_video


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """A 4-scene video (a hard cut every 24 frames) with audio, labelled with --no-video."""
    out = tmp_path_factory.mktemp("split")
    video = write_test_video(out / "clip.mp4", FRAMES, size=SIZE, frame_fn=scene_frame, audio=True)
    assert main(["label", str(video), "--out", str(out), "--no-video", "--quiet"]) == 0
    return out


def _segments(out: Path) -> list[dict]:
    return json.loads((out / "clip.segments.json").read_text())["segments"]


def _pieces(folder: Path) -> list[Path]:
    return sorted(folder.glob("clip.[0-9][0-9][0-9].*.mp4"))


def test_reencoded_pieces_start_on_their_shot_and_add_up(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "pieces"
    out.mkdir()
    for name in ("clip.labels.csv", "clip.segments.json"):
        (out / name).write_bytes((labelled / name).read_bytes())
    code = main(
        ["split", str(labelled / "clip.mp4"), "--out", str(out), "--reencode", "--thumbnails"]
    )
    assert code == 0
    plan = pieces_from_segments([SegmentRow.from_dict(r) for r in _segments(labelled)])
    files = _pieces(out)
    assert [f.name for f in files] == [p.file_name("clip") for p in plan]
    counts = [video_info(f, count=True).frames for f in files]
    assert counts == [p.end_frame - p.start_frame for p in plan] and sum(counts) == FRAMES
    assert len(plan) >= 4 and all(p.label == "shot" for p in plan)
    for f, p in zip(files, plan, strict=True):  # the first frame is the shot's first frame
        # the project's reader (its own scaler): PyAV's shared one would be inherited by the
        # forked workers of later tests without its threads
        with open_video(f) as reader:
            first = next(iter(reader)).rgb
        assert abs(first.astype(int) - scene_frame(p.start_frame).astype(int)).mean() < 6
        assert video_info(f).has_audio
    assert len(list(out.glob("clip.[0-9][0-9][0-9].*.jpg"))) == len(plan)


def test_stream_copy_snaps_to_keyframes_and_keeps_every_frame(
    labelled: Path, tmp_path: Path
) -> None:
    out = tmp_path / "copy"
    assert main(["split", str(labelled / "clip.mp4"), "--out", str(out)]) == 0  # labels first
    files = _pieces(out)
    counts = [video_info(f, count=True).frames for f in files]
    assert len(files) >= 1 and sum(counts) == FRAMES  # tiles the video, nothing lost or doubled
    assert all(video_info(f).has_audio for f in files)


def test_a_missing_video_is_one_line_and_the_others_still_split(
    labelled: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "batch"
    code = main(
        ["split", str(tmp_path / "nope.mp4"), str(labelled / "clip.mp4"), "--out", str(out)]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.mp4 does not exist" in err[0]
    assert _pieces(out)


def test_the_report_shows_the_split_thumbnails(labelled: Path, tmp_path: Path) -> None:
    from pipeline.report import write_report

    out = tmp_path / "thumbs"
    out.mkdir()
    for name in ("clip.mp4", "clip.labels.csv", "clip.segments.json"):
        (out / name).write_bytes((labelled / name).read_bytes())
    page = write_report(out, "clip").read_text()
    assert 'class="shot"' not in page
    assert main(["split", str(out / "clip.mp4"), "--out", str(out), "--thumbnails"]) == 0
    page = write_report(out, "clip").read_text()
    shots = [s for s in _segments(out) if s["label"] == "shot"]
    assert page.count('<img class="shot" src="data:image/jpeg;base64,') == len(shots)

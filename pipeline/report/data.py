"""One labelled video as `framelabel label` left it in its output folder, as typed values.

Read from OUT_DIR: `NAME.labels.csv` (required), `NAME.segments.json` (meta and segments;
rebuilt from the labels when missing), `NAME.gates.csv` and `NAME.metrics.json` (optional),
and the video the page plays: `NAME.annotated.mp4`, else the source video.

Every time the page uses is on the player's clock (`media_s`): the annotated video has one
frame per labelled row at a constant rate, so row i plays at i / fps there; the source video
plays row i at its pts.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.gates import GateTrace
from pipeline.core.track import LabelTrack, SegmentRow
from pipeline.data.annotations import VIDEO_EXTENSIONS
from pipeline.errors import FramelabelError, VideoNotFoundError
from pipeline.outputs.gates import read_gates_csv
from pipeline.outputs.layout import (
    ANNOTATED_SUFFIX,
    GATES_SUFFIX,
    LABELS_SUFFIX,
    METRICS_SUFFIX,
    SEGMENTS_SUFFIX,
)
from pipeline.outputs.metrics import read_metrics_json
from pipeline.outputs.segments_json import SegmentsMeta, read_segments_json
from pipeline.outputs.tracks import read_labels_csv, segment_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Media:
    """The video the page plays and the player-clock time of every track row."""

    player: Path | None  # annotated video, else the source; None when neither exists
    kind: str  # "annotated", "source" or "none"
    source: Path | None  # the original video, when it can be found
    source_fps: float | None  # source frame rate (from the file, else from the track)
    media_s: np.ndarray  # (T,) float64 player time of each row
    end_s: float  # player time where the last row ends


@dataclass(frozen=True)
class LabelledVideo:
    """Everything the report shows about one video, before any truth."""

    name: str
    out_dir: Path
    classes: list[str]
    meta: SegmentsMeta
    track: LabelTrack  # read from labels.csv: `labels` are the written ones
    segments: list[SegmentRow]
    gates: GateTrace | None
    media: Media
    metrics_json: dict[str, Any] | None


def read_gates(path: Path) -> GateTrace | None:
    """NAME.gates.csv (pipeline.outputs.gates), None when absent; an unreadable file leaves
    the gate panel empty with a warning rather than failing the page."""
    if not path.is_file():
        return None
    try:
        return read_gates_csv(path)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s: %s; gate panel left empty", path, exc)
        return None


def segment_rows(stored: list[dict] | None, track: LabelTrack) -> list[SegmentRow]:
    """Segments from segments.json with the track rows they cover (found by frame number), or
    rebuilt from the track the way `label` builds them when the file has none."""
    if stored is None:
        return segment_table(track)
    starts = np.searchsorted(track.frame_indices, [int(r["start_frame"]) for r in stored])
    ends = np.searchsorted(track.frame_indices, [int(r["end_frame"]) for r in stored])
    return [
        SegmentRow.from_dict(r, (int(a), int(b)))
        for r, a, b in zip(stored, starts, ends, strict=True)
    ]


def frame_step_s(track: LabelTrack) -> float | None:
    """Source seconds per frame number: median pts step / frame step (robust to sampling)."""
    if len(track) < 2:
        return None
    d_frames, d_times = np.diff(track.frame_indices), np.diff(track.pts_s)
    ok = (d_frames > 0) & (d_times > 0)
    return float(np.median(d_times[ok] / d_frames[ok])) if ok.any() else None


def find_source(out_dir: Path, name: str, meta: SegmentsMeta, videos: Path | None) -> Path | None:
    """The source video: meta "source" (absolute or relative to OUT_DIR), else NAME.<video
    extension> in OUT_DIR, in `videos` or in `videos`/videos/."""
    stored = meta.source
    if isinstance(stored, str) and stored:
        path = Path(stored) if Path(stored).is_absolute() else out_dir / stored
        if path.is_file():
            return path
    folders = [out_dir] + ([videos, videos / "videos"] if videos is not None else [])
    for folder in folders:
        for ext in sorted(VIDEO_EXTENSIONS):
            if (folder / f"{name}{ext}").is_file():
                return folder / f"{name}{ext}"
    return None


def _video_fps(path: Path) -> float | None:
    """The average frame rate a video's header states, None when it states none."""
    from pipeline.io.info import video_info

    try:
        fps = video_info(path).fps
    except FramelabelError as err:  # an unreadable video is shown as missing, not fatal
        log.warning("%s: %s", path, err)
        return None
    return float(fps) if fps else None


def media_for(out_dir: Path, name: str, track: LabelTrack, source: Path | None) -> Media:
    """Pick the player video and put every row on its clock."""
    step_s = frame_step_s(track)
    source_fps = _video_fps(source) if source is not None else None
    if source_fps is None and step_s:
        source_fps = 1.0 / step_s
    annotated = out_dir / f"{name}{ANNOTATED_SUFFIX}"
    if annotated.is_file():
        fps = _video_fps(annotated) or _row_rate(track) or 25.0
        media_s = np.arange(len(track)) / fps  # the writer gives row i pts i / fps
        return Media(annotated, "annotated", source, source_fps, media_s, len(track) / fps)
    row_s = 1.0 / (_row_rate(track) or source_fps or 25.0)
    media_s = track.pts_s.astype(np.float64)
    end_s = float(media_s[-1]) + row_s if len(track) else 0.0
    kind = "source" if source is not None else "none"
    return Media(source, kind, source, source_fps, media_s, end_s)


def _row_rate(track: LabelTrack) -> float | None:
    """Labelled rows per second (the annotated video's rate), from the median pts step."""
    if len(track) < 2:
        return None
    steps = np.diff(track.pts_s)
    steps = steps[steps > 0]
    return 1.0 / float(np.median(steps)) if steps.size else None


def load_video(out_dir: Path, name: str, videos: Path | None = None) -> LabelledVideo:
    """Read one labelled video's outputs from `out_dir` (see the module docstring)."""
    labels_path = out_dir / f"{name}{LABELS_SUFFIX}"
    if not labels_path.is_file():
        raise VideoNotFoundError(
            f"{labels_path} does not exist; expected the labels.csv that `framelabel label "
            f"--out {out_dir}` writes for {name!r}. Label the video first."
        )
    meta, stored = SegmentsMeta(video=name), None
    if (out_dir / f"{name}{SEGMENTS_SUFFIX}").is_file():
        meta, stored = read_segments_json(out_dir / f"{name}{SEGMENTS_SUFFIX}")
    track = read_labels_csv(labels_path, meta.classes or None)
    classes = list(track.class_names)
    segments = segment_rows(stored, track)
    source = find_source(out_dir, name, meta, videos)
    return LabelledVideo(
        name=name,
        out_dir=out_dir,
        classes=classes,
        meta=meta,
        track=track,
        segments=segments,
        gates=read_gates(out_dir / f"{name}{GATES_SUFFIX}"),
        media=media_for(out_dir, name, track, source),
        metrics_json=read_metrics_json(out_dir / f"{name}{METRICS_SUFFIX}"),
    )


def finite_or_none(value: Any) -> Any:
    """A float that JSON can hold: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

"""One labelled video as `framelabel label` left it in its output folder, as typed values.

Read from OUT_DIR: `NAME.labels.csv` (required), `NAME.segments.json` (meta and segments;
rebuilt from the labels when missing), `NAME.gates.csv` and `NAME.metrics.json` (optional),
and the video the page plays: `NAME.annotated.mp4`, else the source video.

Every time the page uses is on the player's clock (`media_s`): the annotated video has one
frame per labelled row at a constant rate, so row i plays at i / fps there; the source video
plays row i at its pts.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.data.annotations import VIDEO_EXTENSIONS
from pipeline.errors import AnnotationError, FramelabelError, VideoNotFoundError
from pipeline.outputs.tracks import segment_table

log = logging.getLogger(__name__)

LABELS_SUFFIX = ".labels.csv"
SEGMENTS_SUFFIX = ".segments.json"
GATES_SUFFIX = ".gates.csv"
METRICS_SUFFIX = ".metrics.json"
ANNOTATED_SUFFIX = ".annotated.mp4"
GATE_COLUMNS = ("frame", "pts_s", "forget", "input", "output", "cell_norm")


@dataclass(frozen=True)
class LabelTrack:
    """The per-frame track: row t is the t-th labelled frame."""

    frames: np.ndarray  # (T,) int64 source frame numbers (sampling skips numbers)
    pts_s: np.ndarray  # (T,) float64 source pts in seconds
    labels: np.ndarray  # (T,) int64 class ids of the written label
    confidence: np.ndarray  # (T,) float64 probability of the written label
    probs: np.ndarray  # (T, C) float64

    def __len__(self) -> int:
        return len(self.frames)


@dataclass(frozen=True)
class SegmentRecord:
    """One row of NAME.segments.json (end exclusive), plus its rows in the track."""

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    label: str
    mean_confidence: float
    rows: tuple[int, int]  # [first row, end row) of the track


@dataclass(frozen=True)
class GateTrace:
    """The LSTM's mean gate activations and cell-state norm, one row per labelled frame."""

    frames: np.ndarray  # (G,) int64
    values: dict[str, np.ndarray]  # "forget", "input", "output", "cell_norm" -> (G,) float64


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
    meta: dict[str, Any]
    track: LabelTrack
    segments: list[SegmentRecord]
    gates: GateTrace | None
    media: Media
    metrics_json: dict[str, Any] | None


def find_names(out_dir: Path) -> list[str]:
    """Names of the labelled videos in `out_dir` (each has NAME.labels.csv), sorted."""
    return sorted(p.name[: -len(LABELS_SUFFIX)] for p in out_dir.glob(f"*{LABELS_SUFFIX}"))


def _labels_header(header: list[str], path: Path) -> list[str]:
    """Class names from the `p_<class>` columns; AnnotationError when the header is not ours."""
    if header[:4] != ["frame", "pts_s", "label", "confidence"] or len(header) < 5:
        raise AnnotationError(
            f"{path}:1: header {header[:5]} is not a labels.csv written by `framelabel label` "
            "(expected frame,pts_s,label,confidence,p_<class>...); re-run framelabel label"
        )
    return [column[2:] for column in header[4:]]


def read_label_track(path: Path, classes: list[str] | None = None) -> tuple[LabelTrack, list[str]]:
    """The track in NAME.labels.csv and its class names (those of `classes` when given)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        names = _labels_header(next(reader, []), path)
        rows = list(reader)
    if classes and list(classes) != names:
        raise AnnotationError(
            f"{path}: columns name the classes {names} but segments.json lists {list(classes)}; "
            "the two files come from different runs. Re-run framelabel label with --overwrite"
        )
    classes = list(classes or names)
    lookup = {name: i for i, name in enumerate(classes)}
    try:
        frames = np.array([int(r[0]) for r in rows], dtype=np.int64)
        numbers = np.array([[float(v) for v in (r[1], r[3], *r[4:])] for r in rows])
        labels = np.array([lookup[r[2]] for r in rows], dtype=np.int64)
    except (ValueError, KeyError, IndexError) as exc:
        raise AnnotationError(
            f"{path}: a row is not frame,pts_s,label,confidence,p_<class>... with a known "
            f"class ({exc!r}); re-run framelabel label to rewrite it"
        ) from exc
    numbers = numbers.reshape(len(rows), 2 + len(names))  # (T, 2 + C)
    track = LabelTrack(frames, numbers[:, 0], labels, numbers[:, 1], numbers[:, 2:])
    return track, classes


def read_gates(path: Path) -> GateTrace | None:
    """NAME.gates.csv (`frame,pts_s,forget,input,output,cell_norm[,...]`), None when absent."""
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if tuple(header[: len(GATE_COLUMNS)]) != GATE_COLUMNS:
            log.warning(
                "%s: header %s is not %s; gate panel left empty", path, header, GATE_COLUMNS
            )
            return None
        try:
            table = np.array([[float(v) for v in r[: len(GATE_COLUMNS)]] for r in reader if r])
        except ValueError as exc:
            log.warning("%s: unreadable row (%s); gate panel left empty", path, exc)
            return None
    table = table.reshape(-1, len(GATE_COLUMNS))  # (G, 6)
    values = {name: table[:, i + 2] for i, name in enumerate(GATE_COLUMNS[2:])}
    return GateTrace(table[:, 0].astype(np.int64), values)


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(
            f"{path} is not valid JSON ({exc}); re-run framelabel label to rewrite it"
        ) from exc


def _segment_dicts(doc: dict[str, Any] | None, track: LabelTrack, classes: list[str]) -> list:
    """Segments from segments.json, or rebuilt from the track the way `label` builds them."""
    if doc is not None and isinstance(doc.get("segments"), list):
        return doc["segments"]
    return segment_table(track.frames, track.pts_s, track.probs, track.labels, classes)


def segment_records(rows: list[dict[str, Any]], track: LabelTrack) -> list[SegmentRecord]:
    """Typed segments with the track rows they cover (found by frame number)."""
    starts = np.searchsorted(track.frames, [int(r["start_frame"]) for r in rows])
    ends = np.searchsorted(track.frames, [int(r["end_frame"]) for r in rows])
    return [
        SegmentRecord(
            int(r["start_frame"]),
            int(r["end_frame"]),
            float(r["start_s"]),
            float(r["end_s"]),
            str(r["label"]),
            float(r["mean_confidence"]),
            (int(a), int(b)),
        )
        for r, a, b in zip(rows, starts, ends, strict=True)
    ]


def frame_step_s(track: LabelTrack) -> float | None:
    """Source seconds per frame number: median pts step / frame step (robust to sampling)."""
    if len(track) < 2:
        return None
    d_frames, d_times = np.diff(track.frames), np.diff(track.pts_s)
    ok = (d_frames > 0) & (d_times > 0)
    return float(np.median(d_times[ok] / d_frames[ok])) if ok.any() else None


def find_source(out_dir: Path, name: str, meta: dict[str, Any], videos: Path | None) -> Path | None:
    """The source video: meta "source" (absolute or relative to OUT_DIR), else NAME.<video
    extension> in OUT_DIR, in `videos` or in `videos`/videos/."""
    stored = meta.get("source")
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
    doc = _read_json(out_dir / f"{name}{SEGMENTS_SUFFIX}")
    meta = {k: v for k, v in (doc or {}).items() if k != "segments"}
    track, classes = read_label_track(labels_path, meta.get("classes") or None)
    segments = segment_records(_segment_dicts(doc, track, classes), track)
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
        metrics_json=_read_json(out_dir / f"{name}{METRICS_SUFFIX}"),
    )


def finite_or_none(value: Any) -> Any:
    """A float that JSON can hold: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

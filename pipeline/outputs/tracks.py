"""`NAME.labels.csv` and `NAME.segments.csv`: a video's `LabelTrack` and its `SegmentRow`s,
each format's writer beside its reader (`segments.json`: pipeline.outputs.segments_json).

Every "confidence" is the probability of the label actually written (`LabelTrack.labels`,
which may differ from the argmax after event decoding or --min-segment). Every file goes
through `atomic_output`: a failure part way never leaves a half-written track.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.segments import labels_to_segments
from pipeline.core.track import SEGMENT_COLUMNS, LabelTrack, SegmentRow
from pipeline.errors import AnnotationError
from pipeline.io.atomic import atomic_output
from pipeline.outputs.subtitles import format_timestamp

LABELS_HEADER = ("frame", "pts_s", "label", "confidence")  # then p_<class> per class
_DECIMALS = 6  # pts and probabilities: microseconds and 1e-6 are below anything a user reads


def _csv_field(text: str) -> str:
    """`text` quoted the way the csv module would (class names may hold commas or quotes)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


def write_labels_csv(
    path: str | os.PathLike[str], track: LabelTrack, *, overwrite: bool = False
) -> Path:
    """Write the per-frame track: `frame,pts_s,label,confidence,p_<class>...`, one row per frame.

    `label` is the class name, `confidence` the probability of that label; pts and
    probabilities have 6 decimals. Returns the path written.
    """
    names = track.class_names
    header = [*LABELS_HEADER, *(f"p_{name}" for name in names)]
    quoted = [_csv_field(name) for name in names]
    p = np.asarray(track.probs, dtype=np.float64)
    lab = track.labels
    conf = p[np.arange(len(lab)), lab]  # (T,) probability of the written label
    # One printf format per row is ~5x faster than csv.writer on float columns (2 h of video
    # at 30 fps is 216k rows).
    prob_fmt = ",".join([f"%.{_DECIMALS}f"] * p.shape[1])
    rows = zip(
        track.frame_indices.tolist(),
        track.pts_s.tolist(),
        lab.tolist(),
        conf.tolist(),
        p.tolist(),
        strict=True,
    )
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        csv.writer(fh, lineterminator="\n").writerow(header)
        for f, t, k, c, row in rows:
            probs_text = prob_fmt % tuple(row)
            fh.write(f"{f},{t:.{_DECIMALS}f},{quoted[k]},{c:.{_DECIMALS}f},{probs_text}\n")
    return Path(path)


def _class_names(header: list[str], path: Path) -> list[str]:
    """Class names from the `p_<class>` columns; AnnotationError when the header is not ours."""
    if header[:4] != list(LABELS_HEADER) or len(header) < 5:
        raise AnnotationError(
            f"{path}:1: header {header[:5]} is not a labels.csv written by `framelabel label` "
            "(expected frame,pts_s,label,confidence,p_<class>...); re-run framelabel label"
        )
    return [column[2:] for column in header[4:]]


def read_labels_csv(
    path: str | os.PathLike[str], classes: Sequence[str] | None = None
) -> LabelTrack:
    """The track a labels.csv holds, its written labels as `final` (fps unknown: None).
    `classes`: the class names another file of the run lists (segments.json); AnnotationError
    when the file's differ or a row is not this format's."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        names = _class_names(next(reader, []), path)
        rows = list(reader)
    if classes and list(classes) != names:
        raise AnnotationError(
            f"{path}: columns name the classes {names} but segments.json lists {list(classes)}; "
            "the two files come from different runs. Re-run framelabel label with --overwrite"
        )
    lookup = {name: i for i, name in enumerate(names)}
    try:
        frames = np.array([int(r[0]) for r in rows], dtype=np.int64)
        numbers = np.array([[float(v) for v in (r[1], *r[4:])] for r in rows])
        labels = np.array([lookup[r[2]] for r in rows], dtype=np.int64)
    except (ValueError, KeyError, IndexError) as exc:
        raise AnnotationError(
            f"{path}: a row is not frame,pts_s,label,confidence,p_<class>... with a known "
            f"class ({exc!r}); re-run framelabel label to rewrite it"
        ) from exc
    numbers = numbers.reshape(len(rows), 1 + len(names))  # (T, 1 + C)
    return LabelTrack(frames, numbers[:, 0], numbers[:, 1:], None, tuple(names), final=labels)


def _frame_duration_s(frames: np.ndarray, times: np.ndarray, fps: float | None) -> float:
    """One frame's duration: the median of pts step / frame-number step (robust to sampling
    strides and to a few irregular steps in VFR video); 1/fps when fewer than two frames."""
    if len(frames) >= 2:
        d_frames = np.diff(frames)
        d_times = np.diff(times)
        ok = (d_frames > 0) & np.isfinite(d_times) & (d_times > 0)
        if ok.any():
            return float(np.median(d_times[ok] / d_frames[ok]))
    if fps is not None and fps > 0:
        return 1.0 / fps
    return 0.0  # nothing to estimate from: the last segment ends at its last pts


def _last_end_s(
    frames: np.ndarray, times: np.ndarray, end_pts_s: float | None, fps: float | None
) -> float:
    """End time of the last segment: `end_pts_s` when it is after the last pts (a stream
    duration can be missing or wrong), else the last pts + one frame duration."""
    if end_pts_s is not None and math.isfinite(end_pts_s) and end_pts_s > times[-1]:
        return float(end_pts_s)
    return float(times[-1]) + _frame_duration_s(frames, times, fps)


def segment_table(track: LabelTrack, end_pts_s: float | None = None) -> list[SegmentRow]:
    """One `SegmentRow` per run of equal written labels, in order.

    - `start_frame`: frame number of the segment's first frame; `end_frame` (exclusive): the
      frame number of the first frame after the segment, or the last frame number + 1.
    - `start_s`: pts of the first frame; `end_s`: pts of the first frame after the segment;
      for the last segment `end_pts_s` when given (e.g. the stream duration), else the last
      pts + one frame duration (median pts step per frame; 1/`track.fps` for one frame).
    - `label`: class name; `mean_confidence`: mean probability of that label over the segment;
      `frames`: number of labeled frames (rows) in it, which is what the mean runs over.
    """
    frames, times = track.frame_indices, np.asarray(track.pts_s, dtype=np.float64)
    p, lab = np.asarray(track.probs, dtype=np.float64), track.labels
    n = len(lab)
    if n == 0:
        return []
    last_end_s = _last_end_s(frames, times, end_pts_s, track.fps)
    table = []
    for seg in labels_to_segments(lab):
        last = seg.end >= n
        row = SegmentRow(
            start_frame=int(frames[seg.start]),
            end_frame=int(frames[-1]) + 1 if last else int(frames[seg.end]),
            start_s=float(times[seg.start]),
            end_s=last_end_s if last else float(times[seg.end]),
            label=track.class_names[seg.label],
            mean_confidence=float(p[seg.start : seg.end, seg.label].mean()),
            frames=seg.length,
            rows=(seg.start, seg.end),
        )
        table.append(row)
    return table


def rounded_row(row: SegmentRow) -> dict[str, Any]:
    """A row's stored columns with times and confidence rounded to 6 decimals (what the
    files hold)."""
    out = row.to_dict()
    for key in ("start_s", "end_s", "mean_confidence"):
        out[key] = round(float(out[key]), _DECIMALS)
    return out


# segments.csv: the segments.json keys, then start and end as timecodes (older files lack them)
CSV_SEGMENT_COLUMNS = (*SEGMENT_COLUMNS, "start_timecode", "end_timecode")


def write_segments_csv(
    path: str | os.PathLike[str], table: Sequence[SegmentRow], *, overwrite: bool = False
) -> Path:
    """Write a `segment_table` as CSV with the `CSV_SEGMENT_COLUMNS` header (the segments.json
    keys, then the start and end as `HH:MM:SS.mmm` for editors). Returns the path."""
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_SEGMENT_COLUMNS)
        for row in table:
            r = rounded_row(row)
            writer.writerow(
                [
                    r["start_frame"],
                    r["end_frame"],
                    f"{r['start_s']:.{_DECIMALS}f}",
                    f"{r['end_s']:.{_DECIMALS}f}",
                    r["label"],
                    f"{r['mean_confidence']:.{_DECIMALS}f}",
                    r["frames"],
                    format_timestamp(round(float(r["start_s"]) * 1000)),
                    format_timestamp(round(float(r["end_s"]) * 1000)),
                ]
            )
    return Path(path)


def read_segments_csv(path: str | os.PathLike[str]) -> list[SegmentRow]:
    """The rows a segments.csv holds (their track rows counted from the `frames` column);
    AnnotationError when the header or a row is not this format's."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) not in (CSV_SEGMENT_COLUMNS, SEGMENT_COLUMNS):
            raise AnnotationError(
                f"{path}:1: header {reader.fieldnames} is not {','.join(CSV_SEGMENT_COLUMNS)}; "
                "expected a segments.csv written by `framelabel label`"
            )
        stored = list(reader)
    out, first = [], 0
    try:
        for row in stored:
            end = first + int(row["frames"])
            out.append(SegmentRow.from_dict(row, (first, end)))
            first = end
    except (ValueError, TypeError) as exc:
        raise AnnotationError(f"{path}: unreadable row ({exc}); re-run framelabel label") from exc
    return out

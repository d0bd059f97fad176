"""Label tracks of one video: the per-frame CSV, the segment table, and its CSV / JSON forms.

Inputs are one video's results, row t describing the t-th labeled frame:
`frame_indices (T,)` (decoded-frame numbers; sampling skips numbers, it never renumbers),
`pts_s (T,)`, `probs (T, C)` and optionally `labels (T,)`, which default to the argmax but
may differ from it after post-processing (--min-segment), so every "confidence" below is the
probability of the label actually written, not of the argmax.

Every file goes through `atomic_output`: a failure part way never leaves a half-written track.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io.atomic import atomic_output
from pipeline.segments import labels_to_segments

SEGMENT_COLUMNS: tuple[str, ...] = (
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "label",
    "mean_confidence",
    "frames",
)
_DECIMALS = 6  # pts and probabilities: microseconds and 1e-6 are below anything a user reads


def _csv_field(text: str) -> str:
    """`text` quoted the way the csv module would (class names may hold commas or quotes)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


def _check_track(
    frame_indices: np.ndarray,
    pts_s: np.ndarray,
    probs: np.ndarray,
    class_names: Sequence[str],
    labels: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate one video's arrays and return them as (int64, float64, float64, int64) arrays.

    Mismatched shapes are a bug in the caller, not a user error, hence ValueError.
    """
    frames = np.asarray(frame_indices)
    times = np.asarray(pts_s, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != len(class_names):
        raise ValueError(
            f"probs must be (T, C={len(class_names)}) for {len(class_names)} class names, "
            f"got shape {p.shape}"
        )
    n = p.shape[0]
    if frames.shape != (n,) or times.shape != (n,):
        raise ValueError(
            f"frame_indices and pts_s must be ({n},) like probs' rows, got {frames.shape} "
            f"and {times.shape}"
        )
    if n and not np.issubdtype(frames.dtype, np.integer):
        raise ValueError(f"frame_indices must be integers, got dtype {frames.dtype}")
    lab = p.argmax(axis=1) if labels is None else np.asarray(labels)
    if lab.shape != (n,):
        raise ValueError(f"labels must be ({n},) like probs' rows, got shape {lab.shape}")
    if n and (not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0 or lab.max() >= p.shape[1]):
        raise ValueError(f"labels must be class ids in [0, {p.shape[1]}), got {lab.dtype} values")
    return frames.astype(np.int64), times, p, lab.astype(np.int64)


def write_labels_csv(
    path: str | os.PathLike[str],
    frame_indices: np.ndarray,
    pts_s: np.ndarray,
    probs: np.ndarray,
    class_names: Sequence[str],
    labels: np.ndarray | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write the per-frame track: `frame,pts_s,label,confidence,p_<class>...`, one row per frame.

    `label` is the class name, `confidence` the probability of that label; pts and
    probabilities have 6 decimals. Returns the path written.
    """
    frames, times, p, lab = _check_track(frame_indices, pts_s, probs, class_names, labels)
    header = ["frame", "pts_s", "label", "confidence", *(f"p_{name}" for name in class_names)]
    quoted = [_csv_field(name) for name in class_names]
    conf = p[np.arange(len(lab)), lab]  # (T,) probability of the written label
    # One printf format per row is ~5x faster than csv.writer on float columns (2 h of video
    # at 30 fps is 216k rows).
    prob_fmt = ",".join([f"%.{_DECIMALS}f"] * p.shape[1])
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        csv.writer(fh, lineterminator="\n").writerow(header)
        for f, t, k, c, row in zip(
            frames.tolist(), times.tolist(), lab.tolist(), conf.tolist(), p.tolist(), strict=True
        ):
            probs_text = prob_fmt % tuple(row)
            fh.write(f"{f},{t:.{_DECIMALS}f},{quoted[k]},{c:.{_DECIMALS}f},{probs_text}\n")
    return Path(path)


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


def segment_table(
    frame_indices: np.ndarray,
    pts_s: np.ndarray,
    probs: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    end_pts_s: float | None = None,
    *,
    fps: float | None = None,
) -> list[dict[str, Any]]:
    """One dict per run of equal labels, in order, with the keys of `SEGMENT_COLUMNS`.

    - `start_frame`: frame number of the segment's first frame; `end_frame` (exclusive): the
      frame number of the first frame after the segment, or the last frame number + 1.
    - `start_s`: pts of the first frame; `end_s`: pts of the first frame after the segment;
      for the last segment `end_pts_s` when given (e.g. the stream duration), else the last
      pts + one frame duration (median pts step per frame; 1/`fps` for a one-frame video).
    - `label`: class name; `mean_confidence`: mean probability of that label over the segment;
      `frames`: number of labeled frames (rows) in it, which is what the mean runs over.

    `labels` None means the argmax of `probs`.
    """
    frames, times, p, lab = _check_track(frame_indices, pts_s, probs, class_names, labels)
    n = len(lab)
    if n == 0:
        return []
    last_end_s = _last_end_s(frames, times, end_pts_s, fps)
    table = []
    for seg in labels_to_segments(lab):
        last = seg.end >= n
        table.append(
            {
                "start_frame": int(frames[seg.start]),
                "end_frame": int(frames[-1]) + 1 if last else int(frames[seg.end]),
                "start_s": float(times[seg.start]),
                "end_s": last_end_s if last else float(times[seg.end]),
                "label": class_names[seg.label],
                "mean_confidence": float(p[seg.start : seg.end, seg.label].mean()),
                "frames": seg.length,
            }
        )
    return table


def _rounded_row(row: dict[str, Any]) -> dict[str, Any]:
    """A table row with times and confidence rounded to 6 decimals (what the files hold)."""
    out = dict(row)
    for key in ("start_s", "end_s", "mean_confidence"):
        out[key] = round(float(row[key]), _DECIMALS)
    return out


def write_segments_csv(
    path: str | os.PathLike[str], table: Sequence[dict[str, Any]], *, overwrite: bool = False
) -> Path:
    """Write a `segment_table` as CSV with the `SEGMENT_COLUMNS` header. Returns the path."""
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SEGMENT_COLUMNS)
        for row in table:
            r = _rounded_row(row)
            writer.writerow(
                [
                    r["start_frame"],
                    r["end_frame"],
                    f"{r['start_s']:.{_DECIMALS}f}",
                    f"{r['end_s']:.{_DECIMALS}f}",
                    r["label"],
                    f"{r['mean_confidence']:.{_DECIMALS}f}",
                    r["frames"],
                ]
            )
    return Path(path)


def _json_default(value: Any) -> Any:
    """json.dump fallback for the numpy scalars/arrays and paths a caller's meta may hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"meta value {value!r} of type {type(value).__name__} is not JSON serialisable")


def write_segments_json(
    path: str | os.PathLike[str],
    table: Sequence[dict[str, Any]],
    meta: dict[str, Any],
    *,
    overwrite: bool = False,
) -> Path:
    """Write `{"video", "classes", "post_processing", <other meta>..., "segments": table}`.

    `meta` is merged in (its keys win over the defaults `video=None`, `classes=[]`,
    `post_processing={}`); `segments` always comes from `table`. Returns the path.
    """
    doc: dict[str, Any] = {"video": None, "classes": [], "post_processing": {}}
    doc.update({k: v for k, v in meta.items() if k != "segments"})
    doc["segments"] = [_rounded_row(row) for row in table]
    # Serialise before opening the file so a bad meta value fails without touching the disk.
    text = json.dumps(doc, indent=2, default=_json_default, allow_nan=False)
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        fh.write(text + "\n")
    return Path(path)

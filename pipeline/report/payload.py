"""The JSON the page's script draws from: ribbons, traces, gates, all on the player's clock.

Ribbons are exact (one entry per run of labels); traces are bucketed (see `traces`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.core.segments import labels_to_segments
from pipeline.outputs.colors import class_colors
from pipeline.report.data import LabelledVideo, Media
from pipeline.report.traces import gate_traces, track_traces
from pipeline.report.truth import TruthScores

TIME_DECIMALS = 4


def row_time(media: Media, row: int) -> float:
    """Player time where track row `row` starts (`row` == T: where the last row ends)."""
    if row >= len(media.media_s):
        return round(media.end_s, TIME_DECIMALS)
    return round(float(media.media_s[row]), TIME_DECIMALS)


def hex_colors(n: int) -> list[str]:
    return ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in class_colors(n)]


def label_runs(media: Media, labels: np.ndarray) -> list[list[float]]:
    """[t0, t1, class id] per run of equal labels; unlabeled (-1) runs left out."""
    return [
        [row_time(media, s.start), row_time(media, s.end), s.label]
        for s in labels_to_segments(labels, ignore_index=-1)
    ]


def prediction_runs(video: LabelledVideo) -> list[list[float]]:
    """[t0, t1, class id] per segment of segments.json (the table the page lists)."""
    ids = {name: i for i, name in enumerate(video.classes)}
    return [
        [row_time(video.media, s.rows[0]), row_time(video.media, s.rows[1]), ids.get(s.label, -1)]
        for s in video.segments
    ]


def wrong_runs(video: LabelledVideo, truth: TruthScores) -> list[list[float]]:
    """[t0, t1] of every run of rows whose label differs from the labelled truth."""
    wrong = ((truth.target != -1) & (truth.target != video.track.labels)).astype(np.int64)
    return [r[:2] for r in label_runs(video.media, np.where(wrong == 1, 1, -1))]


def gates_payload(video: LabelledVideo) -> dict[str, Any] | None:
    """Bucketed gate traces on the player's clock (gate rows matched to track rows by frame)."""
    gates, track = video.gates, video.track
    if gates is None or not len(gates.frames) or not len(track):
        return None
    rows = np.clip(np.searchsorted(track.frame_indices, gates.frames), 0, len(track) - 1)
    return gate_traces(video.media.media_s[rows], gates.means())


def frame_numbering(video: LabelledVideo) -> dict[str, float] | None:
    """{"first", "step", "rate"} when row i is frame first + i*step and plays at i/rate."""
    frames = video.track.frame_indices
    if video.media.kind != "annotated" or len(frames) < 2:
        return None
    steps = np.diff(frames)
    if not np.all(steps == steps[0]):
        return None
    rate = len(frames) / video.media.end_s if video.media.end_s > 0 else 0.0
    return {"first": int(frames[0]), "step": int(steps[0]), "rate": round(rate, 6)}


def build_payload(
    video: LabelledVideo, truth: TruthScores | None, threshold: float
) -> dict[str, Any]:
    """Everything the script needs, JSON-ready."""
    track = video.track
    return {
        "name": video.name,
        "classes": video.classes,
        "colors": hex_colors(len(video.classes)),
        "duration": row_time(video.media, len(track)),
        "pred": prediction_runs(video),
        "truth": label_runs(video.media, truth.target) if truth is not None else None,
        "wrong": wrong_runs(video, truth) if truth is not None else None,
        "trace": track_traces(video.media.media_s, track.confidence, track.probs),
        "gates": gates_payload(video),
        "threshold": threshold,
        "frames": frame_numbering(video),
        "source_fps": video.media.source_fps,
    }

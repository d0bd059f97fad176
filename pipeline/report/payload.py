"""The JSON the page's script draws from: ribbons, traces, gates, all on the player's clock.

Ribbons are exact (one entry per run of labels); traces are bucketed (see `traces`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.segments import labels_to_segments
from pipeline.outputs.colors import class_colors
from pipeline.outputs.layout import relative_url
from pipeline.outputs.subtitles import cue_text
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


def even_rate(times: np.ndarray, tolerance) -> float | None:
    """The rate at which `times` step evenly (each within `tolerance(rate)` seconds of
    t0 + i / rate), or None when they do not."""
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    rate = (len(times) - 1) / float(times[-1] - times[0])
    rule = times[0] + np.arange(len(times)) / rate
    return rate if np.abs(rule - times).max() < tolerance(rate) else None


def row_table(video: LabelledVideo) -> dict[str, Any]:
    """Each track row's frame number and player time, so the page names the frame under the
    playhead and steps frame by frame on either video (the annotated one or the source, whose
    pts may be irregular). Regular rows are sent as a rule ({"first", "step", "t0", "rate"}:
    row i is frame first + i*step, playing from t0 + i/rate), others as the two lists."""
    frames, media_s = video.track.frame_indices, video.media.media_s
    if len(frames) < 2:
        return {"frame": [int(f) for f in frames], "t": [row_time(video.media, 0)][: len(frames)]}
    steps = np.diff(frames)
    rate = even_rate(media_s, lambda rate: 0.25 / rate)  # within a quarter frame
    regular = rate is not None and bool(np.all(steps == steps[0]))
    if regular:
        return {
            "first": int(frames[0]),
            "step": int(steps[0]),
            "t0": round(float(media_s[0]), 6),
            "rate": round(rate, 6),
            "count": len(frames),
        }
    return {
        "frame": frames.astype(int).tolist(),
        "t": [round(float(t), TIME_DECIMALS) for t in media_s],
    }


def _time_rule(values: np.ndarray) -> dict[str, Any]:
    """{"t0", "rate"} when `values` step evenly (within a microsecond), else {"t": [...]}."""
    rate = even_rate(values, lambda _: 1e-6)
    if rate is not None:
        return {"t0": round(float(values[0]), 9), "rate": rate}
    return {"t": [round(float(t), 6) for t in values]}


def track_key(video: LabelledVideo) -> str:
    """Names this labelling of the video: corrections saved in the page belong to it, and a
    relabelled video (another model, other labels) starts with none."""
    digest = hashlib.blake2b(digest_size=6)
    digest.update("\n".join(video.classes).encode())
    digest.update(np.ascontiguousarray(video.track.labels, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(video.track.frame_indices, dtype=np.int64).tobytes())
    return digest.hexdigest()


def edit_payload(video: LabelledVideo) -> dict[str, Any]:
    """What the page's editor starts from and writes back: the segments as row ranges, each
    row's source pts (the seconds columns of NAME.corrected.csv) and the ends of the last
    segment as segments.csv writes them."""
    ids = {name: i for i, name in enumerate(video.classes)}
    last = video.segments[-1] if video.segments else None
    return {
        "key": track_key(video),
        "segments": [[s.rows[0], s.rows[1], ids.get(s.label, -1)] for s in video.segments],
        "pts": _time_rule(np.asarray(video.track.pts_s, dtype=np.float64)),
        "end_frame": last.end_frame if last else 0,
        "end_s": round(last.end_s, 6) if last else 0.0,
        "cut": ids.get("cut"),  # the shot model's one-frame transition: "add a cut"
    }


def fallback_url(video: LabelledVideo, page_dir: Path) -> str | None:
    """The source video recorded in segments.json, as a URL relative to the page, when the page
    plays another file (the annotated video): tried when that one cannot be loaded."""
    stored = video.meta.source
    if not isinstance(stored, str) or not stored:
        return None
    path = Path(stored) if Path(stored).is_absolute() else video.out_dir / stored
    if video.media.player is not None and path.resolve() == video.media.player.resolve():
        return None
    return relative_url(path, page_dir)


def subtitle_cues(video: LabelledVideo) -> list[list]:
    """[t0, t1, text] per segment, the cues of NAME.vtt on the player's clock. The page adds
    them as a text track itself: a page opened from file:// may not load a .vtt beside it."""
    return [
        [
            row_time(video.media, s.rows[0]),
            row_time(video.media, s.rows[1]),
            cue_text(s.label, s.mean_confidence),
        ]
        for s in video.segments
    ]


def build_payload(
    video: LabelledVideo, truth: TruthScores | None, threshold: float, page_dir: Path
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
        "rows": row_table(video),
        "source_fps": video.media.source_fps,
        "fallback": fallback_url(video, page_dir),
        "cues": subtitle_cues(video),
        "edit": edit_payload(video),
    }

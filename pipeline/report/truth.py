"""Ground truth for a labelled video, and how the labels score against it.

`--gt` is one annotation file in any format `pipeline.data.annotations.read_frame_labels`
reads (segments CSV in frames or seconds, with or without a video column; per-frame CSV;
MS-TCN .txt), or a dataset folder, where each video's file is found by `find_annotation`.
Scores come from the pure functions in `pipeline.core.metrics`, over labelled rows (frames the
truth leaves unlabeled are ignored).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.metrics import (
    IGNORE_INDEX,
    boundary_prf,
    confusion_matrix,
    per_class_prf,
    run_starts,
    sequence_metrics,
)
from pipeline.data.annotations import find_annotation, read_frame_labels
from pipeline.errors import AnnotationError, ConfigError
from pipeline.report.data import LabelledVideo

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 2  # rows either side within which a predicted boundary matches a true one


@dataclass(frozen=True)
class BoundaryScore:
    """Onsets of `name` (a class, or "all" of the boundary classes) scored one to one."""

    name: str
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


@dataclass(frozen=True)
class TruthScores:
    """The truth of one video on the track's rows, and every score against it."""

    path: Path
    target: np.ndarray  # (T,) int64 class id per track row, -1 unlabeled
    summary: dict[str, float]  # frame_accuracy, macro_f1 (0..1), edit, f1@k (0..100)
    per_class: dict[str, np.ndarray]  # precision, recall, f1, support: (C,) each
    confusion: np.ndarray  # (C, C) rows true, columns predicted
    boundaries: list[BoundaryScore]
    tolerance: int

    @property
    def labelled_rows(self) -> int:
        return int(np.sum(self.target != IGNORE_INDEX))


def annotation_for(gt: Path, name: str) -> Path | None:
    """The annotation file for video `name`: `gt` itself, or its entry in a dataset folder."""
    if gt.is_dir():
        return find_annotation(gt, name)
    if not gt.is_file():
        raise AnnotationError(
            f"--gt {gt} does not exist; expected an annotation file (segments CSV, per-frame "
            "CSV, MS-TCN .txt) or a dataset folder. Check the path."
        )
    return gt


def _source_frames(video: LabelledVideo) -> int:
    """Frames in the source video (its header, else counted), else the track's last frame + 1."""
    from pipeline.io.info import video_info

    last = int(video.track.frame_indices[-1]) + 1 if len(video.track) else 0
    source = video.media.source
    if source is None:
        return last
    info = video_info(source)
    frames = info.frames if info.frames else video_info(source, count=True).frames
    return max(int(frames or 0), last)


def read_truth(path: Path, video: LabelledVideo) -> np.ndarray:
    """The truth as (T,) class ids on the track's rows (-1 where unlabeled)."""
    num_frames = _source_frames(video)
    # Nominal frame times, as `label --gt` uses: exact for constant frame rate.
    pts_s = np.arange(num_frames) / float(video.media.source_fps or 25.0)
    gt = read_frame_labels(path, video.classes, num_frames, pts_s, video=video.name)
    if not len(video.track):
        return np.zeros(0, dtype=np.int64)
    return gt[np.clip(video.track.frame_indices, 0, len(gt) - 1)]


def default_boundary_classes(target: np.ndarray, classes: Sequence[str]) -> list[str]:
    """Every class but the most common one in the truth (the background events interrupt)."""
    labelled = target[target != IGNORE_INDEX]
    if labelled.size == 0:
        return []
    common = int(np.bincount(labelled, minlength=len(classes)).argmax())
    return [name for i, name in enumerate(classes) if i != common]


def boundary_scores(
    pred: np.ndarray, target: np.ndarray, ids: dict[str, int], tolerance: int
) -> list[BoundaryScore]:
    """Onset P/R/F1 per boundary class, then "all" (onsets of any of them), within +-tolerance."""
    masked = np.where(target == IGNORE_INDEX, IGNORE_INDEX, pred)  # unlabeled rows: no events
    groups = [(name, [k]) for name, k in ids.items()]
    if len(ids) > 1:
        groups.append(("all", list(ids.values())))
    scores = []
    for name, group in groups:
        s = boundary_prf(run_starts(masked, group), run_starts(target, group), tolerance)
        scores.append(
            BoundaryScore(name, s["precision"], s["recall"], s["f1"], s["tp"], s["fp"], s["fn"])
        )
    return scores


def score(
    pred: np.ndarray,
    target: np.ndarray,
    classes: Sequence[str],
    boundary_classes: Sequence[str] | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> tuple[dict, dict, np.ndarray, list[BoundaryScore]]:
    """(summary, per-class P/R/F1, confusion matrix, boundary scores) of `pred` vs `target`."""
    n = len(classes)
    names = (
        default_boundary_classes(target, classes) if boundary_classes is None else boundary_classes
    )
    unknown = [c for c in names if c not in classes]
    if unknown:
        raise ConfigError(
            f"boundary classes {unknown} are not among the model's classes {list(classes)}; "
            "pick from those"
        )
    ids = {c: list(classes).index(c) for c in names}
    return (
        sequence_metrics(pred, target, n),
        per_class_prf(pred, target, n),
        confusion_matrix(pred, target, n),
        boundary_scores(pred, target, ids, tolerance),
    )


def truth_scores(
    gt: Path,
    video: LabelledVideo,
    boundary_classes: Sequence[str] | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> TruthScores | None:
    """Read and score the truth of `video`; None when a dataset folder does not annotate it."""
    path = annotation_for(gt, video.name)
    if path is None:
        log.warning("%s: no annotation for %r; its report has no truth", gt, video.name)
        return None
    target = read_truth(path, video)
    summary, per_class, cm, bounds = score(
        video.track.labels, target, video.classes, boundary_classes, tolerance
    )
    return TruthScores(path, target, summary, per_class, cm, bounds, tolerance)


@dataclass(frozen=True)
class VideoReport:
    """One video's loaded outputs, its scores and the page written for it."""

    video: LabelledVideo
    truth: TruthScores | None
    page: Path

"""Frame and segment metrics for per-frame labelings: pure functions of integer arrays.

Every function takes `pred` and `target`, (T,) integer class ids of the same length, one per
frame. Frames whose target is -1 (unlabeled) are ignored everywhere: they count in no frame
metric, and for the segment metrics they are masked out of *both* sequences, so a gap in the
ground truth splits segments the same way on both sides and never costs an edit.

Segment metrics follow the MS-TCN evaluation (Abu Farha & Gall, CVPR 2019, `eval.py`):

- edit score: (1 - Levenshtein(P, Y) / max(|P|, |Y|)) * 100, where P and Y are the label
  sequences of the predicted and true segments;
- F1@k: a predicted segment is a true positive when its IoU with a true segment of the same
  label is >= k/100. Each predicted segment, in order, is matched greedily to the best-IoU
  true segment of its label that is still unmatched (MS-TCN takes the best over all true
  segments and counts a fp when that one is already taken; the two agree except when a
  prediction overlaps two true segments of its label);
- background classes can be left out of both with `ignore_labels`.

A metric with nothing to measure is NaN rather than a made-up 0 or 1: frame accuracy with no
labeled frame, edit with no segment on either side, F1 with tp + fp + fn == 0. `aggregate`
skips NaN videos when averaging. Note `json.dumps` writes NaN as a bare `NaN` token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from pipeline.core.segments import Segment, labels_to_segments

IGNORE_INDEX = -1
F1_THRESHOLDS = (10, 25, 50)


def _check_pair(
    pred: np.ndarray | Sequence[int], target: np.ndarray | Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Both as 1-D int64 arrays of equal length; ValueError naming the shapes otherwise."""
    p, t = np.asarray(pred), np.asarray(target)
    if p.ndim != 1 or t.ndim != 1 or p.shape != t.shape:
        raise ValueError(f"pred and target must both be (T,), got {p.shape} and {t.shape}")
    return p.astype(np.int64, copy=False), t.astype(np.int64, copy=False)


def _ratio(num: float, den: float) -> float:
    """num / den, NaN when den == 0 (nothing to measure)."""
    return float(num) / float(den) if den else float("nan")


def frame_accuracy(pred: np.ndarray, target: np.ndarray) -> float:
    """Fraction (0..1) of labeled frames whose predicted label equals the target."""
    p, t = _check_pair(pred, target)
    keep = t != IGNORE_INDEX
    return _ratio(int(np.sum(p[keep] == t[keep])), int(keep.sum()))


def confusion_matrix(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) int64 counts over labeled frames: row = true class, column = predicted class."""
    p, t = _check_pair(pred, target)
    keep = t != IGNORE_INDEX
    p, t = p[keep], t[keep]
    for name, arr in (("pred", p), ("target", t)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(
                f"{name} holds class ids in [{arr.min()}, {arr.max()}], "
                f"expected 0..{num_classes - 1} (num_classes={num_classes})"
            )
    flat = t * num_classes + p  # one bin per (true, predicted) pair
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _prf_from_confusion(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 (NaN where undefined) and support from a confusion matrix."""
    tp = np.diag(cm).astype(np.float64)
    pred_count = cm.sum(axis=0).astype(np.float64)  # frames predicted as each class
    support = cm.sum(axis=1)  # frames truly of each class
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(pred_count > 0, tp / pred_count, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        # 2tp / (2tp + fp + fn) == 2PR / (P + R); 0 when the class is in only one of the two.
        denom = pred_count + support
        f1 = np.where(denom > 0, 2 * tp / denom, np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def per_class_prf(pred: np.ndarray, target: np.ndarray, num_classes: int) -> dict[str, np.ndarray]:
    """Frame-level precision, recall, F1 and support per class, each a (C,) array.

    Precision is NaN for a class never predicted, recall NaN for a class absent from the
    target, F1 NaN for a class absent from both (0 when present in only one).
    """
    return _prf_from_confusion(confusion_matrix(pred, target, num_classes))


def macro_f1(pred: np.ndarray, target: np.ndarray, num_classes: int) -> float:
    """Mean frame-level F1 (0..1) over the classes present in the target or the prediction."""
    return _nanmean(per_class_prf(pred, target, num_classes)["f1"])


def _nanmean(values: np.ndarray | list[float]) -> float:
    """Mean of the non-NaN values; NaN (without numpy's warning) when there are none."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def _segment_lists(
    pred: np.ndarray, target: np.ndarray, ignore_labels: Iterable[int]
) -> tuple[list[Segment], list[Segment]]:
    """Segments of pred and target, unlabeled target frames masked out of both."""
    p, t = _check_pair(pred, target)
    p = np.where(t == IGNORE_INDEX, IGNORE_INDEX, p)
    drop = {IGNORE_INDEX, *ignore_labels}
    p_segs = [s for s in labels_to_segments(p) if s.label not in drop]
    t_segs = [s for s in labels_to_segments(t) if s.label not in drop]
    return p_segs, t_segs


def levenshtein(a: Sequence[int], b: Sequence[int]) -> int:
    """Edit distance (insert, delete, substitute; all cost 1) between two label sequences.

    One numpy pass per element of the shorter sequence: within a row, the insertion chain
    D[i, j] = min_k (tmp[k] + j - k) is a running minimum, so a row needs no Python loop.
    """
    long_seq, short_seq = np.asarray(a), np.asarray(b)
    if len(long_seq) < len(short_seq):
        long_seq, short_seq = short_seq, long_seq
    cols = np.arange(len(long_seq) + 1)
    row = cols.astype(np.int64)  # distance from the empty prefix
    for i, label in enumerate(short_seq, start=1):
        cost = (long_seq != label).astype(np.int64)
        tmp = np.empty_like(row)
        tmp[0] = i
        tmp[1:] = np.minimum(row[1:] + 1, row[:-1] + cost)  # deletion, substitution/match
        row = np.minimum.accumulate(tmp - cols) + cols  # insertions along the row
    return int(row[-1])


def edit_score(pred: np.ndarray, target: np.ndarray, ignore_labels: Iterable[int] = ()) -> float:
    """Segmental edit score (0..100): 100 means the same order of segment labels."""
    p_segs, t_segs = _segment_lists(pred, target, ignore_labels)
    longest = max(len(p_segs), len(t_segs))
    if longest == 0:
        return float("nan")
    dist = levenshtein([s.label for s in p_segs], [s.label for s in t_segs])
    return (1.0 - dist / longest) * 100.0


def segment_counts(
    pred: np.ndarray, target: np.ndarray, k: float, ignore_labels: Iterable[int] = ()
) -> tuple[int, int, int]:
    """(tp, fp, fn) of predicted segments at IoU threshold k/100 (the counts behind F1@k)."""
    p_segs, t_segs = _segment_lists(pred, target, ignore_labels)
    t_start = np.array([s.start for s in t_segs], dtype=np.float64)
    t_end = np.array([s.end for s in t_segs], dtype=np.float64)
    t_label = np.array([s.label for s in t_segs], dtype=np.int64)
    matched = np.zeros(len(t_segs), dtype=bool)
    tp = 0
    for seg in p_segs:
        inter = np.minimum(seg.end, t_end) - np.maximum(seg.start, t_start)
        union = np.maximum(seg.end, t_end) - np.minimum(seg.start, t_start)
        iou = np.where((t_label == seg.label) & ~matched, inter / union, -1.0)
        if iou.size and iou.max() >= k / 100.0:
            matched[int(iou.argmax())] = True
            tp += 1
    return tp, len(p_segs) - tp, len(t_segs) - tp


def _f1_from_counts(tp: int, fp: int, fn: int) -> float:
    """F1 (0..100) from segment counts; NaN when there is no segment on either side."""
    return _ratio(200.0 * tp, 2 * tp + fp + fn)


def f1_at_k(
    pred: np.ndarray, target: np.ndarray, k: float, ignore_labels: Iterable[int] = ()
) -> float:
    """Segmental F1 (0..100) at IoU threshold k/100 (k = 10, 25, 50 in the literature)."""
    return _f1_from_counts(*segment_counts(pred, target, k, ignore_labels))


def sequence_metrics(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_labels: Iterable[int] = ()
) -> dict[str, float]:
    """The report for one video: frame_accuracy and macro_f1 (0..1), edit and f1@k (0..100)."""
    ignore = tuple(ignore_labels)
    out = {
        "frame_accuracy": frame_accuracy(pred, target),
        "macro_f1": macro_f1(pred, target, num_classes),
        "edit": edit_score(pred, target, ignore),
    }
    for k in F1_THRESHOLDS:
        out[f"f1@{k}"] = f1_at_k(pred, target, k, ignore)
    return out


def aggregate(
    videos: Iterable[tuple[np.ndarray, np.ndarray]],
    num_classes: int,
    ignore_labels: Iterable[int] = (),
) -> dict[str, float]:
    """Dataset-level metrics over (pred, target) pairs, pooled the MS-TCN way.

    Frame accuracy and macro F1 pool all labeled frames (summed confusion matrices); edit is
    the mean over videos (videos with no segment skipped); F1@k comes from tp/fp/fn summed
    over videos. Also returns `videos` and `frames` (labeled frames counted).
    """
    ignore = tuple(ignore_labels)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    counts = {k: np.zeros(3, dtype=np.int64) for k in F1_THRESHOLDS}
    edits: list[float] = []
    for pred, target in videos:
        cm += confusion_matrix(pred, target, num_classes)
        edits.append(edit_score(pred, target, ignore))
        for k in F1_THRESHOLDS:
            counts[k] += segment_counts(pred, target, k, ignore)
    frames = int(cm.sum())
    out = {
        "frame_accuracy": _ratio(np.trace(cm), frames),
        "macro_f1": _nanmean(_prf_from_confusion(cm)["f1"]),
        "edit": _nanmean(edits),
    }
    for k in F1_THRESHOLDS:
        out[f"f1@{k}"] = _f1_from_counts(*(int(c) for c in counts[k]))
    out["videos"] = len(edits)
    out["frames"] = frames
    return out


def boundary_prf(
    pred_boundaries: Sequence[int] | np.ndarray,
    true_boundaries: Sequence[int] | np.ndarray,
    tolerance: int,
) -> dict[str, float]:
    """Score detected events (e.g. transition frames) against true ones, within +-tolerance.

    Matching is one-to-one: each true event explains at most one detection. Both lists are
    sorted and walked together, which finds a maximum matching because every detection can
    match only a contiguous, monotonically moving window of true events.

    Returns:
        precision, recall, f1 (0..1, NaN when their denominator is 0), and tp, fp, fn.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 frames, got {tolerance}")
    pred = np.sort(np.asarray(pred_boundaries, dtype=np.int64).ravel())
    true = np.sort(np.asarray(true_boundaries, dtype=np.int64).ravel())
    i = j = tp = 0
    while i < len(pred) and j < len(true):
        if abs(int(pred[i]) - int(true[j])) <= tolerance:
            tp, i, j = tp + 1, i + 1, j + 1
        elif pred[i] < true[j]:
            i += 1  # this detection is too early for every remaining true event
        else:
            j += 1  # this true event is too early for every remaining detection
    fp, fn = len(pred) - tp, len(true) - tp
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def run_starts(labels: np.ndarray | Sequence[int], label_ids: Iterable[int]) -> np.ndarray:
    """Positions (int64) where a run of any of `label_ids` begins: the events that
    `boundary_prf` scores (e.g. the first frame of each cut/gradual run).

    Neighbouring runs of two different ids in `label_ids` form one run, as in a cut that
    opens a dissolve. Position 0 counts when the sequence starts inside such a run.
    """
    arr = np.asarray(labels, dtype=np.int64).ravel()
    inside = np.isin(arr, np.fromiter(label_ids, dtype=np.int64))  # (T,)
    before = np.concatenate(([False], inside[:-1]))  # (T,) was the previous position inside
    return np.flatnonzero(inside & ~before).astype(np.int64)

"""What deserves a human look: low-confidence stretches and disagreements with the truth.

A stretch is a maximal run of flagged rows (confidence under a threshold, or label != truth),
with runs closer than `merge_gap` rows joined. Low-confidence stretches rank by their
confidence deficit (sum of threshold - confidence: long and deep dips first), disagreements by
length. Pure numpy; the page turns each item into a thumbnail and a seek link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.core.metrics import IGNORE_INDEX

LOW_CONFIDENCE = 0.6
MERGE_GAP = 3  # rows: dips this close together are one thing to look at
MAX_ITEMS = 6  # per kind: a thumbnail each, so few


@dataclass(frozen=True)
class ReviewItem:
    """One stretch to look at: rows [start, end) of the track."""

    kind: str  # "low confidence" or "disagreement"
    start: int
    end: int  # exclusive
    score: float  # ranking key, larger first
    thumb_row: int  # the row shown as a thumbnail
    # (predicted id, true id) pairs in the flagged rows, commonest first; true id -1 for
    # low-confidence stretches (no truth involved)
    pairs: tuple[tuple[int, int], ...]
    mean_confidence: float


def flagged_runs(flags: np.ndarray, merge_gap: int = MERGE_GAP) -> list[tuple[int, int]]:
    """[start, end) of the runs of True in `flags` (T,), runs under `merge_gap` apart joined."""
    padded = np.concatenate(([False], flags.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])  # alternating starts and ends
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] < merge_gap:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def label_pairs(pred: np.ndarray, truth: np.ndarray | None = None) -> tuple[tuple[int, int], ...]:
    """Distinct (predicted, true) pairs of the given rows, commonest first (ties: first seen)."""
    true = np.full_like(pred, IGNORE_INDEX) if truth is None else truth
    pairs, first, counts = np.unique(
        np.stack([pred, true], axis=1), axis=0, return_index=True, return_counts=True
    )  # (P, 2), (P,), (P,)
    order = np.lexsort((first, -counts))
    return tuple((int(pairs[i, 0]), int(pairs[i, 1])) for i in order)


def low_confidence(
    labels: np.ndarray, confidence: np.ndarray, threshold: float = LOW_CONFIDENCE
) -> list[ReviewItem]:
    """Stretches where the written label's probability is under `threshold`, deepest first."""
    items = []
    for start, end in flagged_runs(confidence < threshold):
        conf = confidence[start:end]
        items.append(
            ReviewItem(
                kind="low confidence",
                start=start,
                end=end,
                score=float(np.clip(threshold - conf, 0, None).sum()),
                thumb_row=start + int(conf.argmin()),
                pairs=label_pairs(labels[start:end]),
                mean_confidence=float(conf.mean()),
            )
        )
    return sorted(items, key=lambda it: (-it.score, it.start))


def disagreements(
    labels: np.ndarray, confidence: np.ndarray, target: np.ndarray
) -> list[ReviewItem]:
    """Stretches where the label differs from the (labelled) truth, longest first."""
    wrong = (target != IGNORE_INDEX) & (labels != target)
    items = []
    for start, end in flagged_runs(wrong):
        rows = np.flatnonzero(wrong[start:end]) + start  # the wrong rows inside the stretch
        items.append(
            ReviewItem(
                kind="disagreement",
                start=start,
                end=end,
                score=float(len(rows)),
                thumb_row=int(rows[len(rows) // 2]),
                pairs=label_pairs(labels[rows], target[rows]),
                mean_confidence=float(confidence[rows].mean()),
            )
        )
    return sorted(items, key=lambda it: (-it.score, it.mean_confidence, it.start))


def review_items(
    labels: np.ndarray,
    confidence: np.ndarray,
    target: np.ndarray | None,
    threshold: float = LOW_CONFIDENCE,
    max_items: int = MAX_ITEMS,
) -> list[ReviewItem]:
    """The top `max_items` disagreements (with truth) then the top low-confidence stretches."""
    found: Sequence[ReviewItem] = []
    if target is not None:
        found = disagreements(labels, confidence, target)[:max_items]
    # a low-confidence stretch that overlaps a disagreement card already shown is the same
    # moment: it is left out so each card shows something new
    shown = [(it.start, it.end) for it in found]
    fresh = [
        it
        for it in low_confidence(labels, confidence, threshold)
        if not any(it.start < end and start < it.end for start, end in shown)
    ]
    return [*found, *fresh[:max_items]]

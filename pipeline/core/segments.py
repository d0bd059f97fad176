"""Per-frame label sequences <-> segments (runs of equal labels), and offline smoothing.

Pure numpy, no video or model code: the writers, the metrics and the annotation readers all
share these three functions so that "what a segment is" is defined in one place.

A segment is a half-open interval of *positions* in a label sequence: `start` inclusive,
`end` exclusive. Positions are row indices of the array handed in; when the sequence holds
one label per decoded frame they are frame indices.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segment:
    """One run of equal labels: positions `start` (inclusive) to `end` (exclusive)."""

    start: int  # first position (row index in the label sequence), inclusive
    end: int  # exclusive
    label: int

    @property
    def length(self) -> int:
        """Number of positions in the segment."""
        return self.end - self.start


def _as_label_array(labels: np.ndarray | Sequence[int]) -> np.ndarray:
    """Return `labels` as a 1-D int64 array; ValueError (a programming error) otherwise."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D (T,), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _run_bounds(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) positions of each run of equal values in `arr`."""
    if arr.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # A run starts at 0 and wherever the value differs from the previous one.
    change = np.flatnonzero(arr[1:] != arr[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    ends = np.concatenate((change, [arr.size])).astype(np.int64)
    return starts, ends


def labels_to_segments(
    labels: np.ndarray | Sequence[int], ignore_index: int | None = None
) -> list[Segment]:
    """Split a label sequence into runs of equal labels.

    Args:
        labels: (T,) integer labels, one per position.
        ignore_index: when given, runs of this label (e.g. -1 = unlabeled) are dropped, so the
            returned segments may leave gaps.

    Returns:
        Segments in order of position; adjacent segments always differ in label unless a run
        of `ignore_index` separated them.
    """
    arr = _as_label_array(labels)
    starts, ends = _run_bounds(arr)
    segments = [Segment(int(s), int(e), int(arr[s])) for s, e in zip(starts, ends, strict=True)]
    if ignore_index is not None:
        segments = [seg for seg in segments if seg.label != ignore_index]
    return segments


def segments_to_labels(segments: Sequence[Segment], length: int, fill: int = -1) -> np.ndarray:
    """Paint segments into a (length,) int64 label array; positions in no segment get `fill`.

    Segments are painted in the order given, so a later one wins where two overlap (readers
    that must reject overlaps check before calling this). Segments are clipped to [0, length).
    """
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    out = np.full(length, fill, dtype=np.int64)
    for seg in segments:
        start, end = max(seg.start, 0), min(seg.end, length)
        if end > start:
            out[start:end] = seg.label
    return out


class _Runs:
    """Runs as a doubly linked list, so merging is O(1) and indices stay stable."""

    def __init__(self, arr: np.ndarray) -> None:
        starts, ends = _run_bounds(arr)
        n = len(starts)
        self.start = starts.tolist()
        self.length = (ends - starts).tolist()
        self.label = arr[starts].tolist() if n else []
        self.prev = list(range(-1, n - 1))
        self.next = [*range(1, n), -1]
        self.alive = [True] * n
        self.version = [0] * n  # bumped on every change, to skip stale heap entries

    def absorb(self, keep: int, gone: int) -> None:
        """Merge run `gone` into its neighbour `keep` (which takes over its positions)."""
        self.start[keep] = min(self.start[keep], self.start[gone])
        self.length[keep] += self.length[gone]
        self.alive[gone] = False
        p, n = self.prev[gone], self.next[gone]
        if p != -1:
            self.next[p] = n
        if n != -1:
            self.prev[n] = p
        self.version[keep] += 1


def merge_short_segments(labels: np.ndarray, min_frames: int) -> np.ndarray:
    """Offline smoothing: absorb every run shorter than `min_frames` into a neighbour.

    A short run takes the label of its longer neighbour (ties: the previous one); a run at
    either end has only one neighbour. Runs are processed shortest first (ties: earliest),
    and neighbours that end up with equal labels fuse, until no run is shorter than
    `min_frames` or only one run is left. Shortest-first keeps a 1-frame flicker from being
    resolved by a neighbour that is itself about to disappear. O(R log R) for R runs.

    Args:
        labels: (T,) integer labels.
        min_frames: minimum run length to keep; <= 1 returns the input unchanged.

    Returns:
        A new (T,) int64 array (or `labels` itself when `min_frames <= 1`).
    """
    if min_frames <= 1:
        return labels
    arr = _as_label_array(labels)
    runs = _Runs(arr)
    heap = [(ln, st, i, 0) for i, (ln, st) in enumerate(zip(runs.length, runs.start, strict=True))]
    heapq.heapify(heap)
    while heap:
        length, _, i, version = heapq.heappop(heap)
        if not runs.alive[i] or version != runs.version[i]:
            continue  # stale entry: the run has been absorbed or has grown since
        if length >= min_frames:
            break  # the shortest live run is long enough, so every run is
        p, n = runs.prev[i], runs.next[i]
        if p == -1 and n == -1:
            break  # a single run covers everything; nothing to merge into
        keep = p if n == -1 or (p != -1 and runs.length[p] >= runs.length[n]) else n
        runs.absorb(keep, i)
        # The absorbed run may have separated two runs of the same label: fuse them.
        other = runs.next[keep] if keep == p else runs.prev[keep]
        if other != -1 and runs.label[other] == runs.label[keep]:
            runs.absorb(keep, other)
        heapq.heappush(heap, (runs.length[keep], runs.start[keep], keep, runs.version[keep]))
    return _paint_runs(runs, arr.size)


def _paint_runs(runs: _Runs, length: int) -> np.ndarray:
    """Expand the live runs back into a (length,) int64 label array."""
    out = np.empty(length, dtype=np.int64)
    for i, alive in enumerate(runs.alive):
        if alive:
            out[runs.start[i] : runs.start[i] + runs.length[i]] = runs.label[i]
    return out

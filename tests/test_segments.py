"""Label sequences <-> segments, and the offline short-segment merge."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.segments import (
    Segment,
    labels_to_segments,
    merge_short_segments,
    segments_to_labels,
)


def test_labels_to_segments_runs_with_exclusive_ends() -> None:
    segs = labels_to_segments(np.array([3, 3, 1, 1, 1, 3]))
    assert segs == [Segment(0, 2, 3), Segment(2, 5, 1), Segment(5, 6, 3)]
    assert [s.length for s in segs] == [2, 3, 1]


def test_labels_to_segments_accepts_lists_and_empty() -> None:
    assert labels_to_segments([7]) == [Segment(0, 1, 7)]
    assert labels_to_segments([]) == []
    assert labels_to_segments(np.zeros(0, dtype=np.int64)) == []


def test_labels_to_segments_drops_ignored_runs_but_keeps_positions() -> None:
    segs = labels_to_segments([-1, -1, 0, 0, -1, 0, 2], ignore_index=-1)
    # the -1 gap splits the zeros into two segments; positions stay those of the input
    assert segs == [Segment(2, 4, 0), Segment(5, 6, 0), Segment(6, 7, 2)]


def test_labels_to_segments_rejects_non_1d() -> None:
    with pytest.raises(ValueError, match=r"\(T,\)"):
        labels_to_segments(np.zeros((2, 3), dtype=np.int64))


def test_segments_to_labels_fills_gaps_and_round_trips() -> None:
    labels = np.array([0, 0, 4, 4, 4, 1])
    assert np.array_equal(segments_to_labels(labels_to_segments(labels), 6), labels)
    out = segments_to_labels([Segment(1, 3, 2), Segment(4, 9, 5)], 6, fill=-1)
    assert out.dtype == np.int64
    assert out.tolist() == [-1, 2, 2, -1, 5, 5]  # the second segment is clipped at 6


def test_merge_short_segments_below_two_is_identity() -> None:
    labels = np.array([0, 1, 0, 1])
    assert merge_short_segments(labels, 1) is labels
    assert merge_short_segments(labels, 0) is labels


def test_merge_takes_longer_neighbour() -> None:
    # runs: 0 x3, 1 x1, 2 x2. min 2: the 1-run's neighbours have lengths 3 and 2 -> label 0.
    out = merge_short_segments(np.array([0, 0, 0, 1, 2, 2]), 2)
    assert out.tolist() == [0, 0, 0, 0, 2, 2]


def test_merge_tie_goes_to_previous() -> None:
    # runs: 0 x2, 1 x1, 2 x2; both neighbours have length 2 -> the previous one (0) wins.
    out = merge_short_segments(np.array([0, 0, 1, 2, 2]), 2)
    assert out.tolist() == [0, 0, 0, 2, 2]


def test_merge_edge_run_takes_its_only_neighbour() -> None:
    out = merge_short_segments(np.array([5, 1, 1, 1]), 2)
    assert out.tolist() == [1, 1, 1, 1]


def test_merge_fuses_equal_neighbours_and_repeats_until_stable() -> None:
    # runs: 0 x3, 1 x1, 0 x1, 2 x4. min 3, shortest first (earliest on ties):
    # the 1-run (len 1) joins the 0 x3 before it (3 > 1) and fuses with the 0 x1 -> 0 x5;
    # no run is then shorter than 3.
    out = merge_short_segments(np.array([0, 0, 0, 1, 0, 2, 2, 2, 2]), 3)
    assert out.tolist() == [0, 0, 0, 0, 0, 2, 2, 2, 2]


def test_merge_flicker_everywhere_leaves_only_long_runs() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=2000)
    out = merge_short_segments(labels, 5)
    lengths = [s.length for s in labels_to_segments(out)]
    assert min(lengths) >= 5
    assert len(out) == len(labels)
    assert set(np.unique(out)) <= set(np.unique(labels))


def test_merge_single_short_run_is_kept() -> None:
    assert merge_short_segments(np.array([2, 2]), 5).tolist() == [2, 2]
    assert merge_short_segments(np.zeros(0, dtype=np.int64), 5).tolist() == []

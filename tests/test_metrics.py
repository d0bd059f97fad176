"""Metrics on hand-worked examples: the expected numbers are worked out in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.core.metrics import (
    aggregate,
    boundary_prf,
    confusion_matrix,
    edit_score,
    f1_at_k,
    frame_accuracy,
    levenshtein,
    macro_f1,
    per_class_prf,
    run_starts,
    segment_counts,
    sequence_metrics,
)

A = np.asarray


def test_frame_accuracy_ignores_unlabeled_frames() -> None:
    # labeled frames 0..3; correct at 0, 1, 3 -> 3/4 (frames 4, 5 have target -1)
    assert frame_accuracy(A([0, 1, 1, 2, 2, 0]), A([0, 1, 2, 2, -1, -1])) == 0.75


def test_confusion_matrix_rows_true_columns_predicted() -> None:
    cm = confusion_matrix(A([0, 1, 1, 2, 0]), A([0, 1, 2, 2, -1]), 3)
    # true 0 -> pred 0; true 1 -> pred 1; true 2 -> pred 1 once, pred 2 once; last frame ignored
    assert cm.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_per_class_prf_and_macro_f1() -> None:
    pred, target = A([0, 1, 1, 2]), A([0, 1, 2, 2])
    prf = per_class_prf(pred, target, 4)
    # class 0: tp 1 of 1 predicted, 1 true -> P 1, R 1, F1 1
    # class 1: tp 1, predicted 2, true 1 -> P 1/2, R 1, F1 = 2*1/(2+1) = 2/3
    # class 2: tp 1, predicted 1, true 2 -> P 1, R 1/2, F1 2/3
    # class 3: absent from both -> NaN everywhere, support 0
    np.testing.assert_allclose(prf["precision"][:3], [1, 0.5, 1])
    np.testing.assert_allclose(prf["recall"][:3], [1, 1, 0.5])
    np.testing.assert_allclose(prf["f1"][:3], [1, 2 / 3, 2 / 3])
    assert np.isnan(prf["precision"][3]) and np.isnan(prf["f1"][3])
    assert prf["support"].tolist() == [1, 1, 2, 0]
    # macro over the classes present in target or pred: (1 + 2/3 + 2/3) / 3 = 7/9
    assert macro_f1(pred, target, 4) == pytest.approx(7 / 9)


def test_class_only_in_prediction_counts_as_zero_in_macro_f1() -> None:
    # class 0: tp 1, predicted 1, true 2 -> F1 = 2/(1+2) = 2/3; class 1: predicted once, never
    # true -> F1 0 (recall NaN). Macro = (2/3 + 0) / 2 = 1/3.
    prf = per_class_prf(A([0, 1]), A([0, 0]), 2)
    assert np.isnan(prf["recall"][1]) and prf["f1"][1] == 0
    assert macro_f1(A([0, 1]), A([0, 0]), 2) == pytest.approx(1 / 3)


def test_edit_perfect_and_over_segmentation() -> None:
    target = A([0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert edit_score(target, target) == 100.0
    # pred segments A B A B C vs true A B C: 2 deletions -> (1 - 2/5) * 100 = 60
    pred = A([0, 0, 1, 0, 1, 1, 2, 2, 2])
    assert edit_score(pred, target) == pytest.approx(60.0)
    # frames 2 and 3 are wrong: accuracy stays at 7/9 while edit drops to 60
    assert frame_accuracy(pred, target) == pytest.approx(7 / 9)


def test_f1_at_k_thresholds() -> None:
    target = A([0] * 10 + [1] * 10)  # true [0,10) label 0, [10,20) label 1
    pred = A([0] * 4 + [1] * 16)  # pred [0,4) label 0, [4,20) label 1
    # IoU: 4/10 = 0.4 for label 0, 10/16 = 0.625 for label 1
    assert f1_at_k(pred, target, 10) == 100.0
    assert f1_at_k(pred, target, 25) == 100.0
    # k=50: only label 1 matches: tp 1, fp 1, fn 1 -> P = R = 1/2 -> F1 50
    assert segment_counts(pred, target, 50) == (1, 1, 1)
    assert f1_at_k(pred, target, 50) == pytest.approx(50.0)


def test_f1_matches_each_true_segment_once() -> None:
    target = A([0] * 10)
    pred = A([0] * 5 + [1] + [0] * 4)  # segments 0:[0,5) 1:[5,6) 0:[6,10)
    # first 0 (IoU 5/10) takes the true segment; the second 0 finds it taken -> fp;
    # label 1 has no true segment -> fp. tp 1, fp 2, fn 0 -> P 1/3, R 1 -> F1 = 0.5 -> 50
    assert segment_counts(pred, target, 10) == (1, 2, 0)
    assert f1_at_k(pred, target, 10) == pytest.approx(50.0)
    # edit: [0, 1, 0] vs [0] -> distance 2 of 3 -> 33.3
    assert edit_score(pred, target) == pytest.approx(100 / 3)


def test_ignore_labels_excludes_background() -> None:
    target, pred = A([0, 0, 1, 1, 0, 0]), A([0, 0, 1, 1, 1, 1])
    # with background 0: true 0 1 0, pred 0 1 -> distance 1 of 3 -> 66.7
    assert edit_score(pred, target) == pytest.approx(200 / 3)
    # F1@50: 0:[0,2) IoU 1 tp; 1:[2,6) vs [2,4) IoU 2/4 = 0.5 >= 0.5 tp; true 0:[4,6) fn
    # -> 2*2 / (2*2 + 0 + 1) = 80
    assert f1_at_k(pred, target, 50) == pytest.approx(80.0)
    # without background both are just [1]
    assert edit_score(pred, target, ignore_labels=(0,)) == 100.0
    assert f1_at_k(pred, target, 50, ignore_labels=(0,)) == 100.0


def test_unlabeled_target_frames_are_masked_from_both_sides() -> None:
    target, pred = A([0, 0, -1, -1, 0, 0]), A([0, 0, 1, 1, 0, 0])
    # pred's 1s sit on unlabeled frames: both sides become 0 | gap | 0 -> perfect
    assert frame_accuracy(pred, target) == 1.0
    assert edit_score(pred, target) == 100.0
    assert f1_at_k(pred, target, 50) == 100.0


def test_empty_prediction_scores_zero() -> None:
    # everything predicted as background, which is excluded: no predicted segment at all
    target, pred = A([0, 1, 1, 0]), A([0, 0, 0, 0])
    assert edit_score(pred, target, ignore_labels=(0,)) == 0.0  # (1 - 1/1) * 100
    assert segment_counts(pred, target, 10, ignore_labels=(0,)) == (0, 0, 1)
    assert f1_at_k(pred, target, 10, ignore_labels=(0,)) == 0.0


def test_single_segment_right_and_wrong() -> None:
    target = A([2] * 5)
    assert sequence_metrics(target, target, 3) == {
        "frame_accuracy": 1.0,
        "macro_f1": 1.0,
        "edit": 100.0,
        "f1@10": 100.0,
        "f1@25": 100.0,
        "f1@50": 100.0,
    }
    wrong = sequence_metrics(A([1] * 5), target, 3)
    # one substitution of one segment -> edit 0; tp 0, fp 1, fn 1 -> F1 0
    assert wrong["edit"] == 0.0 and wrong["f1@50"] == 0.0 and wrong["frame_accuracy"] == 0.0


def test_nothing_to_measure_is_nan() -> None:
    all_ignored = A([-1, -1, -1])
    metrics = sequence_metrics(A([0, 1, 1]), all_ignored, 2)
    assert all(math.isnan(v) for v in metrics.values()), metrics
    assert confusion_matrix(A([0, 1, 1]), all_ignored, 2).sum() == 0
    empty = np.zeros(0, dtype=np.int64)
    assert math.isnan(frame_accuracy(empty, empty)) and math.isnan(edit_score(empty, empty))


def test_aggregate_pools_counts_the_ms_tcn_way() -> None:
    v1 = (A([0, 0, 1, 1]), A([0, 0, 1, 1]))  # perfect: 4/4 frames, edit 100, tp 2
    v2 = (A([0, 1, 0, 1, 0, 0]), A([0] * 6))
    # v2: pred segments 0[0,1) 1[1,2) 0[2,3) 1[3,4) 0[4,6) vs true 0[0,6); 4/6 frames right
    # edit: 4 deletions of 5 -> 20. IoUs of the 0s: 1/6, 1/6, 2/6.
    # F1@10: first 0 matches -> tp 1, fp 4;  F1@25: only 0[4,6) -> tp 1, fp 4;
    # F1@50: nothing -> tp 0, fp 5, fn 1.
    out = aggregate([v1, v2], num_classes=2)
    assert out["frame_accuracy"] == pytest.approx(8 / 10)  # pooled frames, not mean of 1, 2/3
    assert out["edit"] == pytest.approx(60.0)  # mean of 100 and 20
    # summed counts: tp 3, fp 4, fn 0 -> 2*3 / (6 + 4) = 60 (mean of per-video F1 would be 66.7)
    assert out["f1@10"] == pytest.approx(60.0)
    assert out["f1@25"] == pytest.approx(60.0)
    # tp 2, fp 5, fn 1 -> 4 / 10 = 40
    assert out["f1@50"] == pytest.approx(40.0)
    # pooled confusion [[6, 2], [0, 2]]: F1_0 = 12/14, F1_1 = 4/6 -> mean 16/21
    assert out["macro_f1"] == pytest.approx(16 / 21)
    assert (out["videos"], out["frames"]) == (2, 10)


def test_levenshtein_matches_textbook_dynamic_programme() -> None:
    def reference(a: list[int], b: list[int]) -> int:
        d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, sub)
        return d[-1][-1]

    assert levenshtein([1, 2, 3], [2, 3, 4]) == 2  # delete 1, insert 4
    rng = np.random.default_rng(1)
    for _ in range(200):
        a = rng.integers(0, 3, rng.integers(0, 9)).tolist()
        b = rng.integers(0, 3, rng.integers(0, 9)).tolist()
        assert levenshtein(a, b) == reference(a, b), (a, b)


def test_boundary_prf_one_to_one_within_tolerance() -> None:
    # 10<->11 and 31<->30 match (|d| <= 1); 20 is a false alarm, 50 is missed
    out = boundary_prf([10, 20, 31], [11, 30, 50], tolerance=1)
    assert (out["tp"], out["fp"], out["fn"]) == (2, 1, 1)
    assert out["precision"] == out["recall"] == out["f1"] == pytest.approx(2 / 3)
    # two detections near one true event: only one may claim it
    assert boundary_prf([10, 11], [10], tolerance=2)["fp"] == 1
    # nearest-neighbour would give both 5 and 7 to 6; the one-to-one matching finds 5-6, 7-8
    assert boundary_prf([7, 5], [6, 8], tolerance=1)["tp"] == 2
    assert boundary_prf([10], [11], tolerance=0)["tp"] == 0


def test_boundary_prf_empty_sides() -> None:
    none_found = boundary_prf([], [3], tolerance=2)
    assert none_found["recall"] == 0.0 and none_found["f1"] == 0.0
    assert math.isnan(none_found["precision"])
    assert math.isnan(boundary_prf([], [], tolerance=2)["f1"])
    with pytest.raises(ValueError, match="tolerance"):
        boundary_prf([1], [1], tolerance=-1)


def test_shape_and_range_errors_name_the_values() -> None:
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        frame_accuracy(A([0, 1, 2]), A([0, 1]))
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix(A([0, 2]), A([0, 1]), 2)


def test_run_starts_merges_neighbouring_event_classes() -> None:
    labels = [1, 0, 0, 1, 2, 0, 2, 2, 0]
    assert run_starts(labels, [1, 2]).tolist() == [0, 3, 6]
    assert run_starts(labels, [2]).tolist() == [4, 6]
    assert run_starts([], [1]).tolist() == []

"""One transition, one event (pipeline/core/transitions.py) on hand-worked probability tracks."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.transitions import (
    HPARAMS_KEY,
    Transition,
    TransitionParams,
    decode_transitions,
    finalize_labels,
    params_from_hparams,
)
from pipeline.errors import ConfigError

CLASSES = ["shot", "cut", "gradual"]


def _probs(cut: list[float], gradual: list[float]) -> np.ndarray:
    cut_a, grad_a = np.asarray(cut, float), np.asarray(gradual, float)
    return np.stack([1 - cut_a - grad_a, cut_a, grad_a], 1)  # (T, 3)


def test_a_cut_with_gradual_neighbours_is_one_cut_frame() -> None:
    # argmax would say gradual, cut, gradual: three frames, two kinds
    probs = _probs([0, 0, 0.2, 0.7, 0.1, 0, 0], [0, 0, 0.4, 0.2, 0.5, 0, 0])
    params = TransitionParams(high=0.5, low=0.3, merge_gap=0, min_gradual=3)
    assert decode_transitions(probs, CLASSES, params) == [
        Transition(3, 4, "cut", pytest.approx((0.6 + 0.9 + 0.6) / 3))
    ]
    labels = finalize_labels(probs.argmax(1), probs, CLASSES, params)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 0, 0, 0])


def test_a_broken_dissolve_is_one_gradual_event_and_blips_are_dropped() -> None:
    grad = [0, 0.9, 0.8, 0.2, 0.9, 0.9, 0, 0, 0, 0.6, 0, 0]  # a dip at 3; a 1-frame blip at 9
    probs = _probs([0] * 12, grad)
    params = TransitionParams(high=0.5, low=0.3, merge_gap=1, min_gradual=3)
    events = decode_transitions(probs, CLASSES, params)
    assert [(t.start, t.end, t.kind) for t in events] == [(1, 6, "gradual")]
    labels = finalize_labels(probs.argmax(1), probs, CLASSES, params)
    np.testing.assert_array_equal(labels, [0, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0])
    # without merging the dip splits it, and each half is too short
    split = TransitionParams(high=0.5, low=0.3, merge_gap=0, min_gradual=3)
    assert decode_transitions(probs, CLASSES, split) == []


def test_hysteresis_needs_one_confident_frame() -> None:
    probs = _probs([0] * 6, [0, 0.45, 0.45, 0.45, 0.45, 0])
    assert decode_transitions(probs, CLASSES, TransitionParams(0.5, 0.3, 0, 1)) == []
    assert len(decode_transitions(probs, CLASSES, TransitionParams(0.45, 0.3, 0, 1))) == 1


def test_other_models_pass_through_and_class_order_does_not_matter() -> None:
    labels = np.array([0, 1, 1, 0])
    probs = np.full((4, 2), 0.5)
    assert finalize_labels(labels, probs, ["walk", "run"]) is not None
    np.testing.assert_array_equal(finalize_labels(labels, probs, ["walk", "run"]), labels)
    shuffled = ["gradual", "shot", "cut"]
    p = _probs([0, 0.9, 0], [0, 0, 0])[:, [2, 0, 1]]
    np.testing.assert_array_equal(finalize_labels(p.argmax(1), p, shuffled), [1, 2, 1])


def test_params_from_checkpoint_hparams_and_validation() -> None:
    assert params_from_hparams({}) == TransitionParams()
    stored = {HPARAMS_KEY: {"high": 0.7, "low": 0.2, "merge_gap": 2, "min_gradual": 4}}
    assert params_from_hparams(stored) == TransitionParams(0.7, 0.2, 2, 4)
    with pytest.raises(ConfigError, match="unknown keys"):
        params_from_hparams({HPARAMS_KEY: {"hihg": 0.7}})
    with pytest.raises(ConfigError, match="low <= high"):
        TransitionParams(high=0.3, low=0.5)


def test_a_clear_but_unsure_cut_frame_counts_with_cut_high() -> None:
    probs = _probs([0, 0, 0.45, 0, 0], [0, 0.05, 0, 0.05, 0])  # p(cut) 0.45 on one frame
    assert decode_transitions(probs, CLASSES, TransitionParams(0.9, 0.5, 0, 1)) == []
    params = TransitionParams(0.9, 0.5, 0, 1, cut_high=0.4)
    assert [(t.start, t.kind) for t in decode_transitions(probs, CLASSES, params)] == [(2, "cut")]
    with pytest.raises(ConfigError, match="cut_high"):
        TransitionParams(cut_high=0)

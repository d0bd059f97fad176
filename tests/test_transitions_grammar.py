"""The film grammar of the transitions dataset (datasets/transitions/grammar.py): composite
fades labelled by the composite rule, and the held-out film-grammar builds."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.script_loader import load_script

build = sys.modules.get("transitions_build") or load_script(
    "transitions_build", "datasets/transitions/build.py"
)
grammar = sys.modules["transitions_grammar"]
scenes = sys.modules["transitions_scenes"]


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    change = np.flatnonzero(np.diff(labels)) + 1
    starts, ends = np.r_[0, change], np.r_[change, len(labels)]
    return [(int(labels[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def test_a_fade_out_in_is_one_gradual_run_over_fade_hold_and_fade():
    plan = build.plan_video("test_001", "test", 0, build.Recipe(), grammar_kind="foi_black")
    assert all(k.startswith("foi_black:") for k, _ in plan.joins)
    gradual = [(s, e) for label, s, e in _runs(plan.labels()) if label == 2]
    assert len(gradual) == len(plan.joins)  # one run per edit
    assert all(int(k.split(":")[1]) <= grammar.MAX_HOLD_FRAMES for k, _ in plan.joins)
    kind, n = plan.joins[0]
    a = np.full((n, 18, 32, 3), 200, np.uint8)
    b = np.full((n, 18, 32, 3), 90, np.uint8)
    frames = scenes.blend(kind, a, b)
    hold = int(kind.split(":")[1])
    n_out = (n - hold + 1) // 2
    assert (frames[n_out : n_out + hold] == 0).all()  # the solid stretch is black
    assert frames[0].mean() > frames[n_out - 1].mean()  # fading out ...
    assert frames[-1].mean() > frames[n_out + hold].mean()  # ... and in


def test_a_long_hold_is_a_shot_of_its_own_between_two_transitions():
    plan = build.plan_video("train_003", "train", 0, build.Recipe())
    i = next(j for j, (k, _) in enumerate(plan.joins) if k != "cut")
    # a seed whose first draw (the hold) is longer than the composite rule allows
    seed = next(s for s in range(100) if np.random.default_rng(s).integers(5, 76) > 50)
    grammar._fade_out_in(plan, i, np.random.default_rng(seed), "white", iris=False)
    solid = plan.shots[i + 1]
    assert solid.source == "solid:white" and solid.body > grammar.MAX_HOLD_FRAMES
    assert plan.joins[i][0] == "fade_out" and plan.joins[i + 1][0] == "fade_in"
    labels = plan.rendered_labels()
    start = sum(s.body for s in plan.shots[: i + 1]) + sum(n for _, n in plan.joins[: i + 1])
    assert (labels[start - plan.joins[i][1] : start] == 2).all()  # the fade-out
    assert (labels[start : start + solid.body] == 0).all()  # the solid shot
    assert (labels[start + solid.body : start + solid.body + plan.joins[i + 1][1]] == 2).all()
    assert len(labels) == plan.rendered_frames


@pytest.mark.parametrize("kind", grammar.NEGATIVE_KINDS)
def test_every_shot_carries_the_forced_negative_and_no_edit_changes(kind):
    base = build.plan_video("test_002", "test", 0, build.Recipe())
    plan = build.plan_video("test_002", "test", 0, build.Recipe(), grammar_kind=kind)
    assert plan.joins == base.joins
    assert np.array_equal(plan.labels(), base.labels())
    events = [k for _, _, t, k in plan.events() if t == "negative"]
    assert events.count(kind) == len(plan.shots) and set(events) == {kind}


@pytest.mark.parametrize("kind", ["closeup_cut", "blur_cut", "palette_cut"])
def test_forced_cut_kinds_make_every_join_a_cut(kind):
    plan = build.plan_video("test_003", "test", 0, build.Recipe(), grammar_kind=kind)
    assert {k for k, _ in plan.joins} == {"cut"}
    if kind == "closeup_cut":  # the same source and scene, another zoom
        for a, b in zip(plan.shots, plan.shots[1:], strict=False):
            assert b.source == a.source and b.scene_seed == a.scene_seed
            assert abs(b.zoom[0] - a.zoom[1]) > 0.2
    if kind == "palette_cut":
        assert all(s.palette_match for s in plan.shots[1:])

"""The composite rule: a fade-out, a short solid stretch and a fade-in are one transition."""

from __future__ import annotations

import numpy as np

from pipeline.core.transitions import (
    CLASSES,
    TransitionParams,
    decode_transitions,
    solid_frames,
    solid_from_runs,
    solid_runs,
)

PARAMS = TransitionParams(high=0.5, low=0.3, merge_gap=1, min_gradual=2)


def _probs(gradual: list[tuple[int, int]], n: int) -> np.ndarray:
    p = np.tile([0.9, 0.05, 0.05], (n, 1))
    for s, e in gradual:
        p[s:e] = [0.05, 0.05, 0.9]
    return p


def test_fade_out_black_fade_in_is_one_gradual_event():
    probs = _probs([(20, 30), (42, 52)], 80)  # the model saw the 12 black frames as `shot`
    solid = np.zeros(80, bool)
    solid[29:43] = True
    alone = decode_transitions(probs, CLASSES, PARAMS)
    assert [(t.start, t.end) for t in alone] == [(20, 30), (42, 52)]
    events = decode_transitions(probs, CLASSES, PARAMS, solid, fps=25)
    assert [(t.start, t.end, t.kind) for t in events] == [(20, 52, "gradual")]


def test_a_long_solid_stretch_is_a_shot_between_two_transitions():
    n = 200
    solid = np.zeros(n, bool)
    solid[30:100] = True  # 70 frames = 2.8 s at 25 fps: longer than max_hold_s
    apart = decode_transitions(_probs([(20, 30), (100, 110)], n), CLASSES, PARAMS, solid, 25)
    assert [(t.start, t.end) for t in apart] == [(20, 30), (100, 110)]
    # one run over the whole stretch is split around it
    whole = decode_transitions(_probs([(20, 110)], n), CLASSES, PARAMS, solid, 25)
    assert [(t.start, t.end) for t in whole] == [(20, 30), (100, 110)]


def test_a_two_second_hold_whose_fades_end_and_start_flat_is_one_event():
    """A hold of exactly max_hold_s (50 frames at 25 fps) with the last 2 frames of the
    fade-out and the first 2 of the fade-in as flat as the hold: 54 solid frames, one edit.
    A hold 6 frames longer is a shot between two transitions."""
    for hold, expected in ((50, [(10, 82)]), (56, [(10, 22), (78, 88)])):
        n = 120
        solid = np.zeros(n, bool)
        solid[20 : 24 + hold] = True  # fade frames 20-21, the hold, fade frames after it
        fade_in = 24 + hold - 2
        probs = _probs([(10, 22), (fade_in, fade_in + 10)], n)
        events = decode_transitions(probs, CLASSES, PARAMS, solid, fps=25)
        assert [(t.start, t.end) for t in events] == expected, hold


def test_two_dissolves_around_a_shot_are_not_merged():
    probs = _probs([(20, 30), (34, 44)], 80)
    events = decode_transitions(probs, CLASSES, PARAMS, np.zeros(80, bool), 25)
    assert len(events) == 2


def test_solid_frames_and_runs_round_trip():
    frames = np.random.default_rng(0).integers(0, 255, (6, 36, 64, 3), dtype=np.uint8)
    frames[2:4] = 0
    frames[4] = (250, 10, 10)
    solid = solid_frames(frames)
    assert list(solid) == [False, False, True, True, True, False]
    index = np.array([10, 12, 14, 16, 18, 20])  # sampled every other frame
    runs = solid_runs(solid, index)
    assert runs == [[14, 19]]
    assert list(solid_from_runs(runs, index)) == list(solid)


def test_a_transition_right_after_a_short_flash_is_the_picture_coming_back():
    probs = _probs([], 60)
    probs[32] = [0.05, 0.9, 0.05]  # the model calls the frame after a 2-frame flash a cut
    solid = np.zeros(60, bool)
    solid[30:32] = True
    assert decode_transitions(probs, CLASSES, PARAMS) != []
    assert decode_transitions(probs, CLASSES, PARAMS, solid, 25) == []
    probs[29] = [0.05, 0.9, 0.05]  # a cut INTO the solid frames: two edits, both kept
    assert len(decode_transitions(probs, CLASSES, PARAMS, solid, 25)) == 2
    solid[26:32] = True  # six solid frames: no flash, the cut out of them stays
    probs[29] = [0.9, 0.05, 0.05]
    assert len(decode_transitions(probs, CLASSES, PARAMS, solid, 25)) == 1

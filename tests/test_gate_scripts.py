"""The measuring scripts' arithmetic: gap buckets, runs of frames, event windows and mid-shot."""

from __future__ import annotations

import numpy as np

from tests.script_loader import load_script

evaluate = load_script("eval_film_events", "scripts/eval_film_events.py")
cells = load_script("cells_by_gap", "scripts/cells_by_gap.py")
cuts = load_script("gates_at_cuts", "scripts/gates_at_cuts.py")


def _video(pred, labels, ambiguous, gap):
    arrays = (np.array(pred), np.array(labels), np.array(ambiguous, bool), np.array(gap))
    return evaluate.VideoResult("v", *arrays)


def test_accuracy_by_gap_counts_only_ambiguous_frames_in_each_bucket():
    video = _video(
        pred=[0, 1, 1, 0, 0, 1],
        labels=[0, 1, 0, 0, 1, 1],
        ambiguous=[0, 1, 1, 1, 1, 1],
        gap=[0, 10, 49, 50, 600, 601],
    )
    got = evaluate.accuracy_by_gap([video], cells.BUCKETS)
    assert got["<50"] == (0.5, 2)  # frames 1 (right) and 2 (wrong); frame 0 decides itself
    assert got["50-200"] == (1.0, 1)
    assert got[">500"] == (0.5, 2)
    assert np.isnan(got["200-500"][0]) and got["200-500"][1] == 0
    assert cells.count_runs([video], 0, 50) == 1 and cells.count_runs([video], 0, 10**9) == 1


def test_event_windows_and_mid_shot_frames():
    n = 100
    signal = np.zeros(n)
    signal[40:42] = 1.0  # the gate jumps on an event's first two frames
    signals = {name: signal for name in cuts.SIGNALS}
    spans = [(40, 41, "cut")]
    offsets = np.arange(-2, 4)
    windows, mid = cuts.collect([(signals, spans)], offsets, margin=10)
    assert windows["cut"]["forget"].tolist() == [[0, 0, 1, 1, 0, 0]]
    assert len(mid["forget"]) == n - 10 - 21  # the first 10 frames and 40-10 .. 41+10 excluded
    summary = cuts.summarize(windows, mid, offsets, peak=3)
    assert summary["cut"]["forget"]["peak_offset"] == 0
    assert summary["cut"]["forget"]["events_beyond_mid_p99"] == 1.0


def test_key_units_pairs_each_event_with_its_key_and_separates_units():
    units = load_script("key_units", "scripts/key_units.py")
    labels = ["calm"] * 3 + ["key_b"] * 2 + ["calm"] * 5 + ["event_b"] * 3 + ["calm"] * 2
    labels += ["key_a"] + ["calm"] * 4 + ["event_a"] * 2
    # each event onset once, with the end of the key before it and that key (1 = key_b)
    assert units.episodes(labels) == [(5, 10, 1), (16, 20, 0)]
    rows = [
        {"key": k, "before": np.array([k + 0.1 * i, 5.0 + 0.1 * (i // 2)])}
        for i, k in enumerate([0, 1, 0, 1])
    ]
    d = units.separation(rows, "before")
    assert d[0] > 5 and d[1] < 0.01  # unit 0 follows the key, unit 1 does not

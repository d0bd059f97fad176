"""`SettledLabels`: the final labels as frames stream, equal to `finalize_labels` on the whole
track for any chunking, handed out a few rows after each event closes."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.transitions import SettledLabels, TransitionParams, finalize_labels

CLASSES = ("shot", "cut", "gradual")
PARAMS = TransitionParams(high=0.8, low=0.5, merge_gap=4, min_gradual=3, cut_high=0.3)


def _film(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 3) probabilities and (rows,) solid flags with the structures the rules care
    about: cuts, near-cuts, gradual ramps, blips, fades through solid frames of any length,
    flashes, and events close together."""
    room = rows + 300  # events may run past the end; cut at the end
    p = np.zeros((room, 3))
    p[:, 0] = 1.0
    solid = np.zeros(room, dtype=bool)
    i = int(rng.integers(0, 10))
    while i < rows:  # no event longer than 300 rows
        kind = rng.choice(["cut", "weak_cut", "gradual", "blip", "fade", "flash"])
        if kind in ("cut", "weak_cut"):
            p[i] = [0.1, 0.9, 0.0] if kind == "cut" else [0.6, 0.35, 0.05]
            i += 1
        elif kind in ("gradual", "blip"):
            n = int(rng.integers(3, 25)) if kind == "gradual" else int(rng.integers(1, 3))
            level = rng.uniform(0.55, 0.99, n)
            p[i : i + n, 2] = level
            p[i : i + n, 0] = 1 - level
            i += n
        elif kind == "fade":
            out, hold, into = (int(rng.integers(2, 12)) for _ in range(3))
            hold = int(rng.choice([hold, rng.integers(0, 90)]))  # up to 3.6 s
            p[i : i + out, 2], p[i : i + out, 0] = 0.9, 0.1
            solid[i + out : i + out + hold] = True
            j = i + out + hold
            p[j : j + into, 2], p[j : j + into, 0] = 0.9, 0.1
            i = j + into
        else:  # a flash of 1-3 solid frames, maybe a transition right after
            n = int(rng.integers(1, 4))
            solid[i : i + n] = True
            if rng.random() < 0.5:
                p[i + n : i + n + 3, 2], p[i + n : i + n + 3, 0] = 0.9, 0.1
            i += n + 3
        i += int(rng.choice([rng.integers(1, 8), rng.integers(8, 80)]))
    return p[:rows], solid[:rows]


def _stream(settled: SettledLabels, p, solid, chunks) -> list[np.ndarray]:
    out, start = [], 0
    for size in chunks:
        out.append(settled.push(p[start : start + size], solid[start : start + size]))
        start += size
    out.append(settled.finish())
    return out


@pytest.mark.parametrize("seed", range(40))
def test_streamed_labels_equal_the_offline_ones_for_any_chunking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(50, 900))
    p, solid = _film(rng, rows)
    expected = finalize_labels(p.argmax(1), p, CLASSES, PARAMS, solid, fps=25.0)
    chunks = []
    while sum(chunks) < rows:
        chunks.append(int(rng.choice([1, 3, 7, 64, int(rng.integers(1, 200))])))
    streamed = np.concatenate(_stream(SettledLabels(CLASSES, PARAMS, 25.0), p, solid, chunks))
    np.testing.assert_array_equal(streamed, expected)


def test_labels_come_out_a_few_rows_after_an_event_and_memory_stays_small() -> None:
    rng = np.random.default_rng(0)
    p, solid = _film(rng, 20_000)
    settled = SettledLabels(CLASSES, PARAMS, 25.0)
    lag, held = [], []
    for start in range(0, len(p), 10):
        settled.push(p[start : start + 10], solid[start : start + 10])
        lag.append(settled.rows - settled.done)
        held.append(len(settled.probs))
    assert np.median(lag) <= 15  # usually final within a chunk or so
    assert max(held) <= 400  # the longest event plus a fade's hold, not the video


def test_a_cap_forces_rows_out() -> None:
    p = np.zeros((100, 3))
    p[:, 2] = 0.9  # one endless gradual run: nothing ever closes it
    p[:, 0] = 0.1
    settled = SettledLabels(CLASSES, PARAMS, 25.0)
    assert len(settled.push(p[:60], np.zeros(60, bool))) == 0
    forced = settled.settle_until(40)
    assert len(forced) == 40 and set(forced.tolist()) == {2}
    assert len(settled.finish()) == 20

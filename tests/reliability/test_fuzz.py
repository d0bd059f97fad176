"""A bounded, fixed-seed fuzz round: every reader keeps its invariants on damaged input.

`scripts/fuzz.py --minutes N` runs the same rounds for longer (see README, Reliability).
"""

from __future__ import annotations

import logging

import numpy as np

from tools.fuzz import RoundSizes, run_round
from tools.fuzz.mutations import MUTATIONS, mutate

# Sized for ~30-40 s on a loaded 2-core machine; one subprocess run catches hangs and crashes
# that an in-process call could hide.
SUITE_SIZES = RoundSizes(videos=14, subprocess_inputs=4, annotations=300, checkpoints=30, cache=6)


def test_a_fixed_seed_fuzz_round_finds_nothing(tmp_path, caplog):
    caplog.set_level(logging.ERROR)  # the readers warn about every damaged file, by design
    report = run_round(tmp_path / "fuzz", seed=0, sizes=SUITE_SIZES)
    print(report.summary())
    assert report.tried["info"] >= 20 and report.tried["annotation"] == 300
    assert report.tried["subprocess label"] == 4 and report.tried["checkpoint"] == 30
    assert not report.failures, "\n".join(str(f) for f in report.failures)


def test_mutations_are_deterministic_and_change_the_bytes():
    data = bytes(range(256)) * 64
    for name, fn in MUTATIONS.items():
        a = fn(data, np.random.default_rng(1), b"OTHER" * 100)
        b = fn(data, np.random.default_rng(1), b"OTHER" * 100)
        assert a == b, name
    changed = [mutate(data, np.random.default_rng(s), data[::-1])[0] != data for s in range(20)]
    assert sum(changed) >= 18

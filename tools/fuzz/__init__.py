"""A fuzz harness for everything framelabel reads: videos, annotations, checkpoints, the cache.

`run_round` makes seeds (real encodes in several codecs and containers), mutates them and
checks each reader's invariants; the test suite runs one small fixed-seed round and
`scripts/fuzz.py --minutes N` runs rounds until the time is up. See the README's
"Reliability" section for what is checked.

    report = run_round(Path("/tmp/fuzz"), seed=0, sizes=RoundSizes())
    print(report.summary())
    for failure in report.failures:
        print(failure)
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.api import default_model_path
from tools.fuzz.report import Failure, FuzzReport

__all__ = ["Failure", "FuzzReport", "RoundSizes", "run_round", "run_for"]


@dataclass(frozen=True)
class RoundSizes:
    """How many cases one round tries of each kind (subprocess runs are the slow ones)."""

    videos: int = 24  # mutated videos through info --count and one label batch
    label_video: bool = True  # write the annotated video in the label batch
    subprocess_inputs: int = 6  # of those, also through a fresh `framelabel label` process
    annotations: int = 200
    checkpoints: int = 40
    cache: int = 10


def run_round(workdir: Path, seed: int, sizes: RoundSizes = RoundSizes()) -> FuzzReport:
    """One round in `workdir` (emptied first); deterministic for a given seed and machine."""
    from tools.fuzz import formats, videos
    from tools.fuzz.seeds import write_seeds

    started = time.perf_counter()
    shutil.rmtree(workdir, ignore_errors=True)
    rng = np.random.default_rng(seed)
    report = FuzzReport()
    seeds = write_seeds(workdir / "seeds", seed=seed)
    if sizes.videos:
        cases = videos.make_cases(seeds, workdir / "videos", rng, sizes.videos)
        cases += videos.hostile_cases(workdir / "hostile", seeds[0])
        frames = videos.check_info(cases, report)
        labelled = videos.check_label_batch(cases, workdir / "out", report, video=sizes.label_video)
        videos.check_consistent(cases, frames, labelled, report)
        if sizes.subprocess_inputs:
            picked = [cases[int(i)] for i in rng.choice(len(cases), sizes.subprocess_inputs, False)]
            argv = ["label", "--out", str(workdir / "out_sub"), "--quiet", "--no-video"]
            videos.check_subprocess(argv, picked, report, videos.LABEL_BOUND_S)
    formats.fuzz_annotations(workdir / "annotations", rng, sizes.annotations, report)
    if sizes.checkpoints:
        good = Path(default_model_path())
        formats.fuzz_checkpoints(good, workdir / "checkpoints", rng, sizes.checkpoints, report)
    if sizes.cache:
        formats.fuzz_feature_cache(seeds[0], workdir / "cache", rng, sizes.cache, report)
    report.seconds = time.perf_counter() - started
    return report


def run_for(minutes: float, workdir: Path, seed: int = 0, sizes=RoundSizes(), log=print):
    """Rounds with seeds `seed`, `seed + 1`, ... until `minutes` have passed."""
    total = FuzzReport()
    deadline = time.monotonic() + 60 * minutes
    round_seed = seed
    while time.monotonic() < deadline:
        report = run_round(workdir / f"round{round_seed}", round_seed, sizes)
        for failure in report.failures:
            log(f"round {round_seed}: {failure}")
        total.merge(report)
        log(f"round {round_seed}: {report.summary()}; total so far: {total.summary()}")
        if not report.failures:
            shutil.rmtree(workdir / f"round{round_seed}", ignore_errors=True)
        round_seed += 1
    return total

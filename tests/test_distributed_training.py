"""Training past one process: deterministic shards, no double-counted evaluation videos, and a
real 2-process DDP fit (gloo on CPU) through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pipeline.data.sharding import EpochWindows, EvaluationShard, ShuffledShard
from tests.train_fixtures import TINY_MODEL_ARGS


@pytest.mark.parametrize("size, world", [(1, 2), (5, 2), (6, 3), (7, 4)])
def test_evaluation_shards_cover_every_video_once_in_equal_steps(size, world):
    shards = [list(EvaluationShard(size, rank, world)) for rank in range(world)]
    assert len({len(s) for s in shards}) == 1  # equal steps: DDP collectives line up
    counted = sorted(i for s in shards for i in s if i < size)
    assert counted == list(range(size))  # padding (i >= size) is marked, never counted


def test_training_windows_split_one_process_windows_between_ranks():
    one = EpochWindows(12)
    ranks = [EpochWindows(12, rank, 2) for rank in range(2)]
    for sampler in (one, *ranks):
        sampler.set_epoch(3)
    assert sorted(i for r in ranks for i in r) == list(one)
    assert len(ranks[0]) == len(ranks[1]) == 6


def test_whole_video_shards_are_equal_and_reshuffled_each_epoch():
    ranks = [ShuffledShard(5, seed=1, rank=r, world=2) for r in range(2)]
    first = [list(r) for r in ranks]
    assert [len(s) for s in first] == [3, 3] and set(first[0] + first[1]) == set(range(5))
    for r in ranks:
        r.set_epoch(1)
    assert [list(r) for r in ranks] != first


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed missing")
def test_a_two_process_fit_trains_and_saves_one_best_checkpoint(tiny_root, tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "pipeline.cli", "fit", "--data.root", str(tiny_root)]
    args += ["--trainer.max_epochs", "2", "--trainer.default_root_dir", str(run), *TINY_MODEL_ARGS]
    args += ["--trainer.strategy", "ddp", "--trainer.devices", "2"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    checkpoints = sorted(p.name for p in run.rglob("*.ckpt"))
    assert checkpoints[-1] == "last.ckpt" and len([c for c in checkpoints if "best" in c]) == 1
    metrics = (next(run.rglob("metrics.csv"))).read_text().splitlines()
    assert "val/macro_f1" in metrics[0] and "world_size" not in metrics[0]
    ckpt = torch.load(run.rglob("last.ckpt").__next__(), map_location="cpu", weights_only=True)
    assert ckpt["hyper_parameters"]["class_names"] == ["calm", "busy", "dark"]


def test_extract_on_two_ranks_fills_the_cache_once(tiny_root, tmp_path):
    cache = tmp_path / "cache"
    extract = ["-m", "pipeline.cli", "extract", str(tiny_root), "--input-size", "64"]
    extract += ["--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    done = subprocess.run(
        [*torchrun, *extract], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("4 videos (4 decoded now, 0 from cache)") == 1  # rank 0 only
    assert len(list(cache.glob("*.npz"))) == 4 and not list(cache.glob(".*"))
    again = subprocess.run(
        [sys.executable, *extract], env=env, capture_output=True, text=True, timeout=300
    )
    assert "4 videos (0 decoded now, 4 from cache)" in again.stdout

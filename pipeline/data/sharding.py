"""Which items each process of a distributed run takes: deterministic shards of the same list.

Lightning's own distributed sampler is switched off (`use_distributed_sampler: false`): it pads
evaluation splits with repeated videos, which would count them twice in the metrics, and our
training windows are drawn per index anyway. Every rank computes the same permutation from the
seed and epoch and takes every `world`-th item from its own rank on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (0, 1 outside a distributed run)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class EpochWindows(Sampler[int]):
    """Window indices for one epoch: `epoch * n ... epoch * n + n - 1` (each epoch draws new
    windows), this rank's share of them. Lightning calls `set_epoch` at every epoch start."""

    def __init__(self, num_windows: int, rank: int = 0, world: int = 1) -> None:
        self.num_windows, self.rank, self.world = num_windows, rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.num_windows / self.world)  # equal on every rank: DDP needs it

    def __iter__(self) -> Iterator[int]:
        start = self.epoch * self.num_windows
        return iter(range(start + self.rank, start + len(self) * self.world, self.world))


class ShuffledShard(Sampler[int]):
    """Whole-video training: a seeded shuffle per epoch, padded by repeats to a multiple of the
    world size so every rank runs the same number of steps."""

    def __init__(self, size: int, seed: int, rank: int = 0, world: int = 1) -> None:
        self.size, self.seed, self.rank, self.world = size, seed, rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.size / self.world)

    def __iter__(self) -> Iterator[int]:
        order = np.random.default_rng((self.seed, self.epoch)).permutation(self.size)
        padded = np.resize(order, len(self) * self.world)  # repeats from the start
        return iter(padded[self.rank :: self.world].tolist())


class EvaluationShard(Sampler[int]):
    """Evaluation: every item once over all ranks, padded to equal lengths (DDP needs the same
    number of steps everywhere). A padding item is yielded as `index + size`: the dataset marks
    it as a duplicate, and the metrics skip it, so no video counts twice."""

    def __init__(self, size: int, rank: int = 0, world: int = 1) -> None:
        steps = math.ceil(size / world)
        positions = range(rank, steps * world, world)
        self.indices = [p if p < size else size + p % size for p in positions]

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

"""Corpus jobs across processes and machines on `torch.distributed`: who am I, and the one
collective a batch needs (gathering every rank's summary on rank 0).

Ranks come from the launcher, as Lightning reads them: `torchrun` (RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT) or SLURM (`srun`, through Lightning's SLURMEnvironment, which derives
the main address from the node list). Without either, a job is one process of one.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

# A rank that finishes its shard early waits for the others in the final gather.
GATHER_TIMEOUT = datetime.timedelta(days=7)


@dataclass(frozen=True)
class ProcessGroup:
    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def share(self, items: list[str]) -> list[str]:
        """This rank's deterministic shard: every `world`-th item from `rank` on."""
        return items[self.rank :: self.world]


def _torchrun(env: os._Environ) -> bool:  # torchrun, or Lightning's own launcher
    return "RANK" in env and "WORLD_SIZE" in env


def _slurm(env: os._Environ) -> bool:
    return int(env.get("SLURM_NTASKS", "1")) > 1 and "SLURM_PROCID" in env


def several_ranks() -> bool:
    """Whether a launcher started this process as one of several (from the environment alone:
    no torch, no process group)."""
    env = os.environ
    return (_torchrun(env) and int(env["WORLD_SIZE"]) > 1) or _slurm(env)


def _launcher_ranks() -> tuple[int, int]:
    env = os.environ
    if _torchrun(env):
        return int(env["RANK"]), int(env["WORLD_SIZE"])
    if _slurm(env):
        from lightning.fabric.plugins.environments import SLURMEnvironment

        slurm = SLURMEnvironment()
        env.setdefault("MASTER_ADDR", slurm.main_address)
        env.setdefault("MASTER_PORT", str(slurm.main_port))
        return slurm.global_rank(), slurm.world_size()
    return 0, 1


def join() -> ProcessGroup:
    """This process's place in the job; joins the gloo process group when there are several."""
    rank, world = _launcher_ranks()
    if world > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo", rank=rank, world_size=world, timeout=GATHER_TIMEOUT)
    return ProcessGroup(rank, world)


def gather(group: ProcessGroup, value: Any) -> list[Any]:
    """Every rank's `value`, in rank order (on every rank)."""
    if group.world == 1:
        return [value]
    import torch.distributed as dist

    values: list[Any] = [None] * group.world
    dist.all_gather_object(values, value)
    return values


def leave(group: ProcessGroup) -> None:
    if group.world > 1:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()

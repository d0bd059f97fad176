"""Training windows: every DataLoader worker draws its own windows, every epoch new ones, and a
run is the same whatever the number of workers."""

from __future__ import annotations

import numpy as np
from torch.utils.data import DataLoader

from pipeline.data.datamodule import LabeledVideo, WindowDataset, pad_collate
from pipeline.data.sharding import EpochWindows


def _dataset(count: int = 24) -> WindowDataset:
    videos = [
        LabeledVideo(f"v{i}", np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.zeros(n, int))
        for i, n in enumerate((300, 500, 800))
    ]
    return WindowDataset(videos, window=16, num_windows=count, seed=7)


def _windows(workers: int, epoch: int = 0) -> list[tuple[str, float]]:
    """(video, first feature) of every window one epoch draws."""
    sampler = EpochWindows(24)
    sampler.set_epoch(epoch)
    loader = DataLoader(
        _dataset(), batch_size=4, sampler=sampler, num_workers=workers, collate_fn=pad_collate
    )
    return [
        (name, float(inputs[0, 0]))
        for batch in loader
        for name, inputs in zip(batch["names"], batch["inputs"], strict=True)
    ]


def test_workers_do_not_repeat_each_others_windows():
    alone, two_workers = _windows(0), _windows(2)
    assert two_workers == alone  # same windows, whoever draws them
    assert len(set(alone)) > 20  # 24 draws from ~1,500 starts: nearly all distinct


def test_each_epoch_draws_new_windows():
    first, second = _windows(0, epoch=0), _windows(0, epoch=1)
    assert len(set(first) & set(second)) < 4

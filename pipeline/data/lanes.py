"""Stateful truncated backprop: every video read in order, window after window.

The training batch has `batch_size` lanes. Each epoch the videos are shuffled and dealt to the
lanes (each to the lane with the fewest frames so far); a lane reads its videos
one after another in windows of `window` frames, and batch k holds window k of every lane. The
model carries each lane's recurrent state from one batch to the next, detached, and starts it
afresh where a lane's next video begins (`reset`). So gradients stop at a window's edge, but
the state does not: a cue 1,000 frames back still reaches the label through the carried state,
and a video of any length trains in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from torch.utils.data import Dataset, Sampler


@dataclass(frozen=True)
class LaneWindow:
    """One window of a lane: `video` (index), frames [start, stop); `reset` where it begins."""

    video: int
    start: int
    stop: int

    @property
    def reset(self) -> bool:
        return self.start == 0


def deal_lanes(lengths: list[int], order: np.ndarray, lanes: int) -> list[list[int]]:
    """Videos (indices, in the shuffled `order`) dealt to `lanes` lanes, each to the lane with
    the fewest frames so far, so the lanes end close together."""
    dealt: list[list[int]] = [[] for _ in range(lanes)]
    load = np.zeros(lanes, dtype=np.int64)
    for video in order.tolist():
        lane = int(load.argmin())
        dealt[lane].append(video)
        load[lane] += lengths[video]
    return dealt


def lane_windows(lengths: list[int], videos: list[int], window: int) -> list[LaneWindow]:
    """One lane's windows: its videos in order, each cut into windows of `window` frames."""
    return [
        LaneWindow(v, start, min(start + window, lengths[v]))
        for v in videos
        for start in range(0, lengths[v], window)
    ]


class LaneBatches(Sampler[list[LaneWindow | None]]):
    """Batches of one window per lane; a lane that has run out yields None (an empty row).

    Seeded per epoch (`set_epoch`), sharded over ranks by video, and every rank runs the same
    number of batches (DDP needs the same number of steps everywhere)."""

    def __init__(
        self,
        lengths: list[int],
        window: int,
        lanes: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.lengths, self.window, self.lanes = lengths, window, lanes
        self.seed, self.rank, self.world = seed, rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rank_lanes(self, rank: int) -> list[list[LaneWindow]]:
        order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.lengths))
        mine = order[rank :: self.world]
        dealt = deal_lanes(self.lengths, mine, self.lanes)
        return [lane_windows(self.lengths, videos, self.window) for videos in dealt]

    def __len__(self) -> int:
        return max(max(len(lane) for lane in self._rank_lanes(rank)) for rank in range(self.world))

    def __iter__(self) -> Iterator[list[LaneWindow | None]]:
        lanes = self._rank_lanes(self.rank)
        for k in range(len(self)):
            yield [lane[k] if k < len(lane) else None for lane in lanes]


class LaneDataset(Dataset):
    """Turns a LaneWindow (or None, an idle lane) into a batch item."""

    def __init__(self, videos: list) -> None:
        self.videos = videos  # LabeledVideo

    def __len__(self) -> int:
        return sum(len(v.labels) for v in self.videos)

    def __getitem__(self, item: LaneWindow | None) -> dict:
        if item is None:  # nothing left in this lane: an empty row, its state reset next time
            first = self.videos[0]
            return {
                "name": "",
                "inputs": first.inputs[:0],
                "labels": first.labels[:0],
                "reset": True,
            }
        video = self.videos[item.video]
        return {
            "name": video.name,
            "inputs": video.inputs[item.start : item.stop],
            "labels": video.labels[item.start : item.stop],
            "reset": item.reset,
        }

"""Stateful truncated backprop: lanes read every frame once and in order, and the carried
state makes a window-by-window pass give exactly the logits of one pass over each whole video.
A curriculum of windows reaches the trainer epoch by epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from pipeline.commands.train import cli_main
from pipeline.data.datamodule import LabeledVideo, check_window_schedule, pad_collate
from pipeline.data.lanes import LaneBatches, LaneDataset
from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceLabeler, SequenceSettings, StreamState
from tests.train_fixtures import TINY_MODEL_ARGS

LENGTHS = [70, 23, 41, 100, 9]


def _videos(dim: int = 6) -> list[LabeledVideo]:
    rng = np.random.default_rng(0)
    return [
        LabeledVideo(f"v{i}", rng.normal(size=(n, dim)).astype(np.float32), np.arange(n) % 3)
        for i, n in enumerate(LENGTHS)
    ]


def test_lanes_read_every_frame_once_in_order():
    sampler = LaneBatches(LENGTHS, window=16, lanes=2, seed=1)
    seen: dict[int, list[int]] = {}
    for batch in sampler:
        assert len(batch) == 2
        for item in batch:
            if item is not None:
                frames = seen.setdefault(item.video, [])
                assert item.reset == (not frames)  # a video's first window resets its lane
                frames.extend(range(item.start, item.stop))
    assert {v: frames for v, frames in seen.items()} == {
        v: list(range(n)) for v, n in enumerate(LENGTHS)
    }
    sampler.set_epoch(1)
    assert [b[0] for b in sampler][:3] != [b[0] for b in LaneBatches(LENGTHS, 16, 2, seed=1)][:3]


def test_ranks_share_the_videos_and_run_the_same_number_of_batches():
    ranks = [LaneBatches(LENGTHS, 16, 2, seed=0, rank=r, world=2) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == len(list(ranks[0])) == len(list(ranks[1]))
    videos = [{w.video for batch in r for w in batch if w is not None} for r in ranks]
    assert videos[0].isdisjoint(videos[1]) and videos[0] | videos[1] == set(range(len(LENGTHS)))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_window_by_window_equals_one_pass_per_video(cell):
    torch.manual_seed(0)
    settings = SequenceSettings(
        hidden_size=12, proj_dim=8, cell=cell, similarity_lags=(1, 3), dropout=0.0
    )
    model = SequenceLabeler(6, 3, settings).eval()
    videos = _videos()
    loader = DataLoader(
        LaneDataset(videos),
        batch_sampler=LaneBatches(LENGTHS, window=16, lanes=3, seed=2),
        collate_fn=pad_collate,
    )
    by_video = {v.name: [] for v in videos}
    state = StreamState()
    with torch.no_grad():
        for batch in loader:
            logits, state = model.train_window(batch["inputs"], state, batch["reset"])
            for name, row, n in zip(batch["names"], logits, batch["lengths"], strict=True):
                if name:
                    by_video[name].append(row[: int(n)])
            whole = {v.name: model(torch.from_numpy(v.inputs)[None])[0] for v in videos}
    for name, parts in by_video.items():
        torch.testing.assert_close(torch.cat(parts), whole[name], atol=1e-5, rtol=1e-5)


def test_window_schedules_that_cannot_work_fail_with_one_message():
    with pytest.raises(ConfigError, match="data.stateful needs data.window > 0"):
        check_window_schedule(0, True, [], 1, False)
    with pytest.raises(ConfigError, match="data.curriculum"):
        check_window_schedule(0, False, [0, 100], 1, False)
    check_window_schedule(0, True, [100, 200], 2, False)  # stateful curriculum, then whole videos
    with pytest.raises(ConfigError, match="look-ahead"):
        SequenceLabeler(6, 3, SequenceSettings(lookahead=2)).train_window(
            torch.zeros(1, 4, 6), StreamState(), torch.tensor([True])
        )


def _fit(tiny_root, run_dir, *flags: str):
    return cli_main(
        [
            "fit",
            "--data.root",
            str(tiny_root),
            "--trainer.default_root_dir",
            str(run_dir),
            *TINY_MODEL_ARGS,
            *flags,
        ]
    )


def test_stateful_fit_trains_every_window_in_order(tiny_root, tmp_path):
    cli = _fit(tiny_root, tmp_path, "--data.stateful", "true", "--trainer.max_epochs", "2")
    loader = cli.trainer.train_dataloader
    assert isinstance(loader.batch_sampler, LaneBatches)
    frames = sum(len(v.labels) for v in cli.datamodule.load_split("train"))
    assert cli.trainer.global_step == 2 * len(loader.batch_sampler)
    assert len(loader.batch_sampler) >= frames / (16 * 4)  # windows of 16 frames, 4 lanes


def test_curriculum_widens_the_window_epoch_by_epoch(tiny_root, tmp_path):
    cli = _fit(tiny_root, tmp_path, "--data.curriculum", "[4, 8]", "--trainer.max_epochs", "3")
    assert [cli.datamodule.epoch_window(epoch) for epoch in range(3)] == [4, 8, 16]
    assert cli.trainer.reload_dataloaders_every_n_epochs == 1
    # the loader of the last epoch was rebuilt with the final window (data.window)
    assert cli.trainer.train_dataloader.dataset.window == 16

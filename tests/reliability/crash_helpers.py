"""Helpers that run inside a `framelabel` subprocess the tests kill (imported by class path)."""

from __future__ import annotations

import os
import signal

from lightning.pytorch.callbacks import Callback


class KillDuringEpoch(Callback):
    """SIGKILL this process at the second training batch of `epoch`: a crash in the middle of
    an epoch, after the earlier epochs' checkpoints were written. Nothing gets to clean up."""

    def __init__(self, epoch: int = 2) -> None:
        self.epoch = epoch

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.current_epoch == self.epoch and batch_idx == 1:
            os.kill(os.getpid(), signal.SIGKILL)

"""`framelabel fit|validate|test|predict`: LightningCLI over the labeler module and the data.

Logging is Lightning's default: TensorBoard when installed, else CSV, under default_root_dir.

`--ckpt_path` is checked before Lightning touches it: the file is read with
`weights_only=True` (a pickle that would run code is refused in one line), and `last` means
the newest readable `last*.ckpt` under `default_root_dir` (or `--checkpoint.dirpath`), from
any earlier run — Lightning alone would look only in the new run's own, empty, folder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from pipeline.checkpoint.init_from import load_initial_weights
from pipeline.checkpoint.load import read_checkpoint
from pipeline.core.transitions import HPARAMS_KEY
from pipeline.data.datamodule import FrameDataModule
from pipeline.errors import CheckpointError
from pipeline.models.module import FrameLabelerModule

log = logging.getLogger(__name__)

# What the checkpoint must carry comes from the data side, linked once both are instantiated.
_LINKS = {
    "data.class_names": "model.class_names",
    "data.num_classes": "model.num_classes",
    "data.feature_dim": "model.feature_dim",
    "data.encoder_dict": "model.encoder",
    "data.preprocessing_dict": "model.preprocessing",
    "data.sampling_dict": "model.sampling",
    "data.finetune": "model.finetune_encoder",
    "data.framing": "model.framing",
}

TRAINER_DEFAULTS = {
    "max_epochs": 30,
    "log_every_n_steps": 5,
    # the DataModule shards by rank itself (pipeline.data.sharding): no padded duplicates
    "use_distributed_sampler": False,
}

# Best (by validation frame accuracy) and last checkpoints; `--checkpoint.*` tunes it.
CHECKPOINT_DEFAULTS = {
    "checkpoint.monitor": "val/macro_f1",
    "checkpoint.mode": "max",
    "checkpoint.save_last": True,
    "checkpoint.filename": "best-epoch{epoch:02d}",
    "checkpoint.auto_insert_metric_name": False,
}


# Where ModelCheckpoint puts files under a folder: itself (--checkpoint.dirpath), with no
# logger ROOT/checkpoints, with one ROOT/LOGGER_NAME/version_N/checkpoints.
_LAST_PATTERNS = ("last*.ckpt", "checkpoints/last*.ckpt", "*/version_*/checkpoints/last*.ckpt")


def last_checkpoints(folders: list[Path]) -> list[Path]:
    """Every `last*.ckpt` that earlier runs left in `folders`, newest first."""
    found = {p.resolve() for f in folders for pattern in _LAST_PATTERNS for p in f.glob(pattern)}
    return sorted((p for p in found if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)


def resolve_ckpt_path(ckpt_path: str, folders: list[Path], subcommand: str) -> str | None:
    """The checkpoint file to load for `--ckpt_path`, validated; None: start from scratch.

    `last` picks the newest `last*.ckpt` that loads (one cut short by a crash is skipped with a
    warning); with none, `fit` starts from scratch so one command line serves the first run and
    every resume. A named file must load with weights_only=True and, for `fit`, hold the
    training state (an exported checkpoint has weights only).
    """
    if ckpt_path in ("best", "hpc"):  # Lightning resolves these inside the current run
        return ckpt_path
    if ckpt_path == "last":
        for path in last_checkpoints(folders):
            try:
                _check_resumable(path, subcommand)
            except CheckpointError as err:
                log.warning("skipping %s: %s", path, err)
                continue
            log.info("--ckpt_path last: %s", path)
            return str(path)
        where = " or ".join(str(f) for f in folders)
        if subcommand == "fit":
            log.info(
                "--ckpt_path last: no last checkpoint under %s yet; starting from scratch", where
            )
            return None
        raise CheckpointError(
            f"--ckpt_path last: no readable last*.ckpt under {where}; run framelabel fit first "
            "or pass the checkpoint file"
        )
    _check_resumable(Path(ckpt_path), subcommand)
    return ckpt_path


def _check_resumable(path: Path, subcommand: str) -> None:
    ckpt = read_checkpoint(path)  # CheckpointError: missing, damaged or a code-running pickle
    if subcommand == "fit" and not {"optimizer_states", "loops"} <= set(ckpt):
        raise CheckpointError(
            f"{path}: holds weights but no training state (an exported checkpoint?), so fit "
            "cannot resume from it; pass a last.ckpt or best-*.ckpt written by framelabel fit"
        )


class EpochCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose `last.ckpt` is written at every checkpointing point (each epoch).

    Lightning 2.6 rewrites `last.ckpt` only when a top-k checkpoint was saved in the same step,
    so after a crash it could hold an epoch long past; resuming must lose at most one epoch.
    Lightning saves at the end of the training epoch or of validation (whichever it chose);
    the missed `last.ckpt` is written at the same point, after the top-k one.
    """

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._save_last_if_missed(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._save_last_if_missed(trainer)

    def _save_last_if_missed(self, trainer) -> None:
        # skipped when super() saved in this step: last.ckpt is current then
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


class RandomState(Callback):
    """Saves torch's random state in every checkpoint and restores it when training resumes,
    so dropout after a resume draws what it would have drawn without the interruption.

    The state is taken when a checkpoint is written (the end of an epoch) and put back when
    training starts, after the sanity check (whose loader would use it up). Windows are drawn
    per index and epoch, so they need no saved state.
    """

    def __init__(self) -> None:
        self._pending: dict | None = None

    def state_dict(self) -> dict:
        state = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        self._pending = dict(state_dict)

    def on_train_start(self, trainer, pl_module) -> None:
        if self._pending is None:
            return
        torch.set_rng_state(self._pending["torch"])
        if "cuda" in self._pending and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(self._pending["cuda"])
        self._pending = None
        # The first resumed epoch's DataLoader iterator was made before this hook and drew its
        # worker base seed (one int64) from the global generator; an uninterrupted run draws it
        # after the saved point. Draw it here so the streams line up.
        torch.empty((), dtype=torch.int64).random_()


class FramelabelCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(EpochCheckpoint, "checkpoint")
        parser.set_defaults(CHECKPOINT_DEFAULTS)
        for source, target in _LINKS.items():
            parser.link_arguments(source, target, apply_on="instantiate")

    def _parse_ckpt_path(self) -> None:
        """Resolve and validate `--ckpt_path` before Lightning (or its hparams parsing) loads it."""
        subcommand = self.config.get("subcommand")
        config = self.config.get(subcommand) if subcommand else None
        if config is not None and config.get("ckpt_path"):
            config["ckpt_path"] = resolve_ckpt_path(
                str(config["ckpt_path"]), self._run_folders(config), subcommand
            )
            if config.get("weights_only") is None:
                config["weights_only"] = True  # a checkpoint is untrusted input
        super()._parse_ckpt_path()

    def before_fit(self) -> None:
        """`--model.init_from CKPT`: the network starts from CKPT's weights. Loaded here, before
        `trainer.fit`, so a resumed run (`--ckpt_path`) still restores its own weights over them."""
        source = self.model.hparams.get("init_from")
        if not source:
            return
        initial = load_initial_weights(source, self.model.hparams, self.model.class_names)
        self.model.model.load_state_dict(initial.model_state)
        if initial.encoder_state is not None and self.model.encoder is not None:
            self.model.encoder.load_state_dict(initial.encoder_state)
        if initial.decoding is not None and HPARAMS_KEY not in self.model.hparams:
            self.model.hparams[HPARAMS_KEY] = initial.decoding  # saved with every checkpoint
        log.info("--model.init_from: starting from the weights of %s", initial.path)

    @staticmethod
    def _run_folders(config) -> list[Path]:
        root = config.get("trainer", {}).get("default_root_dir") or os.getcwd()
        dirpath = config.get("checkpoint", {}).get("dirpath")
        return [Path(p) for p in (dirpath, root) if p and Path(p).is_dir()] or [Path(root)]


def cli_main(args: list[str] | None = None, run: bool = True) -> FramelabelCLI:
    """Entry point, callable from tests with an argument list."""
    return FramelabelCLI(
        FrameLabelerModule,
        FrameDataModule,
        trainer_defaults={**TRAINER_DEFAULTS, "callbacks": [RandomState()]},
        args=args,
        run=run,
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"prog": "framelabel"},
    )

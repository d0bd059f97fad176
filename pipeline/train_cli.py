"""`framelabel fit|validate|test|predict`: LightningCLI over the labeler module and the data.

Logging is Lightning's default: TensorBoard when installed, else CSV, under default_root_dir.
"""

from __future__ import annotations

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from pipeline.data.datamodule import FrameDataModule
from pipeline.models.module import FrameLabelerModule

# What the checkpoint must carry comes from the data side, linked once both are instantiated.
_LINKS = {
    "data.class_names": "model.class_names",
    "data.num_classes": "model.num_classes",
    "data.feature_dim": "model.feature_dim",
    "data.encoder_dict": "model.encoder",
    "data.preprocessing_dict": "model.preprocessing",
    "data.sampling_dict": "model.sampling",
    "data.finetune": "model.finetune_encoder",
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


class FramelabelCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(CHECKPOINT_DEFAULTS)
        for source, target in _LINKS.items():
            parser.link_arguments(source, target, apply_on="instantiate")


def cli_main(args: list[str] | None = None, run: bool = True) -> FramelabelCLI:
    """Entry point, callable from tests with an argument list."""
    return FramelabelCLI(
        FrameLabelerModule,
        FrameDataModule,
        trainer_defaults=TRAINER_DEFAULTS,
        args=args,
        run=run,
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"prog": "framelabel"},
    )

"""`fit --model.init_from CKPT`: start training from a trained model's weights (fine-tuning).

The new model must be the same network as CKPT's, reading the same features, with the same
classes in the same order; each mismatch is one error that names it and the fix. Settings that
only shape training (dropout, input noise, gate initialisation) may differ. The source's
decoding parameters (`hyper_parameters["transitions"]`, tuned for its classes) travel with the
weights into the new checkpoint, so `label --model NEW` decodes as the source did until they
are tuned again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.checkpoint.bundled import default_model_path
from pipeline.checkpoint.load import read_checkpoint
from pipeline.core.transitions import HPARAMS_KEY
from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceSettings

DEFAULT_ALIAS = "default"  # --model.init_from default: the bundled model
# SequenceSettings that change only how training goes, never the network or what it computes.
TRAINING_ONLY = frozenset(
    {"dropout", "input_dropout", "input_noise", "gate_init", "forget_bias", "chrono_tmax"}
)
# What the data side links into the model: it must describe the same input as the source's.
INPUT_HPARAMS = ("feature_dim", "encoder", "framing", "finetune_encoder")
_STORED_DEFAULTS = {"framing": "full", "finetune_encoder": False}  # older checkpoints lack them


@dataclass(frozen=True)
class InitialWeights:
    """The part of a trained checkpoint a new training run starts from."""

    path: Path
    model_state: dict  # the SequenceLabeler's weights
    encoder_state: dict | None  # a fine-tuned encoder's weights, when the source has one
    decoding: dict | None  # the source's hyper_parameters["transitions"], if any


def resolve_source(value: str) -> Path:
    """The checkpoint file `--model.init_from` names ("default": the bundled model)."""
    return Path(default_model_path() if value == DEFAULT_ALIAS else value)


def _structure(hparams: Mapping) -> dict:
    settings = SequenceSettings.from_hparams(hparams).to_dict()
    return {k: v for k, v in settings.items() if k not in TRAINING_ONLY}


def _mismatches(source: Mapping, target: Mapping) -> list[str]:
    """Each network or input setting where the new model differs from the source."""
    found = []
    ours, theirs = _structure(target), _structure(source)
    for f in fields(SequenceSettings):
        if f.name in ours and ours[f.name] != theirs[f.name]:
            found.append(f"model.{f.name} {ours[f.name]} (the checkpoint: {theirs[f.name]})")
    for key in INPUT_HPARAMS:
        mine, stored = target.get(key), source.get(key, _STORED_DEFAULTS.get(key))
        if mine != stored:
            found.append(f"{key} {mine} (the checkpoint: {stored})")
    return found


def load_initial_weights(value: str, hparams: Mapping, class_names: list[str]) -> InitialWeights:
    """Read CKPT and check it fits the model about to train; ConfigError names what differs."""
    path = resolve_source(value)
    ckpt = read_checkpoint(path)  # CheckpointError: missing, damaged or a code-running pickle
    source = ckpt.get("hyper_parameters") or {}
    theirs = list(source.get("class_names") or [])
    if theirs != list(class_names):
        raise ConfigError(
            f"--model.init_from {value}: its classes {theirs} differ from the data's "
            f"{list(class_names)}; list the checkpoint's classes, in its order, in the "
            "dataset's classes.txt (or train from scratch without --model.init_from)"
        )
    mismatches = _mismatches(source, hparams)
    if mismatches:
        raise ConfigError(
            f"--model.init_from {value}: a different network or input than the checkpoint's: "
            f"{'; '.join(mismatches)}; fit with the checkpoint's config (for the bundled model "
            "--config configs/transitions.yaml) so the weights fit"
        )
    return InitialWeights(
        path,
        _prefixed(ckpt["state_dict"], "model."),
        _prefixed(ckpt["state_dict"], "encoder.") or None,
        source.get(HPARAMS_KEY),
    )


def _prefixed(state: Mapping, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}

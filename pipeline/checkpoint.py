"""Loading a checkpoint for labeling: everything needed comes from the file itself.

Checkpoints are untrusted input, so they are read with `weights_only=True` and validated field
by field; a file that does not fit names the mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from pipeline.encoders import EncoderSpec, FrameEncoder, Preprocessing, build_encoder
from pipeline.errors import CheckpointError, ConfigError
from pipeline.io.atomic import atomic_output
from pipeline.io.sampling import Sampling
from pipeline.models.sequence import SequenceLabeler, SequenceSettings

REQUIRED_HPARAMS = ("num_classes", "class_names", "feature_dim", "encoder", "preprocessing")


@dataclass
class LabelerBundle:
    """A trained labeler, ready to stream."""

    model: SequenceLabeler
    class_names: list[str]
    encoder_spec: EncoderSpec
    preprocessing: Preprocessing
    sampling: Sampling
    encoder_state: dict | None  # fine-tuned encoder weights, when the checkpoint has them
    path: str

    @property
    def causal(self) -> bool:
        return self.model.causal


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist; pass --model PATH.ckpt")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for bad files; all mean "not loadable"
        raise CheckpointError(
            f"{path}: not a loadable framelabel checkpoint ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:160]}); pass a .ckpt written by `framelabel fit`"
        ) from err


def load_labeler(path: str | Path) -> LabelerBundle:
    ckpt = read_checkpoint(path)
    hparams = ckpt.get("hyper_parameters", {})
    missing = [k for k in REQUIRED_HPARAMS if hparams.get(k) in (None, [])]
    if missing:
        raise CheckpointError(
            f"{path}: checkpoint lacks {missing}; it was not written by `framelabel fit` "
            "(retrain with framelabel fit --config ...)"
        )
    state = ckpt.get("state_dict", {})
    model_state = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    encoder_state = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    try:  # every setting is a hyperparameter of the same name
        settings = SequenceSettings.from_hparams(hparams)
    except (ConfigError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: stored model settings are invalid ({err})") from err
    model = SequenceLabeler(hparams["feature_dim"], hparams["num_classes"], settings)
    try:
        model.load_state_dict(model_state)
    except RuntimeError as err:
        raise CheckpointError(
            f"{path}: weights do not fit the stored model settings ({err})"
        ) from err
    model.eval()
    if len(hparams["class_names"]) != hparams["num_classes"]:
        raise CheckpointError(
            f"{path}: {len(hparams['class_names'])} class names for {hparams['num_classes']} classes"
        )
    return LabelerBundle(
        model=model,
        class_names=list(hparams["class_names"]),
        encoder_spec=EncoderSpec.from_dict(hparams["encoder"]),
        preprocessing=Preprocessing.from_dict(hparams["preprocessing"]),
        sampling=Sampling.from_dict(hparams.get("sampling")),
        encoder_state=encoder_state or None,
        path=str(path),
    )


def export_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Keep only weights and hyperparameters (no optimiser or loop state): a few MB to ship."""
    ckpt = read_checkpoint(src)
    load_labeler(src)  # validates before writing anything
    slim = {
        "state_dict": {k: v.clone() for k, v in ckpt["state_dict"].items()},
        "hyper_parameters": dict(ckpt["hyper_parameters"]),
        "pytorch-lightning_version": ckpt.get("pytorch-lightning_version"),
    }
    with atomic_output(dst, overwrite=True, mode="wb") as fh:
        torch.save(slim, fh)
    return Path(dst)


def resolve_device(device: str) -> torch.device:
    """ "auto" -> CUDA when available, else CPU; an unavailable device is a ConfigError."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available; use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"--device {device!r}: expected auto, cpu or cuda")
    return torch.device(device)


def build_bundle_encoder(bundle: LabelerBundle) -> FrameEncoder:
    """The encoder the checkpoint was trained with, checked against its stored preprocessing."""
    encoder = build_encoder(bundle.encoder_spec)
    if bundle.encoder_state is not None:  # fine-tuned end to end: the checkpoint has the weights
        encoder.load_state_dict(bundle.encoder_state)
    if encoder.preprocessing != bundle.preprocessing:
        raise CheckpointError(
            f"{bundle.path}: stored preprocessing {bundle.preprocessing} differs from what encoder "
            f"{bundle.encoder_spec.name} uses now ({encoder.preprocessing}); retrain or pin versions"
        )
    return encoder.freeze()

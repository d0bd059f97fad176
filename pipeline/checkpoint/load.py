"""Loading a checkpoint for labeling: everything needed comes from the file itself.

Checkpoints are untrusted input, so they are read with `weights_only=True` and validated field
by field; a file that does not fit names the mismatch.
"""

from __future__ import annotations

import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from pipeline.core.sampling import Sampling
from pipeline.core.transitions import TransitionParams, applies_to, params_from_hparams
from pipeline.encoders import EncoderSpec, FrameEncoder, Preprocessing, build_encoder
from pipeline.errors import CheckpointError, ConfigError
from pipeline.io.atomic import atomic_output
from pipeline.io.framing import FramingSpec
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
    # how probability runs become one event each (shot/cut/gradual models only)
    transitions: TransitionParams | None = None
    # what is cut out of each frame before the encoder (pipeline.io.framing.FRAMING_MODES);
    # checkpoints written before framing existed see the whole frame
    framing: str = "full"

    @property
    def causal(self) -> bool:
        return self.model.causal


_REFUSED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)|global ([\w.]+)")
# What a damaged or foreign file makes the stored settings raise while they are rebuilt.
_BAD_SETTINGS = (ConfigError, TypeError, ValueError, KeyError, AttributeError, IndexError)


def _first_line(err: BaseException, limit: int = 160) -> str:
    lines = str(err).strip().splitlines()
    return (lines[0] if lines else type(err).__name__)[:limit]


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's dict, read with `weights_only=True`: a pickle that asks to build any
    other Python object (code execution) is refused before it runs, with one short line."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise CheckpointError(f"checkpoint {str(path)!r} {what}; pass --model PATH.ckpt")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before failing
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise _refused(path, err) from err
    except Exception as err:  # torch raises many types for bad files; all mean "not loadable"
        raise CheckpointError(
            f"{path}: not a loadable framelabel checkpoint ({type(err).__name__}: "
            f"{_first_line(err)}); the file is damaged or not a checkpoint: pass a .ckpt "
            "written by `framelabel fit`"
        ) from err
    if not isinstance(ckpt, dict):
        raise CheckpointError(
            f"{path}: holds a {type(ckpt).__name__}, not a checkpoint dict; pass a .ckpt "
            "written by `framelabel fit`"
        )
    return ckpt


def _checked_state(ckpt: dict, path: Path | str) -> dict[str, torch.Tensor]:
    """The state dict, every entry a tensor with finite values (a bit flip can make NaN)."""
    state = ckpt.get("state_dict", {})
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(
            f"{path}: its state_dict is not a mapping of names to tensors; the file is damaged "
            "or was not written by `framelabel fit`"
        )
    for name, value in state.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"{path}: weight {name!r} holds NaN or infinite values; the file is damaged: "
                "use another checkpoint or retrain"
            )
    return state


def _refused(path: Path, err: pickle.UnpicklingError) -> CheckpointError:
    """The one line for a pickle the weights-only loader will not read (nothing of it ran)."""
    text = str(err)
    found = _REFUSED_GLOBAL.search(text)
    if found:
        what = f"asks to build Python objects ({next(g for g in found.groups() if g)})"
    else:
        detail = [ln.strip() for ln in text.split("WeightsUnpickler error:")[-1].splitlines()]
        what = f"is not a plain weights file ({next((d for d in detail if d), 'unreadable')})"
    return CheckpointError(
        f"{path}: refused: it {what}, which could run code when loaded; framelabel loads "
        "weights and settings only. Pass a .ckpt written by `framelabel fit`, or re-save this "
        "one from a trusted source"
    )


def load_labeler(path: str | Path) -> LabelerBundle:
    """A validated bundle, or one CheckpointError naming the file and what does not fit."""
    ckpt = read_checkpoint(path)
    try:
        return _bundle(ckpt, path)
    except CheckpointError:
        raise
    except (*_BAD_SETTINGS, RuntimeError, OverflowError, zipfile.BadZipFile) as err:
        raise CheckpointError(
            f"{path}: its stored settings are invalid ({type(err).__name__}: {_first_line(err)}); "
            "the file is damaged or was not written by `framelabel fit`"
        ) from err


def _bundle(ckpt: dict, path: str | Path) -> LabelerBundle:
    hparams = ckpt.get("hyper_parameters", {})
    if not isinstance(hparams, dict):
        raise CheckpointError(f"{path}: hyper_parameters is not a mapping; the file is damaged")
    missing = [k for k in REQUIRED_HPARAMS if hparams.get(k) in (None, [])]
    if missing:
        raise CheckpointError(
            f"{path}: checkpoint lacks {missing}; it was not written by `framelabel fit` "
            "(retrain with framelabel fit --config ...)"
        )
    names, num_classes = hparams["class_names"], hparams["num_classes"]
    if not (isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)):
        raise CheckpointError(f"{path}: class_names is {names!r:.80}, expected a list of names")
    if not isinstance(num_classes, int) or len(names) != num_classes:
        raise CheckpointError(f"{path}: {len(names)} class names for {num_classes!r} classes")
    if not isinstance(hparams["feature_dim"], int) or not 0 < hparams["feature_dim"] < 1 << 20:
        raise CheckpointError(f"{path}: feature_dim {hparams['feature_dim']!r} is invalid")
    state = _checked_state(ckpt, path)
    model_state = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    encoder_state = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    try:  # every setting is a hyperparameter of the same name
        settings = SequenceSettings.from_hparams(hparams)
        model = SequenceLabeler(hparams["feature_dim"], num_classes, settings)
    except _BAD_SETTINGS as err:
        raise CheckpointError(f"{path}: stored model settings are invalid ({err})") from err
    try:
        model.load_state_dict(model_state)
    except RuntimeError as err:
        raise CheckpointError(
            f"{path}: weights do not fit the stored model settings ({_first_line(err, 300)})"
        ) from err
    model.eval()
    return LabelerBundle(
        model=model,
        class_names=list(names),
        encoder_spec=EncoderSpec.from_dict(hparams["encoder"]),
        preprocessing=Preprocessing.from_dict(hparams["preprocessing"]),
        sampling=Sampling.from_dict(hparams.get("sampling")),
        encoder_state=encoder_state or None,
        path=str(path),
        transitions=_transition_params(path, hparams),
        framing=FramingSpec.from_mode(hparams.get("framing")).mode,
    )


def _transition_params(path: str | Path, hparams: dict) -> TransitionParams | None:
    if not applies_to(hparams["class_names"]):
        return None
    try:
        return params_from_hparams(hparams)
    except ConfigError as err:
        raise CheckpointError(f"{path}: stored transition settings are invalid ({err})") from err


def params_from_checkpoint(path: str | Path) -> TransitionParams:
    """The event-decoding parameters stored in a checkpoint file (defaults when it has none)."""
    return params_from_hparams(read_checkpoint(path).get("hyper_parameters"))


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
    # how the frames are decoded is the checkpoint's to say (older ones decoded with deblocking)
    if not encoder.preprocessing.same_input(bundle.preprocessing):
        raise CheckpointError(
            f"{bundle.path}: stored preprocessing {bundle.preprocessing} differs from what encoder "
            f"{bundle.encoder_spec.name} uses now ({encoder.preprocessing}); retrain or pin versions"
        )
    return encoder.freeze()

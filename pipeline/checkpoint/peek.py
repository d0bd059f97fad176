"""A checkpoint's input settings read without torch: what to decode, before the model loads.

`label` starts decoding its first input while torch imports (about a second on a small CPU).
Decoding needs only the model's frame size and sampling, which sit among the checkpoint's
hyperparameters. A checkpoint is a zip whose `data.pkl` names torch's tensor-rebuilding
functions; here they unpickle to placeholders, so the tensors are never built and torch is
never imported. Anything unexpected gives None: `load_labeler` reads the file properly later
and reports what is wrong with it.
"""

from __future__ import annotations

import collections
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.sampling import Sampling

# The only classes a checkpoint's pickle may name that are rebuilt for real; every other
# name (torch storages, tensor rebuilders) becomes an inert placeholder.
_REAL_CLASSES = {("collections", "OrderedDict"): collections.OrderedDict}


@dataclass(frozen=True)
class InputSettings:
    """What a checkpoint's encoder reads: frame (width, height) and the training sampling."""

    size: tuple[int, int]
    sampling: Sampling
    borders: bool = False  # the model crops borders: frames are decoded at the analysis size
    deblock: bool = True  # Preprocessing.deblock


def _placeholder(*_args: object, **_kwargs: object) -> None:
    return None


class _TorchlessUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        return _REAL_CLASSES.get((module, name), _placeholder)

    def persistent_load(self, pid: object) -> None:  # tensor storages: not read
        return None


def _hyperparameters(path: Path) -> dict | None:
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            return None
        with archive.open(pickles[0]) as fh:
            checkpoint = _TorchlessUnpickler(fh).load()
    hparams = checkpoint.get("hyper_parameters") if isinstance(checkpoint, dict) else None
    return hparams if isinstance(hparams, dict) else None


def peek_input_settings(path: str | Path) -> InputSettings | None:
    """The frame size and sampling a checkpoint's model expects, or None when they cannot be
    read this way (not a zip checkpoint, missing or odd settings)."""
    try:
        hparams = _hyperparameters(Path(path))
        if hparams is None:
            return None
        width, height = hparams["preprocessing"]["size"]
        deblock = hparams["preprocessing"].get("deblock", True) is not False
        sampling = Sampling.from_dict(hparams.get("sampling"))
    except Exception:  # noqa: BLE001 - any failure only means "not known yet"
        return None
    if not all(type(v) is int and v > 0 for v in (width, height)):
        return None
    return InputSettings((width, height), sampling, hparams.get("framing") == "borders", deblock)


def peek_class_names(path: str | Path) -> list[str] | None:
    """A checkpoint's class names in id order, or None when they cannot be read this way."""
    try:
        hparams = _hyperparameters(Path(path))
        names = hparams.get("class_names") if hparams is not None else None
    except Exception:  # noqa: BLE001 - any failure only means "not known this way"
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return names

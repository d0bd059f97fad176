"""The frame encoder contract: specs, preprocessing, the `FrameEncoder` base and the registry.

An encoder turns RGB frames into one feature vector each. It carries its own preprocessing
(input size, mean/std) so a checkpoint that stores `EncoderSpec` + `Preprocessing` can rebuild
exactly the features it was trained on.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.errors import CheckpointError, ConfigError

# Below this the five stride-2 stages of the supported CNNs leave less than one pixel.
MIN_INPUT_SIZE = 32
RESIZE_MODES = ("stretch",)
WEIGHT_KEYWORDS = ("pretrained", "none")


def _from_dict_checked(cls: type, d: dict, what: str) -> dict:
    """Return `d` as constructor kwargs for dataclass `cls`, rejecting unknown keys."""
    if not isinstance(d, dict):
        raise ConfigError(f"{what} must be a mapping, got {type(d).__name__} {d!r}.")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(
            f"{what} has unknown keys {unknown}; expected only {sorted(known)}. "
            "Remove them, or upgrade framelabel if the file was written by a newer version."
        )
    return dict(d)


@dataclass(frozen=True)
class Preprocessing:
    """How raw frames become encoder input: what the reader resizes to, and the normalisation.

    `mean` and `std` are in 0..255 pixel units, so `(pixel - mean) / std` is the model input.
    """

    size: tuple[int, int]  # (width, height) that the video reader resizes frames to
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resize_mode: str = "stretch"  # frames are resized to `size` without keeping aspect
    # False: frames are decoded without the codec's in-loop deblocking filter (H.264, HEVC),
    # about a quarter less decoding work; for encoders whose input is so small that block
    # edges average away. Checkpoints written before it existed decoded with it (True).
    deblock: bool = True

    def __post_init__(self) -> None:
        # Coerce lists (from JSON/YAML) to tuples so equality and hashing behave.
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if len(self.size) != 2 or min(self.size) < 1:
            raise ConfigError(f"Preprocessing size {self.size} must be (width, height) > 0.")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ConfigError(
                f"Preprocessing mean {self.mean} / std {self.std} must have 3 values each, "
                "std > 0 (in 0..255 pixel units)."
            )
        if self.resize_mode not in RESIZE_MODES:
            raise ConfigError(
                f"Unknown resize_mode {self.resize_mode!r}; supported: {list(RESIZE_MODES)}."
            )

    def to_dict(self) -> dict:
        """Plain JSON/YAML-safe dict (lists, not tuples). `deblock` only when False, so the
        feature-cache keys and checkpoints of decoding with the filter stay as they were."""
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if self.deblock:
            del d["deblock"]
        return d

    def same_input(self, other: Preprocessing) -> bool:
        """The same pixels reach the encoder, however the frames are decoded (`deblock`)."""
        return replace(self, deblock=True) == replace(other, deblock=True)

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessing:
        """Inverse of `to_dict`; unknown keys raise ConfigError."""
        return cls(**_from_dict_checked(cls, d, "Preprocessing"))


@dataclass(frozen=True)
class EncoderSpec:
    """Everything needed to rebuild an encoder; stored in checkpoints and feature-cache keys."""

    name: str = "efficientnet_lite0"  # registry key, see `available_encoders()`
    input_size: int = 224  # square side in pixels; smaller is faster
    # "pretrained" (packaged, or torchvision/timm weights downloaded on first use into
    # their cache), "none" (random init), or a path to a state dict file.
    weights: str = "pretrained"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"Encoder name {self.name!r} must be a non-empty string.")
        if isinstance(self.input_size, bool) or not isinstance(self.input_size, int):
            raise ConfigError(
                f"Encoder input_size {self.input_size!r} must be an integer number of pixels."
            )
        if self.input_size < MIN_INPUT_SIZE:
            raise ConfigError(
                f"Encoder input_size {self.input_size} is too small; use at least "
                f"{MIN_INPUT_SIZE} (96..224 is the useful range)."
            )
        if isinstance(self.weights, os.PathLike):
            # Store paths as plain strings so the spec stays JSON/YAML-safe in checkpoints.
            object.__setattr__(self, "weights", os.fspath(self.weights))
        if not isinstance(self.weights, str) or not self.weights:
            raise ConfigError(
                f"Encoder weights {self.weights!r} must be 'pretrained', 'none' or a file path."
            )

    def to_dict(self) -> dict:
        """Plain JSON/YAML-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EncoderSpec:
        """Inverse of `to_dict`; unknown keys raise ConfigError."""
        return cls(**_from_dict_checked(cls, d, "EncoderSpec"))


class FrameEncoder(nn.Module):
    """Base class: (B, H, W, 3) uint8 RGB frames -> (B, D) float32 features.

    Subclasses build the network and implement `features` on normalised NCHW input. The base
    handles layout, resizing, normalisation, batching and freezing, so every encoder treats
    frames the same way.
    """

    spec: EncoderSpec
    preprocessing: Preprocessing
    feature_dim: int
    # Part of every feature-cache key: bump it when an encoder's features change for the same
    # spec and weights, so cached features of the old computation are never reused.
    cache_version: int = 1
    # Whether splitting a batch's math across CPU threads pays. False for encoders so light
    # that waking a second thread costs more than it saves: labeling then runs the model on
    # one thread and leaves the other cores to the decoder (`StreamingLabeler.cpu_threads`).
    benefits_from_threads: bool = True

    def __init__(self, spec: EncoderSpec, preprocessing: Preprocessing, feature_dim: int) -> None:
        super().__init__()
        self.spec = spec
        self.preprocessing = preprocessing
        self.feature_dim = int(feature_dim)
        self.frozen = False
        # Non-persistent: the normalisation is part of the spec, not of the weights, so
        # state_dict() holds network weights only.
        mean = torch.tensor(preprocessing.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(preprocessing.std, dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("pixel_mean", mean, persistent=False)
        self.register_buffer("pixel_std", std, persistent=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (B, 3, h, w) float input -> (B, D) features. Implemented by subclasses."""
        raise NotImplementedError

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) RGB in 0..255 (uint8 or float) -> normalised (B, 3, h, w) channels_last."""
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(
                f"Expected frames of shape (B, H, W, 3) RGB, got {tuple(frames.shape)}; "
                "add a batch axis with frames[None] for a single frame."
            )
        # Move before converting: uint8 is a quarter of the bytes to copy to an accelerator.
        x = frames.to(self.pixel_mean.device).float()
        # The permuted view of a contiguous NHWC tensor is already channels_last: no copy.
        x = x.permute(0, 3, 1, 2)  # (B, 3, H, W)
        width, height = self.preprocessing.size
        if x.shape[-2:] != (height, width):
            # Readers normally deliver frames at `size`; this keeps direct callers correct.
            x = F.interpolate(
                x, size=(height, width), mode="bilinear", align_corners=False, antialias=True
            )
        x = (x - self.pixel_mean) / self.pixel_std
        return x.contiguous(memory_format=torch.channels_last)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) RGB 0..255 -> (B, D) float32. Differentiable when unfrozen."""
        return self.features(self.preprocess(frames))

    @torch.inference_mode()
    def encode(self, frames: np.ndarray | torch.Tensor, batch_size: int = 32) -> np.ndarray:
        """Encode many frames in eval mode, `batch_size` at a time -> (B, D) float32 numpy."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        if isinstance(frames, np.ndarray):
            # from_numpy warns on read-only arrays (e.g. np.frombuffer); copy those once.
            frames = torch.from_numpy(frames if frames.flags.writeable else frames.copy())
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"Expected frames of shape (B, H, W, 3), got {tuple(frames.shape)}.")
        was_training = self.training
        self.eval()  # BatchNorm/dropout must not depend on the batch when extracting features
        try:
            chunks = [
                self(frames[start : start + batch_size]).float().cpu()
                for start in range(0, frames.shape[0], batch_size)
            ]
        finally:
            self.train(was_training)
        if not chunks:
            return np.zeros((0, self.feature_dim), dtype=np.float32)
        return torch.cat(chunks).numpy()  # (B, D)

    def freeze(self) -> FrameEncoder:
        """Stop gradients and pin eval mode (the default after `build_encoder`)."""
        self.frozen = True
        self.requires_grad_(False)
        return self.eval()

    def unfreeze(self) -> FrameEncoder:
        """Enable gradients and training mode, for end-to-end fine-tuning."""
        self.frozen = False
        self.requires_grad_(True)
        return self.train()

    def train(self, mode: bool = True) -> FrameEncoder:
        """Like nn.Module.train, but a frozen encoder stays in eval mode.

        Lightning calls `.train()` on the whole LightningModule; without this a frozen
        encoder's BatchNorm statistics would drift and its features would change.
        """
        return super().train(mode and not self.frozen)


def weights_file(spec: EncoderSpec) -> Path | None:
    """The state dict file named by `spec.weights`, or None for "pretrained"/"none"."""
    if spec.weights in WEIGHT_KEYWORDS:
        return None
    path = Path(spec.weights).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"Encoder weights file {str(path)!r} does not exist. Pass an existing state dict "
            f"file, or one of {list(WEIGHT_KEYWORDS)}."
        )
    return path


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    """Load a state dict safely (`weights_only`: a weights file is untrusted input).

    `.safetensors` files (what the Hugging Face hub serves) are read with safetensors.
    """
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path, device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        raise CheckpointError(
            f"Cannot read encoder weights {str(path)!r}: {exc}. Expected a torch state dict "
            "saved with torch.save(model.state_dict(), path)."
        ) from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # common wrapper layout
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointError(
            f"Encoder weights {str(path)!r} are not a state dict (name -> tensor mapping). "
            "Save them with torch.save(model.state_dict(), path)."
        )
    return state

"""Any torchvision classification model as a frame encoder.

The classifier layer (the last Linear/Conv2d producing the class logits) is replaced by an
identity, so the feature is whatever fed it: the pooled penultimate activation for ResNets and
EfficientNets, the hidden layer of MobileNetV3's two-layer head, the normalised token for ViT.

Weights: "pretrained" is torchvision's DEFAULT weights, downloaded on first use into the torch
hub cache as torchvision does (`FRAMELABEL_OFFLINE=1` turns that off), "none" is random init,
and a path loads a torchvision-layout state dict file. This module imports torchvision, so
`build_encoder` imports it only when a name is not one of framelabel's own encoders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import torch
import torchvision
from torch import nn

from pipeline.encoders.base import (
    EncoderSpec,
    FrameEncoder,
    Preprocessing,
    load_state_dict_file,
    weights_file,
)
from pipeline.encoders.hub import fetch_to_hub_cache, hub_checkpoint_path
from pipeline.errors import CheckpointError, ConfigError

NUM_CLASSES = 1000
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Inception-style nets: torchvision builds them with these settings when it loads its weights.
_INCEPTION_PRETRAINED = {"transform_input": True, "aux_logits": True, "init_weights": False}
_INCEPTION_RANDOM = {"aux_logits": False, "init_weights": True}
# Transformers whose position grid is fixed at build time: the argument that sets it.
_SIZE_ARGUMENT = {"vit_": "image_size", "maxvit_": "input_size"}


@cache
def torchvision_model_names() -> frozenset[str]:
    """Classification models torchvision can build (no detection/segmentation/video)."""
    return frozenset(torchvision.models.list_models(module=torchvision.models))


def default_weights(name: str) -> torchvision.models.WeightsEnum | None:
    """torchvision's DEFAULT ImageNet weights entry for `name`, or None if it has none."""
    try:
        return torchvision.models.get_model_weights(name).DEFAULT
    except (ValueError, AttributeError):
        return None


def hub_cache_path(weights: torchvision.models.WeightsEnum) -> Path:
    """Where torch.hub keeps (or would keep) the downloaded file of `weights`."""
    return hub_checkpoint_path(weights.url)


def _pretrained_file(name: str) -> Path:
    """The DEFAULT weights file of `name`, from the torch hub cache or downloaded into it."""
    weights = default_weights(name)
    if weights is None:
        raise ConfigError(
            f"torchvision has no pretrained weights for {name!r}; use weights='none' or a "
            "state dict path."
        )
    return fetch_to_hub_cache(weights.url, f"torchvision {name!r} ({weights})")


def _builder_kwargs(spec: EncoderSpec, pretrained_layout: bool) -> dict:
    """Constructor arguments that make the architecture match the weights we will load."""
    kwargs: dict = {}
    if spec.name in ("googlenet", "inception_v3"):
        kwargs.update(_INCEPTION_PRETRAINED if pretrained_layout else _INCEPTION_RANDOM)
    for prefix, argument in _SIZE_ARGUMENT.items():
        if spec.name.startswith(prefix):
            weights = default_weights(spec.name)
            # Pretrained position embeddings fix the size; random ones can take the user's.
            size = weights.meta["min_size"] if pretrained_layout and weights else None
            size = size or (spec.input_size, spec.input_size)
            kwargs[argument] = size[0] if argument == "image_size" else tuple(size)
    return kwargs


def _drop_aux_heads(model: nn.Module) -> None:
    """Remove Inception/GoogLeNet auxiliary classifiers: never used for features, and in
    train mode they would turn the output into a tuple."""
    if hasattr(model, "aux_logits"):
        model.aux_logits = False
    for attribute in ("aux1", "aux2", "AuxLogits"):
        if getattr(model, attribute, None) is not None:
            setattr(model, attribute, None)


def _replace_classifier(model: nn.Module) -> int:
    """Swap the last layer that emits NUM_CLASSES outputs for an identity; return its input dim."""
    last_name, last_layer = None, None
    for name, module in model.named_modules():
        out_dim = getattr(module, "out_features", getattr(module, "out_channels", None))
        if isinstance(module, nn.Linear | nn.Conv2d) and out_dim == NUM_CLASSES:
            last_name, last_layer = name, module
    if last_layer is None:
        raise ConfigError(f"Cannot find the classifier layer of {type(model).__name__}.")
    parent_name, _, child = last_name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, nn.Identity())
    if isinstance(last_layer, nn.Linear):
        return last_layer.in_features
    return last_layer.in_channels


def _load_file(model: nn.Module, path: Path, name: str) -> None:
    """Load a torchvision-layout state dict into `model` (classifier still attached)."""
    state = load_state_dict_file(path)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"Encoder weights {str(path)!r} do not fit torchvision {name!r}: {exc}. Pass the "
            f"state dict of a torchvision {name} with 1000 ImageNet classes."
        ) from exc


def _normalisation(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std in 0..255 pixel units, from the DEFAULT weights' transforms when available."""
    weights = default_weights(name)
    transforms = weights.transforms() if weights is not None else None
    mean = tuple(getattr(transforms, "mean", IMAGENET_MEAN))
    std = tuple(getattr(transforms, "std", IMAGENET_STD))
    return tuple(255.0 * m for m in mean), tuple(255.0 * s for s in std)


def _size_error(spec: EncoderSpec, exc: BaseException) -> ConfigError:
    """ConfigError for an input size the architecture (or its weights) cannot take."""
    weights = default_weights(spec.name)
    crop = getattr(weights.transforms(), "crop_size", None) if weights is not None else None
    native = f" (torchvision trained it at {crop[0]})" if crop else ""
    return ConfigError(
        f"Encoder {spec.name!r} does not accept input_size {spec.input_size}: {exc}. "
        f"Pick another input_size{native}."
    )


class TorchvisionEncoder(FrameEncoder):
    """A torchvision classifier with its last classification layer replaced by identity."""

    def __init__(self, spec: EncoderSpec) -> None:
        path = weights_file(spec)
        if spec.weights == "pretrained":
            path = _pretrained_file(spec.name)
        kwargs = _builder_kwargs(spec, pretrained_layout=path is not None)
        try:
            model = torchvision.models.get_model(spec.name, weights=None, **kwargs)
        except (RuntimeError, ValueError, AssertionError) as exc:  # e.g. ViT patch divisibility
            raise _size_error(spec, exc) from exc
        if path is not None:
            _load_file(model, path, spec.name)
        _drop_aux_heads(model)
        feature_dim = _replace_classifier(model)
        mean, std = _normalisation(spec.name)
        size = (spec.input_size, spec.input_size)
        super().__init__(spec, Preprocessing(size, mean, std), feature_dim)
        self.model = model.to(memory_format=torch.channels_last)
        self._check_input_size()

    def _check_input_size(self) -> None:
        """Run one blank frame so a size the architecture rejects fails now, not mid-video."""
        side = self.spec.input_size
        self.eval()
        try:
            with torch.no_grad():
                out = self.features(torch.zeros(1, 3, side, side))
        except (RuntimeError, ValueError, AssertionError) as exc:
            raise _size_error(self.spec, exc) from exc
        if out.shape != (1, self.feature_dim):
            raise ConfigError(
                f"Encoder {self.spec.name!r} produced features of shape {tuple(out.shape)}, "
                f"expected (1, {self.feature_dim}); this torchvision model is not supported."
            )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (B, 3, h, w) -> (B, D)."""
        return torch.flatten(self.model(x), 1)  # (B, D)


def build_torchvision_encoder(spec: EncoderSpec) -> FrameEncoder:
    """Registry factory shared by every torchvision classification model name."""
    return TorchvisionEncoder(spec)

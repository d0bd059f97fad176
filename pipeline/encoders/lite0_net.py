"""EfficientNet-Lite0 in plain PyTorch, with the parameter names of timm's `tf_efficientnet_lite0`.

Same layers in the same registration order as timm, so timm-layout state dicts load with
`strict=True` and the package weights map onto it position by position. TensorFlow "same"
padding: stride-2 convolutions pad at run time (the extra pixel goes bottom/right), stride-1
ones pad k // 2 on every side. No squeeze-excite, ReLU6, BatchNorm eps 1e-3.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
STEM_CHANNELS, HEAD_CHANNELS, NUM_CLASSES = 32, 1280, 1000
# (kernel, stride, expand ratio, out channels, repeats) per stage.
STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)


class SameConv2d(nn.Conv2d):
    """Bias-free convolution with TensorFlow "same" padding (timm's `Conv2dSame` for stride 2)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1):
        # Stride 1 pads the same on every side, so the padding is static.
        padding = kernel // 2 if stride == 1 else 0
        super().__init__(in_ch, out_ch, kernel, stride, padding, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] > 1:
            pads = [self._same_pad(size) for size in reversed(x.shape[-2:])]  # [(w), (h)]
            x = F.pad(x, [p for pair in pads for p in pair])  # (B, C, H + ph, W + pw)
        return super().forward(x)

    def _same_pad(self, size: int) -> tuple[int, int]:
        k, s = self.kernel_size[0], self.stride[0]
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


def _init_tf_style(module: nn.Module) -> None:
    """TensorFlow EfficientNet's random init (normal fan-out convs), the scheme timm uses."""
    if isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
        nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / (fan_out // module.groups)))
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.uniform_(
            module.weight,
            -1.0 / math.sqrt(module.out_features),
            1.0 / math.sqrt(module.out_features),
        )
        nn.init.zeros_(module.bias)


class DepthwiseSeparable(nn.Module):
    """Stage 0: depthwise 3x3 -> pointwise projection (timm `DepthwiseSeparableConv`)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv_dw = SameConv2d(in_ch, in_ch, kernel, stride, groups=in_ch)
        self.bn1 = _bn(in_ch)
        self.conv_pw = SameConv2d(in_ch, out_ch, 1)
        self.bn2 = _bn(out_ch)
        self.has_skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn1(self.conv_dw(x)))
        y = self.bn2(self.conv_pw(y))
        return x + y if self.has_skip else y


class InvertedResidual(nn.Module):
    """Expand 1x1 -> depthwise kxk -> project 1x1, linear bottleneck (timm `InvertedResidual`)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        self.conv_pw = SameConv2d(in_ch, mid, 1)
        self.bn1 = _bn(mid)
        self.conv_dw = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self.bn2 = _bn(mid)
        self.conv_pwl = SameConv2d(mid, out_ch, 1)
        self.bn3 = _bn(out_ch)
        self.has_skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn1(self.conv_pw(x)))  # (B, mid, H, W)
        y = F.relu6(self.bn2(self.conv_dw(y)))  # (B, mid, H / stride, W / stride)
        y = self.bn3(self.conv_pwl(y))  # (B, out, H / stride, W / stride)
        return x + y if self.has_skip else y


class EfficientNetLite0(nn.Module):
    """(B, 3, H, W) normalised input -> `forward_features` (B, 1280, H/32, W/32) -> logits."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self.bn1 = _bn(STEM_CHANNELS)
        stages, in_ch = [], STEM_CHANNELS
        for kernel, stride, expand, out_ch, repeats in STAGES:
            blocks = []
            for i in range(repeats):  # only the first block of a stage strides
                s = stride if i == 0 else 1
                if expand == 1:
                    blocks.append(DepthwiseSeparable(in_ch, out_ch, kernel, s))
                else:
                    blocks.append(InvertedResidual(in_ch, out_ch, kernel, s, expand))
                in_ch = out_ch
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = SameConv2d(in_ch, HEAD_CHANNELS, 1)
        self.bn2 = _bn(HEAD_CHANNELS)
        self.classifier = nn.Linear(HEAD_CHANNELS, num_classes)
        self.apply(_init_tf_style)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.bn1(self.conv_stem(x)))  # (B, 32, H/2, W/2)
        x = self.blocks(x)  # (B, 320, H/32, W/32)
        return F.relu6(self.bn2(self.conv_head(x)))  # (B, 1280, H/32, W/32)

    def global_pool(self, fmap: torch.Tensor) -> torch.Tensor:
        return fmap.mean((2, 3))  # (B, 1280)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pool(self.forward_features(x)))  # (B, num_classes)

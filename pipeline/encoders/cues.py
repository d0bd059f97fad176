"""`cues`: cheap, hand-made change cues per frame — no network, thousands of frames per second.

Each frame becomes a few descriptors, each scaled to unit length, so that the cosine
similarity of one descriptor between two frames is a classical shot-change measure:

| group | what | cosine between two frames |
|---|---|---|
| `rgb_hist` | joint RGB histogram, 4x4x4 bins, square-rooted | Bhattacharyya coefficient of the colour distributions (motion-blind) |
| `luma_hist` | luma histogram, 16 bins, square-rooted | the same for brightness (fades move it, motion does not) |
| `luma_thumb` | 16x9 luma thumbnail, mean removed | correlation of the picture layouts (blind to brightness and contrast) |
| `luma_fine` | 32x18 luma thumbnail, mean removed | the same at finer detail (a jump cut within one scene) |
| `color_thumb` | 8x4 RGB thumbnail | layout and colour together (flash and lighting change it) |
| `edges` | 16x9 pooled gradient magnitude | edge-layout similarity (dissolves and fades dim the edges) |

Every group ends with one small constant, so a flat (e.g. black) frame has a defined direction
and two flat frames are similar (1) instead of undefined. The features are per frame, so they
stream and cache like any encoder's; the sequence model compares them over time
(`similarity_lags`, optionally one similarity per group with `similarity_groups`:
`GROUP_SIZES`). The frame size is `input_size` x `input_size * 9 / 16` (stretched, as every
encoder's), 64x36 by default.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pipeline.encoders.base import EncoderSpec, FrameEncoder, Preprocessing
from pipeline.encoders.registry import register_encoder
from pipeline.errors import ConfigError

NAME = "cues"
RGB_BINS = 4  # per channel: 64 joint bins
RGB_SHIFT = 8 - (RGB_BINS.bit_length() - 1)  # uint8 >> 6 = the bin of a channel value
LUMA_BINS = 16
LUMA_THUMB = (16, 9)  # (width, height)
LUMA_FINE = (32, 18)
COLOR_THUMB = (8, 4)
EDGE_THUMB = (16, 9)
# The constant appended to each unit-scaled group: small against a textured frame's norm.
FLAT = 0.05
GROUPS = ("rgb_hist", "luma_hist", "luma_thumb", "luma_fine", "color_thumb", "edges")
GROUP_SIZES = (
    RGB_BINS**3 + 1,
    LUMA_BINS + 1,
    LUMA_THUMB[0] * LUMA_THUMB[1] + 1,
    LUMA_FINE[0] * LUMA_FINE[1] + 1,
    3 * COLOR_THUMB[0] * COLOR_THUMB[1] + 1,
    EDGE_THUMB[0] * EDGE_THUMB[1] + 1,
)
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def frame_size(input_size: int) -> tuple[int, int]:
    """(width, height) of the frames the reader delivers: 16:9, the common video shape."""
    return input_size, max(LUMA_FINE[1], round(input_size * 9 / 16))


def _unit(v: torch.Tensor) -> torch.Tensor:
    """(B, n) -> (B, n + 1): the constant appended, then scaled to unit length."""
    v = torch.cat([v, torch.full_like(v[:, :1], FLAT)], 1)
    return v / v.norm(dim=1, keepdim=True)


def _histogram(index: torch.Tensor, bins: int) -> torch.Tensor:
    """(B, N) integer bin ids in [0, bins) -> (B, bins) share of pixels per bin."""
    batch, n = index.shape
    offset = torch.arange(batch, device=index.device)[:, None] * bins
    counts = torch.bincount((index + offset).flatten(), minlength=batch * bins)
    return counts.view(batch, bins).float() / n


class CueEncoder(FrameEncoder):
    """Colour/luma histograms, thumbnails and edges per frame: (B, sum(GROUP_SIZES)) features."""

    # 64 frames of cues and the LSTM take ~0.1 ms of one core per frame; on 2 cores a second
    # (sleeping, OMP_WAIT_POLICY=PASSIVE) thread doubles the CPU time and slows it down.
    benefits_from_threads = False

    def __init__(self, spec: EncoderSpec) -> None:
        if spec.weights not in ("pretrained", "none"):
            raise ConfigError(
                f"Encoder {NAME!r} has no weights to load, got weights={spec.weights!r}; "
                "leave weights at 'pretrained' (or 'none')."
            )
        # 64x36 area averages: deblocking changes nothing the cues can see, so skip it
        pre = Preprocessing(
            frame_size(spec.input_size), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), deblock=False
        )
        super().__init__(spec, pre, sum(GROUP_SIZES))
        self.register_buffer(
            "luma_weights", torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1), persistent=False
        )

    def features(self, x: torch.Tensor, rgb_index: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 3, h, w) pixels in 0..255 (mean 0, std 1 preprocessing) -> (B, D) cues.
        `rgb_index`: each pixel's joint RGB bin (B, h, w), when the caller has it already."""
        x = x.float().contiguous()  # (B, 3, h, w)
        batch = x.shape[0]
        if rgb_index is None:
            q = (x.clamp(0, 255) * (RGB_BINS / 256)).long().clamp_max(RGB_BINS - 1)  # (B, 3, h, w)
            rgb_index = (q[:, 0] * RGB_BINS + q[:, 1]) * RGB_BINS + q[:, 2]  # (B, h, w)
        rgb_hist = _histogram(rgb_index.flatten(1), RGB_BINS**3).sqrt()  # (B, 64)
        luma = (x * self.luma_weights).sum(1, keepdim=True) / 255  # (B, 1, h, w) in 0..1
        luma_index = (luma * LUMA_BINS).long().clamp(0, LUMA_BINS - 1)
        luma_hist = _histogram(luma_index.flatten(1), LUMA_BINS).sqrt()  # (B, 16)
        thumb = F.adaptive_avg_pool2d(luma, LUMA_THUMB[::-1]).flatten(1)  # (B, 144)
        thumb = thumb - thumb.mean(1, keepdim=True)
        fine = F.adaptive_avg_pool2d(luma, LUMA_FINE[::-1]).flatten(1)  # (B, 576)
        fine = fine - fine.mean(1, keepdim=True)
        color = F.adaptive_avg_pool2d(x / 255, COLOR_THUMB[::-1]).flatten(1)  # (B, 96)
        gx = luma[..., :, 1:] - luma[..., :, :-1]  # (B, 1, h, w - 1)
        gy = luma[..., 1:, :] - luma[..., :-1, :]  # (B, 1, h - 1, w)
        grad = gx[..., :-1, :].abs() + gy[..., :, :-1].abs()  # (B, 1, h - 1, w - 1)
        edges = F.adaptive_avg_pool2d(grad, EDGE_THUMB[::-1]).flatten(1)  # (B, 144)
        parts = [rgb_hist, luma_hist, thumb, fine, color, edges]
        out = torch.cat([_unit(p.reshape(batch, -1)) for p in parts], 1)  # (B, D)
        return out

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) RGB 0..255 -> (B, D) float32 (no gradients: nothing to train)."""
        with torch.no_grad():
            x = self.preprocess(frames)
            rgb_index = None
            if frames.dtype == torch.uint8 and frames.shape[1:3] == x.shape[2:]:
                # the same bins as features() computes from floats, from the bytes: 7x cheaper
                q = frames.to(x.device) >> RGB_SHIFT  # (B, h, w, 3) uint8
                rgb_index = ((q[..., 0] * RGB_BINS + q[..., 1]) * RGB_BINS + q[..., 2]).long()
            return self.features(x, rgb_index)


def _hsv(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, h, w) RGB in 0..1 -> (B, 3, h, w) hue, saturation, value in 0..1."""
    value, _ = x.max(1)  # (B, h, w)
    low, _ = x.min(1)
    spread = value - low
    saturation = torch.where(value > 0, spread / value.clamp_min(1e-6), torch.zeros_like(value))
    r, g, b = x.unbind(1)
    safe = spread.clamp_min(1e-6)
    hue = torch.where(
        value == r,
        ((g - b) / safe) % 6,
        torch.where(value == g, (b - r) / safe + 2, (r - g) / safe + 4),
    )
    hue = torch.where(spread > 0, hue / 6, torch.zeros_like(hue))
    return torch.stack([hue, saturation, value], 1)


HSV_NAME = "cues_hsv"
HSV_THUMB = (16, 9)
HSV_GROUP_SIZES = (*GROUP_SIZES, 3 * HSV_THUMB[0] * HSV_THUMB[1])


class HsvCueEncoder(CueEncoder):
    """The `cues` descriptors plus a 16x9 HSV thumbnail, kept in 0..1 (not unit-scaled): its
    mean absolute change between two frames is PySceneDetect's content score on a thumbnail
    (the sequence model compares it with `difference_groups`, not a cosine)."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__(spec)
        self.feature_dim = sum(HSV_GROUP_SIZES)

    def features(self, x: torch.Tensor, rgb_index: torch.Tensor | None = None) -> torch.Tensor:
        cues = super().features(x, rgb_index)  # (B, D)
        hsv = _hsv(x.float().clamp(0, 255) / 255)  # (B, 3, h, w)
        thumb = F.adaptive_avg_pool2d(hsv, HSV_THUMB[::-1]).flatten(1)  # (B, 432)
        return torch.cat([cues, thumb], 1)


REGIONS_NAME = "cues_regions"
REGION_GRID = (3, 3)  # (columns, rows) of regions
REGION_COUNT = REGION_GRID[0] * REGION_GRID[1]
REGION_THUMB = (4, 3)  # (width, height) of each region's luma layout
REGION_GROUP_SIZES = (
    *GROUP_SIZES,
    *(RGB_BINS**3 + 1,) * REGION_COUNT,
    *(REGION_THUMB[0] * REGION_THUMB[1] + 1,) * REGION_COUNT,
)
# The region descriptors form two sets (colour, layout) of REGION_COUNT groups each: the
# sequence model sorts each set's similarities (`region_sets`), so it reads "how much of the
# picture changed" whatever the place of the change.
REGION_SETS = (REGION_COUNT, REGION_COUNT)


def _region_ids(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(h * w,) the region of each pixel, row by row: regions of (nearly) equal size."""
    cols, rows = REGION_GRID
    col = torch.arange(width, device=device) * cols // width  # (w,)
    row = torch.arange(height, device=device) * rows // height  # (h,)
    return (row[:, None] * cols + col[None, :]).flatten()


class RegionCueEncoder(CueEncoder):
    """The `cues` descriptors plus, for each cell of a 3x3 grid, an RGB histogram and a 4x3
    luma layout. A cut changes every region; a hand entering, a caption or a passer-by changes
    a few, which whole-frame similarities cannot tell apart from a cut that changes little."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__(spec)
        self.feature_dim = sum(REGION_GROUP_SIZES)

    def features(self, x: torch.Tensor, rgb_index: torch.Tensor | None = None) -> torch.Tensor:
        x = x.float().contiguous()  # (B, 3, h, w)
        batch, _, height, width = x.shape
        if rgb_index is None:
            q = (x.clamp(0, 255) * (RGB_BINS / 256)).long().clamp_max(RGB_BINS - 1)
            rgb_index = (q[:, 0] * RGB_BINS + q[:, 1]) * RGB_BINS + q[:, 2]  # (B, h, w)
        cues = super().features(x, rgb_index)  # (B, D)
        bins = RGB_BINS**3
        regions = _region_ids(height, width, x.device)  # (h * w,)
        index = regions[None] * bins + rgb_index.flatten(1)  # (B, h * w)
        counts = _histogram(index, REGION_COUNT * bins) * (height * width)  # (B, R * bins)
        per_region = torch.bincount(regions, minlength=REGION_COUNT).float()  # (R,)
        hist = (counts.view(batch, REGION_COUNT, bins) / per_region[:, None]).sqrt()  # (B, R, 64)
        luma = (x * self.luma_weights).sum(1, keepdim=True) / 255  # (B, 1, h, w)
        cols, rows = REGION_GRID
        size = (rows * REGION_THUMB[1], cols * REGION_THUMB[0])
        layout = F.adaptive_avg_pool2d(luma, size)  # (B, 1, rows * th, cols * tw)
        layout = layout.view(batch, rows, REGION_THUMB[1], cols, REGION_THUMB[0])
        layout = layout.permute(0, 1, 3, 2, 4).reshape(batch, REGION_COUNT, -1)  # (B, R, 12)
        layout = layout - layout.mean(-1, keepdim=True)
        parts = [hist[:, r] for r in range(REGION_COUNT)]
        parts += [layout[:, r] for r in range(REGION_COUNT)]
        return torch.cat([cues, *(_unit(p) for p in parts)], 1)  # (B, D)


def build_cues(spec: EncoderSpec) -> FrameEncoder:
    """Registry factory for `cues`."""
    return CueEncoder(spec)


def build_hsv_cues(spec: EncoderSpec) -> FrameEncoder:
    """Registry factory for `cues_hsv`."""
    return HsvCueEncoder(spec)


def build_region_cues(spec: EncoderSpec) -> FrameEncoder:
    """Registry factory for `cues_regions`."""
    return RegionCueEncoder(spec)


register_encoder(NAME, build_cues)
register_encoder(HSV_NAME, build_hsv_cues)
register_encoder(REGIONS_NAME, build_region_cues)

"""Value types that flow out of the readers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a reader knows about a video before decoding it (after rotation is applied)."""

    path: str
    width: int  # display width, after rotation
    height: int  # display height, after rotation
    fps: Fraction | None  # average frame rate; None for live sources that do not report it
    frames: int | None  # frame count when known (container metadata or counted)
    duration_s: float | None
    rotation: int  # display rotation in degrees, as stored (0, 90, -90, 180)
    has_audio: bool
    codec: str
    backend: str

    def to_json_dict(self) -> dict:
        d = asdict(self)
        d["fps"] = float(self.fps) if self.fps is not None else None
        return d


@dataclass(frozen=True)
class Frame:
    """One decoded frame: `index` is its position in presentation order among ALL decoded
    frames of the source (sampling skips indices, it never renumbers them)."""

    index: int
    pts_s: float
    rgb: np.ndarray  # (H, W, 3) uint8, display orientation, at the reader's `size`
    model_rgb: np.ndarray | None = None  # (h, w, 3) at the reader's `model_size`, when asked

    @property
    def model_input(self) -> np.ndarray:
        """What the model's input is made from: `model_rgb`, or `rgb` when the reader made
        only one size (then it is the model's)."""
        return self.rgb if self.model_rgb is None else self.model_rgb

    @property
    def nbytes(self) -> int:
        extra = 0 if self.model_rgb is None or self.model_rgb is self.rgb else self.model_rgb.nbytes
        return self.rgb.nbytes + extra


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def scaled(self, sx: float, sy: float) -> Box:
        """The same rectangle in a frame scaled by (sx, sy)."""
        x0, y0 = round(self.x * sx), round(self.y * sy)
        x1, y1 = round((self.x + self.w) * sx), round((self.y + self.h) * sy)
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class CropChange:
    """From `frame` (source index) on, the encoder sees `box` (source pixels)."""

    frame: int
    pts_s: float
    box: Box

    def to_dict(self) -> dict:
        return {"frame": self.frame, "pts_s": round(self.pts_s, 6), "box": self.box.as_list()}

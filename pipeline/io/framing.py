"""Framing: the picture inside constant borders, and a user's region of interest, cut out of
every frame before the encoder sees it.

Real footage often carries borders: a 4:3 picture pillarboxed in a 16:9 frame, a film
letterboxed, a clip windowboxed inside a programme. Two frames' bars are identical, so any
similarity cue computed over the whole frame stays high across a cut. The tracker finds the
bars as FFmpeg's `cropdetect` does (lines from each edge inward whose pixels all stay within a
tolerance of the border colour, read at the corners: black or any flat colour) and crops them
away.

Deciding over time (`BorderTracker`):
- a frame is *evidence* only when it has a picture: dark, blank and nearly blank frames
  (a fade to black, a title on black) say nothing about the borders and are skipped;
- the crop keeps every line that any of the last `WINDOW_FRAMES` evidence frames showed
  picture in: content that reaches into a bar widens the crop at once (a 4:3 archive clip
  ending in a 16:9 programme), bars that appear narrow it once a whole window shows them;
- bars are taken symmetric (letterbox, pillarbox and windowbox are centred), so a dark side
  of the picture is never cut off alone; bars thinner than `MIN_BAR` are ignored;
- the first `WARMUP_FRAMES` frames are held back and cropped by the decision made over all
  of them: a bounded warm-up, after which the crop of frame t depends on frames <= t only.

The tracker works on a frame at `ANALYSIS_SCALE` times the encoder's size (the reader scales
to it), crops, and scales the picture to the encoder's size (`cv2.INTER_AREA`). It runs before
chunking, in training and in labeling alike, so chunk size and the annotated video never change
what the encoder sees. The region of interest (`--roi x,y,w,h`, source pixels) is cut first;
borders are then looked for inside it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from pipeline.core.frames import Box, CropChange, Frame
from pipeline.errors import ConfigError

ANALYSIS_SCALE = 2  # the tracker sees frames at twice the encoder's size: bars to ~1/128
FLAT_TOLERANCE = 24  # 0..255 per channel: cropdetect's default limit
FLAT_SHARE = 0.04  # a line with at most this share of pixels off the border colour is border
MAX_BAR = 0.35  # of a side; a vertical 9:16 picture in a 16:9 frame has bars of 0.34
MIN_BAR = 0.025  # thinner bars (a few edge pixels of many encodes) are not cropped
MIN_PICTURE_SHARE = 0.5  # evidence: this share of the picture differs from the border colour
BLANK_STD = 4.0  # a frame this flat (grey levels) is blank: no evidence
WARMUP_FRAMES = 12
WINDOW_FRAMES = 48  # ~2 s at 25 fps
HYSTERESIS_PX = 2  # analysis pixels
FRAMING_MODES = ("full", "borders")
# Part of the feature-cache key of framed features: bump it when the tracker's decisions change.
FRAMING_VERSION = 2


def parse_roi(text: str) -> Box:
    """`x,y,w,h` in source pixels -> Box; ConfigError naming the fix otherwise."""
    parts = text.replace(" ", "").split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or values[0] < 0 or values[1] < 0 or min(values[2:]) < 1:
        raise ConfigError(
            f"--roi {text!r}: expected x,y,w,h in source pixels (x, y >= 0; w, h >= 1), "
            "e.g. --roi 0,0,1280,620 to leave out a ticker below y = 620"
        )
    return Box(*values)


@dataclass(frozen=True)
class FramingSpec:
    """What is cut out of each frame before the encoder: borders found (`borders`), and a
    fixed region of interest in source pixels (`roi`). Inactive: the whole frame, as before."""

    borders: bool = False
    roi: Box | None = None

    @classmethod
    def from_mode(cls, mode: str | None, roi: Box | None = None) -> FramingSpec:
        mode = mode or "full"
        if mode not in FRAMING_MODES:
            raise ConfigError(f"framing {mode!r}: expected one of {list(FRAMING_MODES)}")
        return cls(borders=mode == "borders", roi=roi)

    @property
    def mode(self) -> str:
        return "borders" if self.borders else "full"

    @property
    def active(self) -> bool:
        return self.borders or self.roi is not None


def decode_size(model_size: tuple[int, int], active: bool) -> tuple[int, int]:
    """The size the reader scales frames to: the encoder's, or the tracker's analysis size."""
    if not active:
        return model_size
    return model_size[0] * ANALYSIS_SCALE, model_size[1] * ANALYSIS_SCALE


@dataclass(frozen=True)
class Bars:
    """Symmetric border widths of one frame (pixels per side); None on an axis with no
    evidence."""

    x: int | None
    y: int | None


NO_EVIDENCE = Bars(None, None)


def _leading(flat: np.ndarray, limit: int) -> int:
    """How many of the (limit,) lines from an edge inward are flat, in a row."""
    return limit if flat[:limit].all() else int(np.argmin(flat[:limit]))


def frame_bars(frame: np.ndarray) -> Bars:
    """The bars of one (h, w, 3) uint8 frame, or NO_EVIDENCE when it says nothing of them.

    The border colour is the corners' (letterbox, pillarbox and windowbox bars all reach
    them); corners that disagree mean no border. One pass marks every pixel that is off that
    colour, and each edge's bar is its run of lines with almost no such pixel."""
    h, w = frame.shape[:2]
    if float(frame[::4, ::4].std()) < BLANK_STD:  # a sample is enough to see a blank frame
        return NO_EVIDENCE
    patches = (frame[:3, :3], frame[:3, -3:], frame[-3:, :3], frame[-3:, -3:])
    corners = np.stack([p.reshape(-1, 3).mean(0) for p in patches])  # (4, 3), grain averaged
    if int(np.ptp(corners, axis=0).max()) > FLAT_TOLERANCE:
        return Bars(0, 0)
    import cv2  # here, not at the top: option parsing imports this module before torch

    ref = corners.mean(0)
    lo, hi = np.clip(ref - FLAT_TOLERANCE, 0, 255), np.clip(ref + FLAT_TOLERANCE, 0, 255)
    on_border = cv2.inRange(frame, lo, hi)  # (h, w) 255 where every channel is the colour's
    off = on_border == 0  # picture
    cols, rows = off.mean(0) <= FLAT_SHARE, off.mean(1) <= FLAT_SHARE  # (w,), (h,) flat lines
    lx, ly = max(1, int(w * MAX_BAR)), max(1, int(h * MAX_BAR))
    left, right = _leading(cols, lx), _leading(cols[::-1], lx)
    top, bottom = _leading(rows, ly), _leading(rows[::-1], ly)
    if (left == lx and right == lx) or (top == ly and bottom == ly):
        return NO_EVIDENCE  # flat across the middle of an axis: no picture to bound
    bx, by = min(left, right), min(top, bottom)
    bx = 0 if bx < max(2, MIN_BAR * w) else bx
    by = 0 if by < max(2, MIN_BAR * h) else by
    # the inside must be picture, not a few marks (a title) on the border colour
    if (bx or by) and off[by : h - by, bx : w - bx].mean() < MIN_PICTURE_SHARE:
        return NO_EVIDENCE
    return Bars(bx, by)


class BorderTracker:
    """Frames at the analysis size in, frames whose `model_rgb` is the framed picture at the
    encoder's size out; see the module docstring. One tracker per video; `changes` records
    every crop it applied (source pixels)."""

    def __init__(
        self,
        spec: FramingSpec,
        model_size: tuple[int, int],
        source_size: tuple[int, int],
    ) -> None:
        self.spec = spec
        self.model_size = model_size
        self.analysis_size = decode_size(model_size, True)
        aw, ah = self.analysis_size
        sw, sh = source_size
        self.to_source = (sw / aw, sh / ah)
        full = Box(0, 0, aw, ah)
        self.roi = full if spec.roi is None else _clip(spec.roi.scaled(aw / sw, ah / sh), full)
        self.window_x: deque[int] = deque(maxlen=WINDOW_FRAMES)
        self.window_y: deque[int] = deque(maxlen=WINDOW_FRAMES)
        self.box: Box | None = None  # inside the ROI, analysis pixels
        self.changes: list[CropChange] = []

    def reframe(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """The frames, framed. Holds the first WARMUP_FRAMES back, then streams."""
        held: list[Frame] = []
        for frame in frames:
            self._observe(self._region(frame))
            if self.box is None and len(held) < WARMUP_FRAMES - 1:
                held.append(frame)
                continue
            yield from self._release(held)
            held = []
            yield self._framed(frame)
        yield from self._release(held)

    def _release(self, held: list[Frame]) -> Iterator[Frame]:
        for frame in held:
            yield self._framed(frame)

    def _region(self, frame: Frame) -> np.ndarray:
        a = frame.model_input  # (ah, aw, 3)
        if a.shape[1::-1] != self.analysis_size:
            raise ValueError(
                f"framing expects frames at {self.analysis_size}, got {a.shape[1::-1]}: the "
                "reader's model_size must be framing.decode_size(...)"
            )
        r = self.roi
        return a[r.y : r.y + r.h, r.x : r.x + r.w]

    def _observe(self, region: np.ndarray) -> None:
        if not self.spec.borders:
            return
        bars = frame_bars(region)
        if bars.x is not None:
            self.window_x.append(bars.x)
        if bars.y is not None:
            self.window_y.append(bars.y)

    def _decided(self) -> Box:
        """The crop inside the ROI that the evidence so far asks for."""
        r = self.roi
        bx = min(self.window_x, default=0)
        by = min(self.window_y, default=0)
        if self.box is not None:  # a pixel of jitter in the bars (compression) is no change
            bx = self.box.x if abs(bx - self.box.x) <= HYSTERESIS_PX else bx
            by = self.box.y if abs(by - self.box.y) <= HYSTERESIS_PX else by
        return Box(bx, by, r.w - 2 * bx, r.h - 2 * by)

    def _framed(self, frame: Frame) -> Frame:
        box = self._decided()
        if box != self.box:
            self.box = box
            absolute = Box(self.roi.x + box.x, self.roi.y + box.y, box.w, box.h)
            self.changes.append(
                CropChange(frame.index, frame.pts_s, absolute.scaled(*self.to_source))
            )
        a = frame.model_input
        x, y = self.roi.x + box.x, self.roi.y + box.y
        picture = a[y : y + box.h, x : x + box.w]
        if picture.shape[1::-1] == self.model_size:
            out = np.ascontiguousarray(picture)
        else:
            import cv2  # here, not at the top: option parsing imports this module before torch

            out = cv2.resize(picture, self.model_size, interpolation=cv2.INTER_AREA)
        return replace(frame, model_rgb=out)


def _clip(box: Box, bounds: Box) -> Box:
    """`box` inside `bounds` (at least one pixel)."""
    x0 = min(max(box.x, bounds.x), bounds.x + bounds.w - 1)
    y0 = min(max(box.y, bounds.y), bounds.y + bounds.h - 1)
    x1 = max(min(box.x + box.w, bounds.x + bounds.w), x0 + 1)
    y1 = max(min(box.y + box.h, bounds.y + bounds.h), y0 + 1)
    return Box(x0, y0, x1 - x0, y1 - y0)

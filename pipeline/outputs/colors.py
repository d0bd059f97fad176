"""The class palette, and the static parts of the overlay built from it (text style, legend).

The palette is shared by the overlay, the report and anything else that draws labels.

Colours are RGB (the frames in this package are RGB). The first 10 come from matplotlib's
tab10 and the next 10 from the light half of tab20, so the usual 2-20 class models get the
palette people already read fluently; beyond 20 the hue walks the golden angle, which keeps
neighbouring class ids far apart on the colour wheel.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

RGB = tuple[int, int, int]

# matplotlib tab10, RGB.
_TAB10: tuple[RGB, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
# The light partners of tab10 in tab20, same order: class 10 is a light blue, 11 light orange...
_TAB20_LIGHT: tuple[RGB, ...] = (
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
    (247, 182, 210),
    (199, 199, 199),
    (219, 219, 141),
    (158, 218, 229),
)
_BASE: tuple[RGB, ...] = _TAB10 + _TAB20_LIGHT

# Drawn where a frame has no label (ground truth gaps, frames not yet reached): a dark grey that
# no palette entry uses, so "unlabeled" never reads as a class.
UNLABELED_RGB: RGB = (60, 60, 60)

_GOLDEN_FRACTION = 0.618033988749895


def _generated_color(i: int) -> RGB:
    """Colour for class id `i` >= 20: golden-angle hue, saturation/value cycling in 3 steps."""
    k = i - len(_BASE)
    hue = (0.07 + k * _GOLDEN_FRACTION) % 1.0
    saturation = (0.85, 0.55, 0.70)[k % 3]
    value = (0.95, 0.80, 0.65)[(k // 3) % 3]
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return (round(r * 255), round(g * 255), round(b * 255))


def class_colors(n: int) -> list[RGB]:
    """`n` distinguishable RGB colours, one per class id; the same `n` always gives the same list.

    Class i has the same colour whatever `n` is, so a 5-class and a 12-class model agree on
    the colours of their first 5 classes.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n={n!r}: expected a class count >= 0")
    return [_BASE[i] if i < len(_BASE) else _generated_color(i) for i in range(n)]


# --- Text style and pre-rendered parts (legend, tags) of the overlay ----------------------

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
# Backdrop opacity of sprites (0-255): 5/8, the same as the overlay's darkened boxes (3/8 kept).
_BOX_ALPHA = 159


@dataclass(frozen=True)
class Style:
    """Sizes derived from the frame height."""

    scale: float  # font scale of the main text
    thick: int  # stroke thickness of the main text
    text_h: int  # height of "Ag" above the baseline, px
    baseline: int  # descender depth below the baseline, px
    pad: int  # margin and padding, px
    ribbon_h: int  # height of one ribbon, px
    playhead_w: int  # width of the playhead line, px


def style_for(height: int) -> Style:
    """Scale text ~linearly with height (0.65 at 720p), never below what Hershey can still draw."""
    scale = min(max(height / 1100.0, 0.3), 3.0)
    thick = max(1, round(scale * 1.6))
    (_, text_h), baseline = cv2.getTextSize("Ag", FONT, scale, thick)
    return Style(
        scale=scale,
        thick=thick,
        text_h=text_h,
        baseline=baseline,
        pad=max(1, round(text_h * 0.4)),
        # at least as tall as the tag text ("pred", "truth") beside it
        ribbon_h=max(3, round(text_h * 0.9), round(height * 0.028)),
        playhead_w=max(1, round(height / 400)),
    )


def text_width(text: str, scale: float, thick: int) -> int:
    """Width in px of `text` drawn in FONT at `scale`/`thick`."""
    return cv2.getTextSize(text, FONT, scale, thick)[0][0]


def fit_text(text: str, max_w: int, scale: float, thick: int) -> str:
    """`text`, cut and ended with '..' when it is wider than `max_w` px."""
    if text_width(text, scale, thick) <= max_w:
        return text
    while len(text) > 1 and text_width(text + "..", scale, thick) > max_w:
        text = text[:-1]
    return text + ".."


class Sprite:
    """A static, pre-rendered overlay part: premultiplied RGB + alpha, composited at (x, y)."""

    def __init__(self, width: int, height: int, x: int, y: int) -> None:
        self.x, self.y = x, y
        self.rgb = np.zeros((height, width, 3), np.uint8)  # premultiplied by alpha
        self.alpha = np.full((height, width), _BOX_ALPHA, np.uint8)
        self._inv: np.ndarray | None = None

    def text(self, text: str, org: tuple[int, int], scale: float, thick: int) -> None:
        """Draw white text; AA coverage lands in both planes, so edges composite smoothly."""
        cv2.putText(self.rgb, text, org, FONT, scale, WHITE, thick, cv2.LINE_AA)
        cv2.putText(self.alpha, text, org, FONT, scale, 255, thick, cv2.LINE_AA)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int]) -> None:
        """An opaque filled rectangle (a legend swatch)."""
        self.rgb[y0:y1, x0:x1] = color
        self.alpha[y0:y1, x0:x1] = 255

    @property
    def rect_xyxy(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) the sprite covers in the frame, end exclusive."""
        return (self.x, self.y, self.x + self.rgb.shape[1], self.y + self.rgb.shape[0])

    def blit(self, frame: np.ndarray) -> None:
        """frame = frame * (1 - alpha) + rgb on the sprite's rectangle (clipped to the frame)."""
        if self._inv is None:  # (h, w, 3): cv2.multiply wants matching channel counts
            self._inv = np.repeat(255 - self.alpha[..., None], 3, axis=2)
        h = min(self.rgb.shape[0], frame.shape[0] - self.y)
        w = min(self.rgb.shape[1], frame.shape[1] - self.x)
        if h <= 0 or w <= 0:
            return
        roi = frame[self.y : self.y + h, self.x : self.x + w]
        out = cv2.multiply(roi, self._inv[:h, :w], scale=1.0 / 255.0)
        cv2.add(out, self.rgb[:h, :w], dst=out)
        roi[...] = out


def _flow_rows(widths: Sequence[int], max_w: int, gap: int) -> list[list[int]]:
    """Greedy left-to-right wrapping of items of the given widths into rows of <= max_w px."""
    rows: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if rows[-1] and used + gap + w > max_w:
            rows.append([])
            used = 0
        used += (gap if rows[-1] else 0) + w
        rows[-1].append(i)
    return rows


def _truncate_rows(
    rows: list[list[int]], widths: Sequence[int], max_rows: int, inner_w: int, gap: int,
    more_w: Callable[[int], int],
) -> list[list[int]]:  # fmt: skip
    """The first `max_rows` rows, the last one shortened until a `+k` (k hidden) note fits."""
    rows = rows[:max_rows]
    last, n_items = rows[-1], len(widths)
    while (
        len(last) > 1
        and sum(widths[i] + gap for i in last) + more_w(n_items - last[-1] - 1) > inner_w
    ):
        last.pop()
    return rows


def render_legend(
    names: Sequence[str], colors: Sequence[tuple[int, int, int]], st: Style, max_w: int,
    max_rows: int, bottom: int,
) -> Sprite | None:  # fmt: skip
    """Swatch + name per class, wrapped into at most `max_rows` rows ending at y=`bottom`;
    None when not even one row fits (tiny frames: the ribbon colours must do)."""
    sw, gap, row_h = st.text_h, 2 * st.pad, st.text_h + st.baseline + st.pad
    inner_w = max_w - 2 * st.pad
    if max_rows < 1 or inner_w < 2 * sw:
        return None
    texts = [fit_text(n, inner_w - sw - st.pad, st.scale, st.thick) for n in names]
    widths = [sw + st.pad + text_width(t, st.scale, st.thick) for t in texts]
    rows = _flow_rows(widths, inner_w, gap)
    if len(rows) > max_rows:  # keep what fits, say how many are hidden
        rows = _truncate_rows(
            rows, widths, max_rows, inner_w, gap, lambda k: text_width(f"+{k}", st.scale, st.thick)
        )
    more = len(names) - sum(len(row) for row in rows)
    row_w = [sum(widths[i] for i in row) + gap * (len(row) - 1) for row in rows]
    row_w[-1] += text_width(f"+{more}", st.scale, st.thick) + gap if more else 0
    height = len(rows) * row_h + st.pad
    sprite = Sprite(min(max(row_w) + 2 * st.pad, max_w), height, st.pad, bottom - height)
    for r, row in enumerate(rows):
        x, y_base = st.pad, st.pad + r * row_h + st.text_h
        for i in row:
            sprite.rect(x, y_base - sw, x + sw, y_base, colors[i])
            sprite.text(texts[i], (x + sw + st.pad, y_base), st.scale, st.thick)
            x += widths[i] + gap
    if more:
        sprite.text(f"+{more}", (x, y_base), st.scale, st.thick)
    return sprite

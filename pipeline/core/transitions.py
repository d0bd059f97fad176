"""One transition, one event: per-frame shot/cut/gradual probabilities -> final labels.

A frame-wise argmax breaks one dissolve into pieces, calls the frames around a cut `gradual`
and leaves 1-frame blips in fast motion. `decode_transitions` turns the probabilities into
events with hysteresis, and `finalize_labels` paints them back into per-frame labels:

1. `p = p(cut) + p(gradual)`, the probability that a frame belongs to a transition.
2. A candidate is a run of frames with `p >= low` that holds at least one frame with
   `p >= high`, or a frame with p(cut) >= `cut_high` (a cut the model is less sure of, but a
   clear cut, not a blur of change); candidates at most `merge_gap` frames apart are one event.
3. The kind comes from the whole run: `cut` when the run's highest p(cut) is at least its
   highest p(gradual), else `gradual` (the frames beside a cut are often half `gradual`, but
   its own frame is clearly `cut`).
4. A cut is one frame, the run's most likely cut frame; a gradual event keeps every frame of its
   run, and one shorter than `min_gradual` frames is dropped (fast motion and flicker make such
   blips; real dissolves, fades and wipes last longer).
5. Composite transitions (given which frames are solid, one flat colour: `solid_frames`): a
   fade-out (or an iris-out), the solid frames after it and the fade-in that follows are ONE
   `gradual` event when the solid stretch lasts at most `max_hold_s` seconds (TRECVID's
   "FOI"; the frames between the two may include up to `FADE_TAIL` dim frames of the fades
   that the model left out, and the stretch up to `FADE_TAIL` frames of the fades that look
   as flat as the hold: `hold_frames`); a longer solid stretch is a shot of its own, between
   a fade-out and a fade-in.
6. A flash: a transition that starts right after at most `MAX_FLASH` solid frames (a white or
   black flash) that no transition led into is the picture coming back, not an edit: dropped.

Pure numpy and the same for `label` and for the evaluation. The parameters a model was tuned
with live in its checkpoint under `hyper_parameters["transitions"]` (`params_from_hparams`,
`pipeline.checkpoint.load.params_from_checkpoint`); `label` calls `finalize_labels` on every track.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from pipeline.core.segments import _run_bounds
from pipeline.errors import ConfigError

HPARAMS_KEY = "transitions"  # checkpoint["hyper_parameters"][HPARAMS_KEY] -> TransitionParams
CLASSES = ("shot", "cut", "gradual")
SOLID_STD = 6.0  # grey levels: a frame whose every channel varies less is one flat colour
FADE_TAIL = 4  # frames between a fade and its solid stretch that need not be solid (rule 5)
MAX_FLASH = 3  # solid frames a flash lasts at most (rule 6)


@dataclass(frozen=True)
class TransitionParams:
    """How probability runs become transitions (see the module docstring)."""

    high: float = 0.5  # a run needs one frame at least this likely to be a transition
    low: float = 0.3  # ... and extends over the neighbours at least this likely
    merge_gap: int = 1  # runs this many frames apart or closer are one transition
    min_gradual: int = 3  # shorter gradual runs are dropped
    cut_high: float = 1.0  # ... or one frame with p(cut) at least this (1.0: no such rule)
    max_hold_s: float = 2.0  # longest solid stretch inside one fade-out-in (rule 5)

    def __post_init__(self) -> None:
        if not 0 < self.cut_high <= 1:
            raise ConfigError(f"transition cut_high={self.cut_high}: expected 0 < cut_high <= 1.")
        if not 0 < self.low <= self.high <= 1:
            raise ConfigError(
                f"transition thresholds low={self.low}, high={self.high}: expected "
                "0 < low <= high <= 1."
            )
        if not self.max_hold_s >= 0:
            raise ConfigError(f"transition max_hold_s={self.max_hold_s}: expected >= 0 seconds.")
        if self.merge_gap < 0 or self.min_gradual < 1:
            raise ConfigError(
                f"transition merge_gap={self.merge_gap}, min_gradual={self.min_gradual}: "
                "expected merge_gap >= 0 and min_gradual >= 1 frames."
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> TransitionParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(
                f"transition parameters have unknown keys {unknown}; expected {sorted(known)}."
            )
        return cls(**dict(d))


@dataclass(frozen=True)
class Transition:
    """One event: frames [start, end) (a cut: its one frame), kind `cut` or `gradual`."""

    start: int
    end: int
    kind: str
    confidence: float  # mean p(cut) + p(gradual) over the run it came from


def applies_to(class_names: Sequence[str]) -> bool:
    """True for models whose classes are shot, cut and gradual (in any order)."""
    return sorted(class_names) == sorted(CLASSES)


def params_from_hparams(hparams: Mapping | None) -> TransitionParams:
    """The parameters stored with a model, or the defaults when it has none."""
    stored = (hparams or {}).get(HPARAMS_KEY)
    return TransitionParams.from_dict(stored) if stored else TransitionParams()


def _candidate_runs(
    p: np.ndarray, p_cut: np.ndarray, params: TransitionParams
) -> list[tuple[int, int]]:
    """[start, end) runs of p >= low that reach p >= high (or p_cut >= cut_high), close runs
    merged."""
    strong_cut = p_cut >= params.cut_high
    inside = (p >= params.low) | strong_cut
    starts, ends = _run_bounds(inside.astype(np.int8))
    runs = [
        (int(s), int(e))
        for s, e in zip(starts, ends, strict=True)
        if inside[s] and (p[s:e].max() >= params.high or strong_cut[s:e].any())
    ]
    merged: list[tuple[int, int]] = []
    for s, e in runs:
        if merged and s - merged[-1][1] <= params.merge_gap:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def solid_frames(frames: np.ndarray, max_std: float = SOLID_STD) -> np.ndarray:
    """(T, h, w, 3) uint8 frames -> (T,) bool: the frame is one flat colour (black, white,
    any), as the encoder sees it."""
    flat = frames.reshape(len(frames), -1, frames.shape[-1]).astype(np.float32)  # (T, h*w, 3)
    return flat.std(1).max(1) <= max_std


def solid_runs(solid: np.ndarray, frame_indices: np.ndarray) -> list[list[int]]:
    """[start_frame, end_frame) source frame numbers of every run of solid rows."""
    starts, ends = _run_bounds(np.asarray(solid, dtype=np.int8))
    return [
        [int(frame_indices[s]), int(frame_indices[e - 1]) + 1]
        for s, e in zip(starts, ends, strict=True)
        if solid[s]
    ]


def solid_from_runs(runs: Sequence[Sequence[int]], frame_indices: Sequence[int]) -> np.ndarray:
    """The inverse of `solid_runs` for the rows of a track."""
    frames = np.asarray(frame_indices)
    solid = np.zeros(len(frames), dtype=bool)
    for start, end in runs:
        solid |= (frames >= start) & (frames < end)
    return solid


def hold_frames(params: TransitionParams, fps: float) -> int:
    """The longest run of solid frames inside one fade-out-in (rule 5): `max_hold_s` of held
    colour, plus up to FADE_TAIL frames of the fades themselves, whose darkest (or brightest)
    frames are as flat as the hold and would otherwise push a hold just under `max_hold_s`
    over it."""
    return round(params.max_hold_s * fps) + FADE_TAIL


def _after_flash(t: Transition, prev: Transition | None, solid: np.ndarray) -> bool:
    """Rule 6: `t` starts on or just after a run of at most MAX_FLASH solid frames that
    follows picture, and no transition (`prev`) led into that run."""
    s = t.start
    if s < len(solid) and solid[s]:
        end = s + 1
    elif 0 < s <= len(solid) and solid[s - 1]:
        end = s
    else:
        return False
    start = end
    while start > 0 and solid[start - 1]:
        start -= 1
    if end - start > MAX_FLASH or start == 0:
        return False
    return prev is None or prev.end < start - 1


def _composite(events: list[Transition], solid: np.ndarray, max_hold: int) -> list[Transition]:
    """Rule 5: gradual events joined across at most `max_hold` solid frames become one; a
    gradual event holding a longer solid stretch is split around it (the stretch is a shot)."""
    merged: list[Transition] = []
    for t in events:
        prev = merged[-1] if merged else None
        gap = slice(prev.end, t.start) if prev else slice(0, 0)
        if (
            prev is not None
            and prev.kind == t.kind == "gradual"
            and t.start - prev.end <= max_hold
            and int((~solid[gap]).sum()) <= FADE_TAIL
            and bool(solid[max(0, prev.end - 1) : t.start + 1].any())
        ):
            confidence = (prev.confidence + t.confidence) / 2
            merged[-1] = Transition(prev.start, t.end, "gradual", confidence)
        else:
            merged.append(t)
    merged = [
        t for i, t in enumerate(merged) if not _after_flash(t, merged[i - 1] if i else None, solid)
    ]
    out: list[Transition] = []
    for t in merged:
        if t.kind != "gradual":
            out.append(t)
            continue
        starts, ends = _run_bounds(solid[t.start : t.end].astype(np.int8))
        start = t.start
        for s, e in zip(starts + t.start, ends + t.start, strict=True):
            if solid[s] and e - s > max_hold:  # a shot of solid colour inside the run
                if s > start:
                    out.append(Transition(start, int(s), "gradual", t.confidence))
                start = int(e)
        if t.end > start:
            out.append(Transition(start, t.end, "gradual", t.confidence))
    return out


def decode_transitions(
    probs: np.ndarray,
    class_names: Sequence[str],
    params: TransitionParams | None = None,
    solid: np.ndarray | None = None,
    fps: float = 25.0,
) -> list[Transition]:
    """(T, C) per-frame probabilities -> transitions in frame order. `solid`: (T,) bool, the
    frames that are one flat colour (`solid_frames`), for the composite rule; `fps` converts
    its `max_hold_s`."""
    params = params or TransitionParams()
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(class_names) or not applies_to(class_names):
        raise ValueError(
            f"expected (T, 3) probabilities of classes {CLASSES}, got shape {probs.shape} "
            f"for classes {list(class_names)}"
        )
    p_cut = probs[:, list(class_names).index("cut")]
    p_grad = probs[:, list(class_names).index("gradual")]
    p = p_cut + p_grad
    out = []
    for s, e in _candidate_runs(p, p_cut, params):
        confidence = float(p[s:e].mean())
        if p_cut[s:e].max() >= p_grad[s:e].max():
            frame = s + int(np.argmax(p_cut[s:e]))
            out.append(Transition(frame, frame + 1, "cut", confidence))
        elif e - s >= params.min_gradual:
            out.append(Transition(s, e, "gradual", confidence))
    if solid is not None and len(solid) == len(p):
        out = _composite(out, np.asarray(solid, dtype=bool), hold_frames(params, fps))
    return out


def finalize_labels(
    labels: np.ndarray,
    probs: np.ndarray,
    class_names: Sequence[str],
    params: TransitionParams | None = None,
    solid: np.ndarray | None = None,
    fps: float = 25.0,
) -> np.ndarray:
    """Final (T,) int64 labels: every transition one event (see `decode_transitions`).

    `labels` (the per-frame argmax) come back unchanged for a model that is not a
    shot/cut/gradual model, so `label` can call this for every model.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if not applies_to(class_names):
        return labels
    ids = {name: i for i, name in enumerate(class_names)}
    out = np.full(len(labels), ids["shot"], dtype=np.int64)
    for t in decode_transitions(probs, class_names, params, solid, fps):
        out[t.start : t.end] = ids[t.kind]
    return out


class SettledLabels:
    """`finalize_labels` as frames stream: each row's final label as soon as no later frame can
    change it, so the annotated video shows what `labels.csv` will say.

    An event can reach forward only by merging: runs across at most `merge_gap` rows, a
    fade-out-in across at most `max_hold` rows that are solid but for `FADE_TAIL`, and the flash
    rule looks back `MAX_FLASH` + 1 rows. So a stretch of quiet rows (no candidate) that is
    longer than those, and either longer than `max_hold` or holding more than `FADE_TAIL`
    non-solid rows, closes every event before it: the rows up to its end are final. Decoding
    restarts inside that stretch, so the work per row stays constant. On ordinary footage a
    label is final a few rows after its transition ends; inside a solid stretch (a fade through
    black) only after up to `max_hold_s` more. `settle_until` forces rows out early (a cap on the
    frames held back); those may differ from the final labels.
    """

    def __init__(
        self, class_names: Sequence[str], params: TransitionParams | None, fps: float
    ) -> None:
        self.class_names = tuple(class_names)
        self.params = params or TransitionParams()
        self.fps = float(fps)
        self.max_hold = hold_frames(self.params, self.fps)
        self.min_quiet = max(self.params.merge_gap + 1, MAX_FLASH + 2)
        cut, gradual = self.class_names.index("cut"), self.class_names.index("gradual")
        self._columns = (cut, gradual)
        self.probs = np.zeros((0, len(self.class_names)))  # rows [base, base + len)
        self.solid = np.zeros(0, dtype=bool)
        self.base = 0  # global row of self.probs[0]
        self.done = 0  # rows whose labels were handed out
        self._scan = 0  # local rows looked at for quiet stretches, and the stretch so far
        self._run = self._nonsolid = 0

    @property
    def rows(self) -> int:
        return self.base + len(self.probs)

    def push(self, probs: np.ndarray, solid: np.ndarray) -> np.ndarray:
        """(T, C) probabilities and (T,) solid flags of the next rows -> labels of the rows
        that became final (possibly none)."""
        self.probs = np.concatenate([self.probs, np.asarray(probs, dtype=np.float64)])
        self.solid = np.concatenate([self.solid, np.asarray(solid, dtype=bool)])
        end = self._closed_until()
        if end is None or end <= self.done - self.base:
            return np.zeros(0, dtype=np.int64)
        labels = self._decode(end)
        return self._hand_out(labels, end, keep_from=end - self.min_quiet)

    def settle_until(self, row: int) -> np.ndarray:
        """Labels of the rows before `row` that are not out yet, decided on what is known (a
        cap on the rows held back: these may differ from the final labels)."""
        end = min(row, self.rows) - self.base
        if end <= self.done - self.base:
            return np.zeros(0, dtype=np.int64)
        labels = self._decode(len(self.probs))[:end]
        # keep enough rows before the cut for any event still open to be decoded alike
        context = self.max_hold + self.min_quiet + FADE_TAIL
        return self._hand_out(labels, end, keep_from=end - context)

    def finish(self) -> np.ndarray:
        """Labels of every row not out yet (the stream ended)."""
        return self.settle_until(self.rows)

    def _closed_until(self) -> int | None:
        """Local end (exclusive) of the last quiet stretch that closes the events before it;
        looks only at the rows pushed since the last call."""
        p_cut, p_grad = (self.probs[self._scan :, k] for k in self._columns)
        quiet = (p_cut + p_grad < self.params.low) & (p_cut < self.params.cut_high)
        closed = None
        for i, still in enumerate(quiet.tolist(), start=self._scan):
            self._run = self._run + 1 if still else 0
            self._nonsolid = self._nonsolid + int(not self.solid[i]) if still else 0
            if self._run >= self.min_quiet and (
                self._run > self.max_hold or self._nonsolid > FADE_TAIL
            ):
                closed = i + 1
        self._scan = len(self.probs)
        return closed

    def _decode(self, end: int) -> np.ndarray:
        """Final labels of local rows [0, end) as `finalize_labels` gives them."""
        unused = np.zeros(end, dtype=np.int64)  # the argmax matters only to other models
        probs, solid = self.probs[:end], self.solid[:end]
        return finalize_labels(unused, probs, self.class_names, self.params, solid, self.fps)

    def _hand_out(self, labels: np.ndarray, end: int, keep_from: int) -> np.ndarray:
        """Labels of local rows [done, end); rows before `keep_from` are dropped from memory."""
        out = labels[self.done - self.base : end]
        self.done = self.base + end
        keep = max(0, min(keep_from, len(self.probs)))
        self.probs, self.solid = self.probs[keep:], self.solid[keep:]
        self.base += keep
        self._scan -= keep
        return out

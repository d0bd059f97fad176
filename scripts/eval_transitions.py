"""Score shot-transition detection on a transitions dataset: framelabel vs PySceneDetect.

    python scripts/eval_transitions.py --data DIR --pred PRED_DIR [--split test,cuts]
                                       [--model CKPT] [--tune [--store]] [--tolerance 2]
                                       [--json OUT] [--scenedetect]

DIR is a dataset from datasets/transitions/build.py (annotations.csv, splits/, videos/);
PRED_DIR holds framelabel's NAME.labels.csv per video. Definitions:

- A predicted transition is the first frame of each run of `cut`/`gradual` frames; its kind is
  the label of that frame. PySceneDetect's transitions are its scene starts after frame 0.
- With `--model CKPT` the labels are decoded from the `p_<class>` columns by
  `pipeline.core.transitions` with the parameters stored in CKPT (one transition, one event), the
  same function `label` uses; without it the `label` column is scored as written. `--tune`
  searches those parameters on the split (use `--split val`), `--store` writes the best into
  CKPT.
- A true hard cut (a `cut` segment starting at frame c) is matched one-to-one by a prediction
  within c +- tolerance; a true gradual transition [s, e) by one inside [s - tol, e + tol).
  Gradual transitions are matched first, hard cuts then from the remaining predictions.
- The cut and gradual rows are *detection* scores: a prediction of any kind may match a truth
  of either kind, so methods that do not name the kind (PySceneDetect) are scored alike. A
  prediction that matches nothing is a false positive in every row. `kind acc` is the share of
  matched predictions whose predicted kind is the true one (framelabel only); `cuts as cut` and
  `graduals as gradual` split it by the true kind.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import logging
import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path

import numpy as np
import torch

try:
    from pipeline.errors import (
        AnnotationError,
        ConfigError,
        FramelabelError,
        VideoNotFoundError,
    )
except ModuleNotFoundError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pipeline.errors import (
        AnnotationError,
        ConfigError,
        FramelabelError,
        VideoNotFoundError,
    )
from pipeline.checkpoint.load import read_checkpoint
from pipeline.core.metrics import boundary_prf
from pipeline.core.transitions import (
    HPARAMS_KEY,
    TransitionParams,
    decode_transitions,
    params_from_hparams,
    solid_from_runs,
)

log = logging.getLogger("eval_transitions")

CLASSES = ("shot", "cut", "gradual")
TRANSITION_LABELS = ("cut", "gradual")
DETECTORS = {"content": "ContentDetector", "adaptive": "AdaptiveDetector"}


@dataclass(frozen=True)
class Truth:
    """Ground truth of one video: hard cut frames and gradual transitions [start, end)."""

    frames: int
    cuts: tuple[int, ...]
    graduals: tuple[tuple[int, int], ...]


@dataclass
class Counts:
    """Detection counts, summed over videos with `+`."""

    tp_cut: int = 0
    fn_cut: int = 0
    tp_gradual: int = 0
    fn_gradual: int = 0
    fp: int = 0
    kind_right: int = 0  # matched predictions whose predicted kind is the true kind
    cut_as_cut: int = 0  # matched hard cuts predicted as `cut`
    gradual_as_gradual: int = 0  # matched gradual transitions predicted as `gradual`
    videos: int = 0
    frames: int = 0
    fp_on_negatives: Counter = field(default_factory=Counter)  # unmatched, inside a hard negative

    def __add__(self, other: Counts) -> Counts:
        numbers = [a + b for a, b in zip(astuple(self)[:-1], astuple(other)[:-1], strict=True)]
        return Counts(*numbers, self.fp_on_negatives + other.fp_on_negatives)


def transitions_from_labels(
    labels: Sequence[str], frames: Sequence[int] | None = None
) -> list[tuple[int, str]]:
    """(frame, kind) at the first frame of each run of `cut`/`gradual` labels.

    `frames` are the rows' frame numbers (labels written with sampling skip numbers); by
    default row i is frame i.
    """
    out, inside = [], False
    for i, label in enumerate(labels):
        if label in TRANSITION_LABELS and not inside:
            out.append((int(frames[i]) if frames is not None else i, label))
        inside = label in TRANSITION_LABELS
    return out


def match_windows(preds: Sequence[int], windows: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Match predicted frames one-to-one to windows [lo, hi): {window index: prediction index}.

    Windows are served in order of their end, each by the earliest free prediction inside it:
    for points against intervals this greedy finds a maximum matching.
    """
    by_frame = sorted(range(len(preds)), key=lambda i: preds[i])
    used: set[int] = set()
    pairs: dict[int, int] = {}
    for w in sorted(range(len(windows)), key=lambda j: windows[j][1]):
        lo, hi = windows[w]
        free = (i for i in by_frame if i not in used and lo <= preds[i] < hi)
        if (i := next(free, None)) is not None:
            used.add(i)
            pairs[w] = i
    return pairs


def score_video(
    preds: Sequence[tuple[int, str]],
    truth: Truth,
    tolerance: int,
    negatives: Sequence[tuple[int, int, str]] = (),
) -> Counts:
    """Counts for one video. `negatives` (start, end, kind): hard negatives, to attribute
    false positives that fall within `tolerance` of one."""
    frames = [f for f, _ in preds]
    grad = match_windows(frames, [(s - tolerance, e + tolerance) for s, e in truth.graduals])
    taken = set(grad.values())
    rest = [i for i in range(len(preds)) if i not in taken]
    cut_windows = [(c - tolerance, c + tolerance + 1) for c in truth.cuts]
    cut = {w: rest[j] for w, j in match_windows([frames[i] for i in rest], cut_windows).items()}
    scores = boundary_prf([frames[i] for i in rest], list(truth.cuts), tolerance)
    if scores["tp"] != len(cut):  # both are maximum matchings; a mismatch is a bug here
        raise RuntimeError(f"cut matching disagrees with boundary_prf: {len(cut)} vs {scores}")
    matched = set(cut.values()) | set(grad.values())
    unmatched = [frames[i] for i in range(len(preds)) if i not in matched]
    hits = Counter(
        kind
        for f in unmatched
        for kind in {k for s, e, k in negatives if s - tolerance <= f < e + tolerance}
    )
    cut_as_cut = sum(preds[i][1] == "cut" for i in cut.values())
    gradual_as_gradual = sum(preds[i][1] == "gradual" for i in grad.values())
    return Counts(
        tp_cut=scores["tp"],
        fn_cut=scores["fn"],
        tp_gradual=len(grad),
        fn_gradual=len(truth.graduals) - len(grad),
        fp=scores["fp"],
        kind_right=cut_as_cut + gradual_as_gradual,
        cut_as_cut=cut_as_cut,
        gradual_as_gradual=gradual_as_gradual,
        videos=1,
        frames=truth.frames,
        fp_on_negatives=hits,
    )


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall, F1 (NaN when a denominator is 0) with the counts."""
    p = tp / (tp + fp) if tp + fp else math.nan
    r = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def summarize(c: Counts, typed: bool) -> dict:
    """Rows cut / gradual / all, kind accuracy (None for kind-blind methods), sizes."""
    matched = c.tp_cut + c.tp_gradual
    return {
        "cut": prf(c.tp_cut, c.fp, c.fn_cut),
        "gradual": prf(c.tp_gradual, c.fp, c.fn_gradual),
        "all": prf(matched, c.fp, c.fn_cut + c.fn_gradual),
        "kind_accuracy": (c.kind_right / matched if matched else math.nan) if typed else None,
        "cuts_as_cut": (c.cut_as_cut / c.tp_cut if c.tp_cut else math.nan) if typed else None,
        "graduals_as_gradual": (
            (c.gradual_as_gradual / c.tp_gradual if c.tp_gradual else math.nan) if typed else None
        ),
        "videos": c.videos,
        "frames": c.frames,
        "fp_on_negatives": dict(sorted(c.fp_on_negatives.items())),
    }


def _rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """CSV rows as dicts, after checking the header has the `required` columns."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise AnnotationError(
                f"{path}: header {reader.fieldnames} lacks {missing}; expected columns "
                f"{','.join(required)}. Fix the file's first line."
            )
        return list(reader)


def _label(value: str, path: Path, line: int) -> str:
    if value not in CLASSES:
        raise AnnotationError(
            f"{path} line {line}: label {value!r} is not one of {list(CLASSES)}; this evaluation "
            "is for the shot/cut/gradual transition task. Fix the label or the model."
        )
    return value


def read_truth(data: Path, split: str) -> dict[str, Truth]:
    """Ground truth of the videos listed in DIR/splits/SPLIT.txt, from DIR/annotations.csv."""
    split_file = data / "splits" / f"{split}.txt"
    if not split_file.is_file():
        raise AnnotationError(
            f"{split_file} does not exist; expected a dataset built by "
            f"datasets/transitions/build.py with a {split!r} split. Check --data and --split."
        )
    names = [n.strip() for n in split_file.read_text().splitlines() if n.strip()]
    path = data / "annotations.csv"
    segments: dict[str, list[tuple[int, int, str]]] = {n: [] for n in names}
    for line, row in enumerate(_rows(path, ("video", "start_frame", "end_frame", "label")), 2):
        if row["video"] in segments:
            seg = (int(row["start_frame"]), int(row["end_frame"]), _label(row["label"], path, line))
            segments[row["video"]].append(seg)
    empty = [n for n, segs in segments.items() if not segs]
    if empty or not names:
        raise AnnotationError(
            f"{path} has no segments for {empty or split_file}; expected every video of "
            f"{split_file} annotated. Rebuild the dataset or fix the split file."
        )
    return {
        name: Truth(
            frames=max(e for _, e, _ in segs),
            cuts=tuple(sorted(s for s, _, lab in segs if lab == "cut")),
            graduals=tuple(sorted((s, e) for s, e, lab in segs if lab == "gradual")),
        )
        for name, segs in segments.items()
    }


def read_negatives(data: Path) -> dict[str, list[tuple[int, int, str]]]:
    """Hard negatives per video from DIR/events.csv (written by build.py; optional)."""
    path = data / "events.csv"
    out: dict[str, list[tuple[int, int, str]]] = {}
    if path.is_file():
        for row in _rows(path, ("video", "start_frame", "end_frame", "type", "kind")):
            if row["type"] == "negative":
                item = (int(row["start_frame"]), int(row["end_frame"]), row["kind"])
                out.setdefault(row["video"], []).append(item)
    return out


def read_predictions(
    path: Path, truth: Truth, params: TransitionParams | None = None
) -> list[tuple[int, str]]:
    """Predicted transitions from one NAME.labels.csv written by `framelabel label`: its
    labels as written, or decoded from its probabilities with `params`."""
    frames, probs = read_probabilities(path, truth) if params else (None, None)
    if params is not None:
        events = decode_transitions(probs, CLASSES, params, read_solid(path, frames))
        return [(int(frames[t.start]), t.kind) for t in events]
    if not path.is_file():
        raise AnnotationError(
            f"prediction file {path} does not exist; expected NAME.labels.csv for every test "
            f"video. Run `framelabel label DIR/videos/*.mp4 --out {path.parent}` first."
        )
    rows = _rows(path, ("frame", "label"))
    labels = [_label(r["label"], path, i) for i, r in enumerate(rows, 2)]
    frames = [int(r["frame"]) for r in rows]
    if frames and frames[-1] + 1 != truth.frames:
        log.warning(
            "%s ends at frame %d; ground truth has %d frames", path, frames[-1], truth.frames
        )
    return transitions_from_labels(labels, frames)


def read_solid(labels_csv: Path, frames: Sequence[int]) -> np.ndarray | None:
    """Which rows were one flat colour, from the `solid_runs` that `label` records in the
    NAME.segments.json beside NAME.labels.csv (None when absent: the composite-fade rule
    is then not applied)."""
    path = labels_csv.with_name(labels_csv.name.replace(".labels.csv", ".segments.json"))
    try:
        runs = json.loads(path.read_text()).get("solid_runs")
    except (OSError, ValueError):
        return None
    return None if runs is None else solid_from_runs(runs, frames)


def read_probabilities(path: Path, truth: Truth) -> tuple[list[int], list[list[float]]]:
    """Frame numbers and (T, 3) shot/cut/gradual probabilities of one NAME.labels.csv."""
    if not path.is_file():
        raise AnnotationError(
            f"prediction file {path} does not exist; expected NAME.labels.csv for every test "
            f"video. Run `framelabel label DIR/videos/*.mp4 --out {path.parent}` first."
        )
    columns = [f"p_{c}" for c in CLASSES]
    rows = _rows(path, ("frame", *columns))
    return [int(r["frame"]) for r in rows], [[float(r[c]) for c in columns] for r in rows]


def scenedetect_transitions(video: Path, detector: str) -> list[tuple[int, str]]:
    """PySceneDetect's scene starts after frame 0, at default settings, as (frame, "cut")."""
    try:
        import scenedetect  # an evaluation-only dependency: imported when asked for
    except ImportError as exc:
        raise ConfigError(
            "--scenedetect needs PySceneDetect, which is not installed; expected the "
            "`scenedetect` package. Install it with `pip install scenedetect` "
            "(or `pip install -e .[eval]`)."
        ) from exc
    scenes = scenedetect.detect(str(video), getattr(scenedetect, DETECTORS[detector])())
    starts = [s.frame_num if hasattr(s, "frame_num") else s.get_frames() for s, _ in scenes]
    return [(int(f), "cut") for f in starts if f > 0]


def _video_path(data: Path, name: str) -> Path:
    found = sorted((data / "videos").glob(f"{name}.*"))
    if not found:
        raise VideoNotFoundError(
            f"no video for {name!r} in {data / 'videos'}; expected {name}.mp4 there. "
            "Rebuild the dataset or check --data."
        )
    return found[0]


# (video name, its ground truth) -> predicted transitions (frame, kind)
Predictor = Callable[[str, "Truth"], list[tuple[int, str]]]
# The decoder settings `--tune` tries (the product of these values). `high` and `low` reach
# 0.99 and 0.9: with 0.95 and 0.7 at the top, val's best setting sat on that edge.
TUNE_GRID = {
    "high": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99),
    "low": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    "merge_gap": (0, 1, 2, 4),
    "min_gradual": (1, 2, 3, 4, 6),
    "cut_high": (0.2, 0.3, 0.5, 1.0),
}


def score_split(
    predict: Predictor, truths: dict[str, Truth], negatives: dict, tolerance: int, typed: bool
) -> dict:
    """One method's summary over the videos of a split."""
    total = Counts()
    for name, truth in truths.items():
        preds = predict(name, truth)
        total = total + score_video(preds, truth, tolerance, negatives.get(name, ()))
    return summarize(total, typed)


def evaluate(args: argparse.Namespace, split: str) -> dict[str, dict]:
    """Scores per method on one split: framelabel (with --pred) and PySceneDetect."""
    truths, negatives = read_truth(args.data, split), read_negatives(args.data)
    methods: dict[str, tuple[bool, Predictor]] = {}
    if args.pred is not None:
        params = args.params

        def framelabel(n: str, t: Truth) -> list[tuple[int, str]]:
            return read_predictions(args.pred / f"{n}.labels.csv", t, params)

        methods["framelabel"] = (True, framelabel)
    if args.scenedetect:
        for det in DETECTORS:
            methods[f"PySceneDetect {det}"] = (
                False,
                lambda n, t, det=det: scenedetect_transitions(_video_path(args.data, n), det),
            )
    return {
        method: score_split(predict, truths, negatives, args.tolerance, typed)
        for method, (typed, predict) in methods.items()
    }


def tune(args: argparse.Namespace, split: str) -> tuple[TransitionParams, dict]:
    """The decoder parameters with the best all-transition F1 (+ a quarter of the kind
    accuracy) on `split`, and their scores."""
    truths, negatives = read_truth(args.data, split), read_negatives(args.data)
    probs = {n: read_probabilities(args.pred / f"{n}.labels.csv", t) for n, t in truths.items()}
    solid = {n: read_solid(args.pred / f"{n}.labels.csv", probs[n][0]) for n in truths}
    best: tuple[float, TransitionParams, dict] | None = None
    for values in itertools.product(*TUNE_GRID.values()):
        settings = dict(zip(TUNE_GRID, values, strict=True))
        if settings["low"] > settings["high"]:
            continue
        params = TransitionParams(**settings)

        def predict(n: str, t: Truth, params: TransitionParams = params) -> list[tuple[int, str]]:
            frames, p = probs[n]
            events = decode_transitions(p, CLASSES, params, solid[n])
            return [(frames[e.start], e.kind) for e in events]

        summary = score_split(predict, truths, negatives, args.tolerance, True)
        objective = summary["all"]["f1"] + 0.25 * summary["kind_accuracy"]
        if best is None or objective > best[0] + 1e-9:
            best = (objective, params, summary)
    return best[1], best[2]


def store_params(ckpt_path: Path, params: TransitionParams) -> None:
    """Write `params` into the checkpoint's hyper_parameters (atomically)."""
    ckpt = read_checkpoint(ckpt_path)
    ckpt.setdefault("hyper_parameters", {})[HPARAMS_KEY] = params.to_dict()
    tmp = ckpt_path.with_name(f".{ckpt_path.name}.tmp")
    torch.save(ckpt, tmp)
    tmp.replace(ckpt_path)


def markdown_table(results: dict[str, dict]) -> str:
    """One row per method: cut, gradual and all P/R/F1, kind accuracy, videos, frames."""
    head = ["method"] + [f"{k} {m}" for k in ("cut", "gradual", "all") for m in ("P", "R", "F1")]
    head += ["kind acc", "cuts as cut", "graduals as gradual", "videos", "frames"]

    def num(x: float | None) -> str:
        return "n/a" if x is None or math.isnan(x) else f"{x:.3f}"

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, r in results.items():
        cells = [method]
        cells += [
            num(r[k][m]) for k in ("cut", "gradual", "all") for m in ("precision", "recall", "f1")
        ]
        cells += [num(r[k]) for k in ("kind_accuracy", "cuts_as_cut", "graduals_as_gradual")]
        cells += [str(r["videos"]), str(r["frames"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _json_safe(value: object) -> object:
    """NaN -> None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="dataset folder (build.py --out)")
    ap.add_argument("--pred", type=Path, help="folder with framelabel's NAME.labels.csv")
    ap.add_argument("--split", default="test", help="splits to score, comma-separated")
    ap.add_argument("--tolerance", type=int, default=2, help="frames of slack when matching")
    ap.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    ap.add_argument("--scenedetect", action="store_true", help="also score PySceneDetect")
    ap.add_argument(
        "--model", type=Path, help="decode labels from probabilities with this model's settings"
    )
    ap.add_argument("--tune", action="store_true", help="search the decoder settings on --split")
    ap.add_argument("--store", action="store_true", help="with --tune: save them into --model")
    args = ap.parse_args(argv)
    if args.pred is None and not args.scenedetect:
        raise ConfigError("nothing to score: expected --pred PRED_DIR and/or --scenedetect.")
    if args.tolerance < 0:
        raise ConfigError(f"--tolerance {args.tolerance}: expected 0 or more frames.")
    if (args.tune and args.pred is None) or (args.store and not (args.tune and args.model)):
        raise ConfigError("--tune needs --pred, and --store needs --tune and --model CKPT.")
    args.splits = [s.strip() for s in args.split.split(",") if s.strip()]
    args.params = None
    if args.model is not None:
        args.params = params_from_hparams(read_checkpoint(args.model).get("hyper_parameters"))
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    """Score, print the Markdown tables, optionally write JSON; returns the JSON content."""
    args = parse_args(argv)
    report: dict = {"data": str(args.data), "tolerance": args.tolerance, "splits": {}}
    if args.tune:
        params, summary = tune(args, args.splits[0])
        print(f"best decoder settings on {args.splits[0]}: {json.dumps(params.to_dict())}")
        print(markdown_table({"framelabel (tuned)": summary}))
        report["tuned"] = params.to_dict()
        if args.store:
            store_params(args.model, params)
            print(f"stored in {args.model} (hyper_parameters[{HPARAMS_KEY!r}])")
        return report
    if args.params is not None:
        print(f"decoder settings: {json.dumps(args.params.to_dict())}")
    for split in args.splits:
        results = evaluate(args, split)
        print(f"\nsplit {split}:\n" + markdown_table(results))
        report["splits"][split] = {"methods": results}
    print(
        "\nPer-kind rows are detection scores: any prediction may match a truth of that kind; "
        f"unmatched predictions count as false positives in every row (tolerance {args.tolerance})."
    )
    report["split"], report["methods"] = args.splits[0], report["splits"][args.splits[0]]["methods"]
    if args.json is not None:
        args.json.write_text(json.dumps(_json_safe(report), indent=1) + "\n")
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        main()
    except FramelabelError as exc:
        sys.exit(f"error: {exc}")

"""Score shot-transition detection on a transitions dataset: framelabel vs PySceneDetect.

    python scripts/eval_transitions.py --data DIR --pred PRED_DIR [--split test] [--tolerance 2]
                                       [--json OUT] [--scenedetect]

DIR is a dataset from datasets/transitions/build.py (annotations.csv, splits/, videos/);
PRED_DIR holds framelabel's NAME.labels.csv per video. Definitions:

- A predicted transition is the first frame of each run of `cut`/`gradual` frames; its kind is
  the label of that frame. PySceneDetect's transitions are its scene starts after frame 0.
- A true hard cut (a `cut` segment starting at frame c) is matched one-to-one by a prediction
  within c +- tolerance; a true gradual transition [s, e) by one inside [s - tol, e + tol).
  Gradual transitions are matched first, hard cuts then from the remaining predictions.
- The cut and gradual rows are *detection* scores: a prediction of any kind may match a truth
  of either kind, so methods that do not name the kind (PySceneDetect) are scored alike. A
  prediction that matches nothing is a false positive in every row. `kind acc` is the share of
  matched predictions whose predicted kind is the true one (framelabel only).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path

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
from pipeline.metrics import boundary_prf

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
    kind_right = sum(preds[i][1] == "cut" for i in cut.values())
    kind_right += sum(preds[i][1] == "gradual" for i in grad.values())
    return Counts(
        tp_cut=scores["tp"],
        fn_cut=scores["fn"],
        tp_gradual=len(grad),
        fn_gradual=len(truth.graduals) - len(grad),
        fp=scores["fp"],
        kind_right=kind_right,
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


def read_predictions(path: Path, truth: Truth) -> list[tuple[int, str]]:
    """Predicted transitions from one NAME.labels.csv written by `framelabel label`."""
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


def evaluate(args: argparse.Namespace) -> dict[str, dict]:
    """Scores per method: framelabel (with --pred) and PySceneDetect (with --scenedetect)."""
    truths, negatives = read_truth(args.data, args.split), read_negatives(args.data)
    methods: dict[str, tuple[bool, Predictor]] = {}
    if args.pred is not None:
        methods["framelabel"] = (
            True,
            lambda n, t: read_predictions(args.pred / f"{n}.labels.csv", t),
        )
    if args.scenedetect:
        for det in DETECTORS:
            methods[f"PySceneDetect {det}"] = (
                False,
                lambda n, t, det=det: scenedetect_transitions(_video_path(args.data, n), det),
            )
    results = {}
    for method, (typed, predict) in methods.items():
        total = Counts()
        for name, truth in truths.items():
            preds = predict(name, truth)
            total = total + score_video(preds, truth, args.tolerance, negatives.get(name, ()))
        results[method] = summarize(total, typed)
    return results


def markdown_table(results: dict[str, dict]) -> str:
    """One row per method: cut, gradual and all P/R/F1, kind accuracy, videos, frames."""
    head = ["method"] + [f"{k} {m}" for k in ("cut", "gradual", "all") for m in ("P", "R", "F1")]
    head += ["kind acc", "videos", "frames"]

    def num(x: float | None) -> str:
        return "n/a" if x is None or math.isnan(x) else f"{x:.3f}"

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, r in results.items():
        cells = [method]
        cells += [
            num(r[k][m]) for k in ("cut", "gradual", "all") for m in ("precision", "recall", "f1")
        ]
        cells += [num(r["kind_accuracy"]), str(r["videos"]), str(r["frames"])]
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
    ap.add_argument("--split", default="test", help="split to score (splits/SPLIT.txt)")
    ap.add_argument("--tolerance", type=int, default=2, help="frames of slack when matching")
    ap.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    ap.add_argument("--scenedetect", action="store_true", help="also score PySceneDetect")
    args = ap.parse_args(argv)
    if args.pred is None and not args.scenedetect:
        raise ConfigError("nothing to score: expected --pred PRED_DIR and/or --scenedetect.")
    if args.tolerance < 0:
        raise ConfigError(f"--tolerance {args.tolerance}: expected 0 or more frames.")
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    """Score, print the Markdown table, optionally write JSON; returns the JSON content."""
    args = parse_args(argv)
    results = evaluate(args)
    print(markdown_table(results))
    print(
        "\nPer-kind rows are detection scores: any prediction may match a truth of that kind; "
        f"unmatched predictions count as false positives in every row (tolerance {args.tolerance})."
    )
    report = {"data": str(args.data), "split": args.split, "tolerance": args.tolerance}
    report["methods"] = results
    if args.json is not None:
        args.json.write_text(json.dumps(_json_safe(report), indent=1) + "\n")
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        main()
    except FramelabelError as exc:
        sys.exit(f"error: {exc}")

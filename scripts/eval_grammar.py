"""The grammar of films, held out: false alarms on hard negatives, recall and transitions per
edit on transitions, for framelabel and PySceneDetect.

    python scripts/eval_grammar.py --out data/grammar --model CKPT [--videos 100]
        [--kinds enter,foi_black] [--json OUT]

For each kind of `datasets/transitions/grammar.py` (`GRAMMAR_KINDS`), builds the held-out
`test` split (test sources only) with every shot carrying that hard negative, or every join
being that transition (`build.py --split test --grammar KIND`), labels it with `framelabel
label --no-video` and runs PySceneDetect's adaptive and content detectors at their defaults.

- Hard negatives: false alarms per minute of footage = predicted transitions that match no
  true transition and fall within the tolerance of an event of that kind, per minute.
- Transitions: recall, and transitions per edit = predicted transitions inside a detected
  true transition's window (+- tolerance), averaged over the detected ones (1.0 is right:
  one edit, one transition).
Every step resumes like `scripts/eval_robustness.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_robustness as robust  # noqa: E402  (a script beside this one)

evaluation, build = robust.evaluation, robust.build
grammar = sys.modules["transitions_grammar"]
METHODS = robust.METHODS


def per_edit(preds: list[tuple[int, str]], truth, tolerance: int) -> tuple[int, int, int]:
    """(true edits, detected edits, predictions inside the detected edits' windows)."""
    frames = [f for f, _ in preds]
    windows = [(s - tolerance, e + tolerance) for s, e in truth.graduals]
    windows += [(c - tolerance, c + tolerance + 1) for c in truth.cuts]
    inside = [sum(lo <= f < hi for f in frames) for lo, hi in windows]
    return len(windows), sum(n > 0 for n in inside), sum(n for n in inside if n > 0)


def score_kind(data: Path, pred: Path, model: Path, kind: str, tolerance: int) -> dict:
    truths, negatives = evaluation.read_truth(data, "test"), evaluation.read_negatives(data)
    out = {}
    for method, (_typed, predict) in robust.predictors(data, pred, model).items():
        counts = evaluation.Counts()
        edits = detected = inside = 0
        for name, truth in truths.items():
            preds = predict(name, truth)
            counts = counts + evaluation.score_video(
                preds, truth, tolerance, negatives.get(name, ())
            )
            e, d, i = per_edit(preds, truth, tolerance)
            edits, detected, inside = edits + e, detected + d, inside + i
        minutes = counts.frames / build.FPS / 60
        out[method] = {
            "minutes": minutes,
            "false_alarms_per_min": counts.fp_on_negatives.get(kind, 0) / minutes,
            "all_false_alarms_per_min": counts.fp / minutes,
            "recall": detected / edits if edits else None,
            "transitions_per_edit": inside / detected if detected else None,
            "edits": edits,
        }
    return out


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(results: dict[str, dict]) -> str:
    negatives = [k for k in results if k in grammar.NEGATIVE_KINDS]
    positives = [k for k in results if k in grammar.POSITIVE_KINDS]
    lines = []
    if negatives:
        lines += ["| hard negative | " + " | ".join(f"{m}: false alarms/min" for m in METHODS)
                  + " | minutes |", "|" + "---|" * (len(METHODS) + 2)]  # fmt: skip
        for k in negatives:
            r = results[k]
            cells = [f"{r[m]['false_alarms_per_min']:.2f}" for m in METHODS]
            lines.append(f"| {k} | " + " | ".join(cells) + f" | {r['framelabel']['minutes']:.1f} |")
        lines.append("")
    if positives:
        head = [f"{m}: recall" for m in METHODS] + [f"{m}: per edit" for m in METHODS]
        lines += [
            "| transition | " + " | ".join(head) + " | edits |",
            "|" + "---|" * (len(head) + 2),
        ]
        for k in positives:
            r = results[k]
            cells = [_num(r[m]["recall"], 3) for m in METHODS]
            cells += [_num(r[m]["transitions_per_edit"], 2) for m in METHODS]
            lines.append(f"| {k} | " + " | ".join(cells) + f" | {r['framelabel']['edits']} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder of the film-grammar builds")
    ap.add_argument("--model", type=Path, help="checkpoint to evaluate")
    ap.add_argument("--videos", type=int, default=100, help="build.py --videos (test = 20%%)")
    ap.add_argument("--kinds", help="comma-separated subset (default: all)")
    ap.add_argument("--tolerance", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write every score here")
    ap.add_argument(
        "--prepare", action="store_true", help="only build and run PySceneDetect (no model)"
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.model is None and not args.prepare:
        raise SystemExit("--model CKPT is needed (or --prepare)")
    kinds = list(grammar.GRAMMAR_KINDS)
    if args.kinds:
        kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    results = {}
    for kind in kinds:
        data = args.out / kind
        robust.build_condition(data, kind, args.videos, 0, flag="--grammar")
        if args.prepare:
            robust.scenedetect_scenes(data)
            continue
        pred = robust.label_condition(data, args.model)
        results[kind] = score_kind(data, pred, args.model, kind, args.tolerance)
        print(kind, json.dumps({m: {k: v for k, v in r.items() if k != "minutes"}
                                for m, r in results[kind].items()}), flush=True)  # fmt: skip
    print(f"\nheld-out film grammar (tolerance +-{args.tolerance} frames):\n" + table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()

"""Film-events accuracy on ambiguous frames by gap, per recurrent cell and seed: mean and spread.

    python scripts/cells_by_gap.py --data data/fe_long --runs runs/fe_cells \\
        [--plot docs/cells_by_gap.png] [--json runs/fe_cells/by_gap.json]

`--runs` holds one folder per model kind and seed, as `scripts/train_cells.sh` writes them:
RUNS/{frame_only,rnn,gru,lstm}/sSEED/lightning_logs/*/checkpoints/best-*.ckpt (the newest best
checkpoint of each). Every checkpoint is scored on the held-out split with one offline pass over
the cached features (`scripts/eval_film_events.py`). "gap" is the number of frames since the cue
that decides a frame's label; a bucket's accuracy is over the ambiguous frames in it (frames
that cannot be labelled from the frame alone). Frames in one bucket come in runs (one held
state, one event), so the table also gives how many runs each bucket holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling eval script

import numpy as np  # noqa: E402
from eval_film_events import VideoResult, accuracy_by_gap, predict_split  # noqa: E402

from pipeline.checkpoint.load import load_labeler  # noqa: E402

BUCKETS = {"<50": (0, 50), "50-200": (50, 201), "200-500": (201, 501), ">500": (501, 10**9)}
CURVE_EDGES = (0, 25, 50, 100, 200, 350, 500, 750, 1000, 1600)
KINDS = ("frame_only", "rnn", "gru", "lstm")
# what holds each ambiguous frame's label (datasets/film_events): class ids -> mechanism
MECHANISMS = {"flash state": (0, 1), "ball exit": (3, 4), "key": (7, 8)}
NAMES = {"frame_only": "frame-only", "rnn": "RNN (tanh)", "gru": "GRU", "lstm": "LSTM"}


def find_runs(runs: Path, kinds: tuple[str, ...] = KINDS) -> dict[str, dict[str, Path]]:
    """kind -> {seed folder name: newest best checkpoint} for every finished run under `runs`."""
    found: dict[str, dict[str, Path]] = {}
    for kind in kinds:
        for seed_dir in sorted((runs / kind).glob("s*")):
            ckpts = sorted(seed_dir.glob("lightning_logs/*/checkpoints/best-*.ckpt"),
                           key=lambda p: p.stat().st_mtime)  # fmt: skip
            if ckpts and (seed_dir / "DONE").exists():
                found.setdefault(kind, {})[seed_dir.name] = ckpts[-1]
    return found


def count_runs(results, low: int, high: int) -> int:
    """Contiguous stretches of ambiguous frames with low <= gap < high, over all videos."""
    total = 0
    for r in results:
        chosen = r.ambiguous & (r.gap >= low) & (r.gap < high)
        total += int(np.count_nonzero(np.diff(np.r_[0, chosen.astype(np.int8)]) == 1))
    return total


def by_mechanism(results) -> dict[str, dict[str, list]]:
    """Accuracy and frame count per mechanism and gap bucket: {mechanism: {bucket: [acc, n]}}."""
    out = {}
    for name, classes in MECHANISMS.items():
        only = [
            VideoResult(r.name, r.pred, r.labels, r.ambiguous & np.isin(r.labels, classes), r.gap)
            for r in results
        ]
        out[name] = {k: list(v) for k, v in accuracy_by_gap(only, BUCKETS).items()}
    return out


def score_all(data: Path, runs: dict[str, dict[str, Path]], split: str) -> dict:
    curve = {f"{a}-{b}": (a, b) for a, b in zip(CURVE_EDGES, CURVE_EDGES[1:], strict=False)}
    out: dict = {"buckets": {}, "curve_edges": list(CURVE_EDGES), "models": {}}
    for kind, seeds in runs.items():
        for seed, ckpt in seeds.items():
            results = predict_split(load_labeler(ckpt), data, split)
            correct = np.concatenate([r.pred == r.labels for r in results])
            by_gap = accuracy_by_gap(results, {"ambiguous": (0, 10**9), **BUCKETS})
            out["models"].setdefault(kind, {})[seed] = {
                "checkpoint": str(ckpt),
                "frame_accuracy": float(correct.mean()),
                **{k: acc for k, (acc, _) in by_gap.items()},
                "curve": [acc for acc, _ in accuracy_by_gap(results, curve).values()],
                "mechanisms": by_mechanism(results),
            }
            if not out["buckets"]:
                out["buckets"] = {
                    k: {"frames": n, "runs": count_runs(results, *BUCKETS.get(k, (0, 10**9)))}
                    for k, (_, n) in by_gap.items()
                }
                out["curve_frames"] = [n for _, n in accuracy_by_gap(results, curve).values()]
            print(f"{kind} {seed}: {out['models'][kind][seed]['ambiguous']:.3f} ({ckpt})")
    return out


def table(scores: dict) -> str:
    cols = ["frame_accuracy", "ambiguous", *BUCKETS]
    heads = ["frame acc", "ambiguous", *(f"gap {b}" for b in BUCKETS)]
    lines = ["| model | seeds | " + " | ".join(heads) + " |", "|---" * (len(cols) + 2) + "|"]
    for kind, seeds in scores["models"].items():
        cells = []
        for c in cols:
            v = np.array([s[c] for s in seeds.values()])
            cells.append(f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}")
        lines.append(f"| {NAMES.get(kind, kind)} | {len(seeds)} | " + " | ".join(cells) + " |")
    b = scores["buckets"]
    lines.append(
        "| ambiguous frames (runs) | | | "
        + f"{b['ambiguous']['frames']} | "
        + " | ".join(f"{b[k]['frames']} ({b[k]['runs']})" for k in BUCKETS)
        + " |"
    )
    return "\n".join(lines)


def mechanism_table(scores: dict) -> str:
    """Accuracy by mechanism and gap bucket (mean ± std over seeds; frames in brackets)."""
    lines = ["| model | mechanism | " + " | ".join(f"gap {b}" for b in BUCKETS) + " |"]
    lines.append("|---" * (len(BUCKETS) + 2) + "|")
    for kind, seeds in scores["models"].items():
        for mech in MECHANISMS:
            cells = []
            for b in BUCKETS:
                accs = np.array([s["mechanisms"][mech][b][0] for s in seeds.values()], float)
                n = next(iter(seeds.values()))["mechanisms"][mech][b][1]
                spread = accs.std(ddof=1) if len(accs) > 1 else 0.0
                cells.append(f"{accs.mean():.2f} ± {spread:.2f} ({n})" if n else "-")
            lines.append(f"| {NAMES.get(kind, kind)} | {mech} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(scores: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.array(scores["curve_edges"], dtype=float)
    mids = np.sqrt(np.maximum(edges[:-1], edges[1] / 2) * edges[1:])  # geometric bin centres
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for i, (kind, seeds) in enumerate(scores["models"].items()):
        curves = np.array([s["curve"] for s in seeds.values()], dtype=float)  # (seeds, bins)
        mean, lo, hi = curves.mean(0), curves.min(0), curves.max(0)
        ax.plot(
            mids, mean, "o-", color=f"C{i}", label=f"{NAMES.get(kind, kind)} ({len(seeds)} seeds)"
        )
        ax.fill_between(mids, lo, hi, color=f"C{i}", alpha=0.18)
    for x, n in zip(mids, scores.get("curve_frames", []), strict=False):
        ax.text(x, 0.03, str(n), ha="center", fontsize=6, color="0.4")  # frames in the bin
    ax.axhline(0.5, color="0.5", lw=0.8, ls="--", label="chance of the 2-way choice")
    ax.set_xscale("log")
    ax.set_xticks(edges[1:])
    ax.set_xticklabels([str(int(e)) for e in edges[1:]], fontsize=7)
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("gap: frames since the deciding cue (bin edges; grey: ambiguous frames per bin)")
    ax.set_ylabel("accuracy on ambiguous frames")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--runs", required=True, type=Path)
    p.add_argument("--split", default="test")
    p.add_argument("--plot", type=Path)
    p.add_argument("--json", type=Path)
    p.add_argument(
        "--kinds",
        nargs="+",
        default=list(KINDS),
        help="run folders under --runs to score, in table order (e.g. the recipes of "
        "scripts/train_recipes.sh)",
    )
    args = p.parse_args()
    runs = find_runs(args.runs, tuple(args.kinds))
    if not runs:
        raise SystemExit(f"no finished runs under {args.runs} (expected KIND/sSEED/DONE)")
    scores = score_all(args.data, runs, args.split)
    print(table(scores))
    print()
    print(mechanism_table(scores))
    if args.json:
        args.json.write_text(json.dumps(scores, indent=1))
    if args.plot:
        plot(
            scores,
            args.plot,
            f"film events ({args.data.name}, {args.split} split), mean and range over seeds",
        )
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()

"""Score film-events checkpoints on a held-out split: the table in the README.

    python scripts/eval_film_events.py --data DIR --model LSTM.ckpt --model FRAME_ONLY.ckpt

For each checkpoint: frame accuracy, macro-F1, edit and F1@{10,25,50} over the split, and
accuracy on the frames that cannot be labelled from the frame alone (`ambiguous` in
frames/NAME.frames.csv), by how far back the deciding cue is. Probabilities come from one
offline pass over the cached features, which equals streamed labeling (a tested contract).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import torch

from pipeline.checkpoint import load_labeler
from pipeline.data.datamodule import FrameDataModule
from pipeline.metrics import aggregate

GAP_BUCKETS = {"gap<50": (0, 50), "gap 50-200": (50, 201), "gap>200": (201, 10**9)}


def read_frames_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    ambiguous = np.array([int(r["ambiguous"]) for r in rows], dtype=bool)
    gap = np.array([int(r["gap"]) for r in rows])
    return ambiguous, gap


def score(ckpt: str, root: Path, split: str) -> dict:
    bundle = load_labeler(ckpt)
    spec = bundle.encoder_spec
    data = FrameDataModule(
        str(root),
        spec.name,
        spec.input_size,
        spec.weights,
        bundle.sampling.fps,
        bundle.sampling.stride,
    )
    pairs, hits, counts = [], {k: 0 for k in GAP_BUCKETS}, {k: 0 for k in GAP_BUCKETS}
    ambiguous_hits = ambiguous_total = 0
    for video in data.load_split(split):
        with torch.no_grad():
            logits = bundle.model(torch.from_numpy(np.asarray(video.inputs))[None])[0]  # (T, C)
        pred = logits.argmax(-1).numpy()
        pairs.append((pred, video.labels))
        ambiguous, gap = read_frames_table(root / "frames" / f"{video.name}.frames.csv")
        correct = pred == video.labels
        ambiguous_hits += int(correct[ambiguous].sum())
        ambiguous_total += int(ambiguous.sum())
        for key, (low, high) in GAP_BUCKETS.items():
            chosen = ambiguous & (gap >= low) & (gap < high)
            hits[key] += int(correct[chosen].sum())
            counts[key] += int(chosen.sum())
    result = aggregate(pairs, num_classes=len(bundle.class_names))
    result["ambiguous"] = ambiguous_hits / max(1, ambiguous_total)
    result.update({key: hits[key] / max(1, counts[key]) for key in GAP_BUCKETS})
    result["ambiguous_frames"] = ambiguous_total
    result["memory"] = bundle.model.memory
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--model", action="append", required=True, help="checkpoint (repeatable)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {ckpt: score(ckpt, args.data, args.split) for ckpt in args.model}
    columns = [
        "frame_accuracy",
        "macro_f1",
        "edit",
        "f1@10",
        "f1@25",
        "f1@50",
        "ambiguous",
        *GAP_BUCKETS,
    ]
    print("| model | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for r in results.values():
        kind = "causal LSTM" if r["memory"] else "frame-only"
        cells = [
            f"{r[c]:.3f}"
            if c in ("frame_accuracy", "macro_f1", "ambiguous", *GAP_BUCKETS)
            else f"{r[c]:.1f}"
            for c in columns
        ]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    first = next(iter(results.values()))
    print(
        f"\n{first['videos']} {args.split} videos, {first['frames']} frames, "
        f"{first['ambiguous_frames']} ambiguous"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

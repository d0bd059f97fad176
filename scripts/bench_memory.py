"""Peak memory of `framelabel label --no-video` on a 1-minute and a 10-minute 720p video.

    python scripts/bench_memory.py [--minutes 1 10] [--work bench/]

The clips loop bench/bbb_720p.mp4 (see scripts/bench_clips.py) with stream copy, so making them
costs no encoding. Each label run is a fresh process; its peak RSS comes from getrusage.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import av


def looped_clip(src: Path, dst: Path, minutes: float) -> Path:
    """Remux `src` end to end until `minutes` long (packets copied, timestamps shifted)."""
    if dst.exists():
        return dst
    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        clip_s = float(stream.duration * stream.time_base)
    repeats = max(1, round(minutes * 60 / clip_s))
    with av.open(str(dst), "w") as out:
        with av.open(str(src)) as first:
            out_stream = out.add_stream_from_template(first.streams.video[0])
        offset = 0
        for _ in range(repeats):
            with av.open(str(src)) as inp:
                in_stream = inp.streams.video[0]
                last = 0
                for packet in inp.demux(in_stream):
                    if packet.dts is None:
                        continue
                    last = max(last, packet.pts + packet.duration)
                    packet.pts += offset
                    packet.dts += offset
                    packet.stream = out_stream
                    out.mux(packet)
                offset += last
    return dst


def peak_rss_mb(video: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one labeling process."""
    out = video.with_suffix("")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "label",
            str(video),
            "--no-video",
            "--quiet",
            "--overwrite",
            "--out",
            str(out),
        ],
        check=True,
    )
    seconds = time.perf_counter() - start
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--work", type=Path, default=Path("bench"))
    args = parser.parse_args()
    src = args.work / "bbb_720p.mp4"
    for minutes in sorted(args.minutes):  # ru_maxrss is a running max: smallest first
        clip = looped_clip(src, args.work / f"bbb_720p_{minutes:g}min.mp4", minutes)
        rss_mb, seconds = peak_rss_mb(clip)
        print(f"{minutes:g} min 720p: peak RSS {rss_mb:.0f} MB, labelled in {seconds:.0f} s")


if __name__ == "__main__":
    main()

"""Peak memory of `framelabel label`, with and without the annotated video, by frame size and
by video length.

    python scripts/bench_memory.py [--work bench/] [--sizes 720p 1080p 2160p] [--minutes 1 10]

The clips come from scripts/bench_clips.py; the long ones loop bench/bbb_720p.mp4 by stream
copy (no encoding). Every label run is a fresh process; its peak is the largest sum of the RSS
of it and the processes it starts (`--no-video` decodes in a worker), sampled every 50 ms.
Prints two markdown tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_memory import run_measured  # noqa: E402


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
            offset = _copy_packets(src, out, out_stream, offset)
    return dst


def _copy_packets(src: Path, out, out_stream, offset: int) -> int:
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
    return offset + last


def label_peak(video: Path, with_video: bool) -> tuple[float, float]:
    """(peak RSS in MB of the process and its decode worker, seconds) of one `label` run."""
    args = [sys.executable, "-m", "pipeline.cli", "label", str(video), "--quiet", "--overwrite"]
    args += ["--out", str(video.with_suffix(""))] + ([] if with_video else ["--no-video"])
    seconds, peak_mb = run_measured(args, interval_s=0.05)
    return peak_mb, seconds


def _cell(video: Path, with_video: bool) -> str:
    rss_mb, _seconds = label_peak(video, with_video)  # time: see scripts/bench_label.py
    return f"{rss_mb:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench"))
    parser.add_argument("--sizes", nargs="+", default=["720p", "1080p", "2160p"])
    parser.add_argument("--minutes", type=float, nargs="*", default=[1, 10])
    args = parser.parse_args()
    print("| clip | `label --no-video` | `label` (annotated video) |\n|---|---|---|")
    for size in args.sizes:
        clip = args.work / f"bbb_{size}.mp4"
        with av.open(str(clip)) as probe:
            stream = probe.streams.video[0]
            what = f"{stream.width}x{stream.height}, {stream.frames} frames"
        print(f"| {what} | {_cell(clip, False)} | {_cell(clip, True)} |", flush=True)
    if not args.minutes:
        return
    print("\n| 720p length | `label --no-video` | `label` (annotated video) |\n|---|---|---|")
    for minutes in sorted(args.minutes):
        clip = looped_clip(
            args.work / "bbb_720p.mp4", args.work / f"bbb_720p_{minutes:g}min.mp4", minutes
        )
        print(f"| {minutes:g} min | {_cell(clip, False)} | {_cell(clip, True)} |", flush=True)


if __name__ == "__main__":
    main()

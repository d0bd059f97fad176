"""`framelabel label INPUT... --out DIR`: argument parsing and the per-video job.

Each input is labelled independently: a bad file prints one line and the batch goes on; the
exit code is non-zero when any input failed.
"""

from __future__ import annotations

import argparse
import glob
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.data.annotations import VIDEO_EXTENSIONS
from pipeline.io.framing import parse_roi
from pipeline.label.options import DEFAULT_BUFFER_MB, LabelOptions

if TYPE_CHECKING:
    from pipeline.label.results import LabelResult

log = logging.getLogger(__name__)


def add_label_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders or globs")
    p.add_argument("--model", help="checkpoint (.ckpt); default: the bundled shot-transition model")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--gt", help="ground truth for a single input (any supported annotation format)")
    p.add_argument("--no-video", action="store_true", help="skip the annotated video")
    p.add_argument("--scale", type=float, default=1.0, help="annotated video size / source size")
    p.add_argument(
        "--preset",
        default="superfast",
        help="x264 preset of the annotated video: encoding it is the slowest stage "
        "(ultrafast: fastest, largest files; veryfast/medium: smaller, slower)",
    )
    p.add_argument("--fps", type=float, help="label frames at this rate (default: the model's)")
    p.add_argument("--stride", type=int, help="label every N-th frame (default: the model's)")
    p.add_argument("--start", type=float, help="start time in seconds")
    p.add_argument("--end", type=float, help="end time in seconds")
    p.add_argument("--chunk-size", type=int, default=64, help="frames per encoder/LSTM step")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--backend", default="pyav", choices=["pyav", "opencv"])
    p.add_argument(
        "--overwrite", action="store_true", help="redo inputs already done in --out (default: skip)"
    )
    p.add_argument(
        "--min-segment",
        type=int,
        default=0,
        metavar="N",
        help="merge segments shorter than N frames in the tracks (offline; off by default)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--roi",
        metavar="X,Y,W,H",
        help="label only this region of the picture (source pixels), e.g. to leave out a "
        "ticker or a logo; borders are still looked for inside it",
    )
    _add_extra_output_arguments(p)


def _add_extra_output_arguments(p: argparse.ArgumentParser) -> None:
    """Outputs beyond the tracks and the annotated video, and the memory they stream through."""
    p.add_argument(
        "--gates",
        action="store_true",
        help="also write NAME.gates.csv: the LSTM's forget/input/output gates per frame",
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="also write NAME.report.html per video and index.html (as `framelabel report`)",
    )
    p.add_argument(
        "--decode-in-thread",
        action="store_true",
        help="decode in a thread of this process, not in a worker process (--no-video runs "
        "decode in a worker by default: it starts while the model loads)",
    )
    p.add_argument(
        "--buffer-mb",
        type=int,
        default=DEFAULT_BUFFER_MB,
        help="memory for frames in flight between decoding, the model and the video writer",
    )


def label_options(args: argparse.Namespace, argv: list[str] | None = None) -> LabelOptions:
    """The typed options of one `label` run (the job never sees `args`)."""
    return LabelOptions(
        out_dir=Path(args.out),
        model=args.model,
        gt=Path(args.gt) if args.gt else None,
        video=not args.no_video,
        scale=args.scale,
        preset=args.preset,
        fps=args.fps,
        stride=args.stride,
        start_s=args.start,
        end_s=args.end,
        chunk_size=args.chunk_size,
        device=args.device,
        backend=args.backend,
        overwrite=args.overwrite,
        min_segment=args.min_segment,
        quiet=args.quiet,
        buffer_mb=args.buffer_mb,
        gates=args.gates,
        decode_worker=not args.decode_in_thread,
        roi=parse_roi(args.roi) if args.roi else None,
        report=args.report,
        command=("framelabel", "label", *(argv or [])),
    )


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files as given, folders as their videos, globs expanded; order kept, duplicates dropped."""
    found: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found += [
                str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in VIDEO_EXTENSIONS
            ]
        elif any(ch in item for ch in "*?[") and not path.exists():
            found += sorted(glob.glob(item)) or [item]  # an empty glob fails as a missing file
        else:
            found.append(item)
    return list(dict.fromkeys(found))


def summary_line(r: LabelResult) -> str:
    fps = r.frames / r.seconds if r.seconds > 0 else 0.0
    top = ", ".join(f"{name} {share:.0%}" for name, share in list(r.shares.items())[:3])
    return (
        f"{r.name}: {r.frames} frames in {r.seconds:.1f} s ({fps:.1f} frames/s), "
        f"{len(r.segments)} segments ({top}) -> {r.outputs[0].parent}/{r.name}.*"
    )


def run_label(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Label every input (`pipeline.label.batch.label_inputs`); one summary line each; exit 1
    if any failed. Inputs already done in the output folder are skipped."""
    from pipeline.label.batch import label_inputs  # torch loads only now (fast --help)

    sources = expand_inputs(args.inputs)
    stream = sys.stderr if args.quiet else sys.stdout
    run = label_inputs(
        label_options(args, argv), sources, lambda r: print(summary_line(r), file=stream)
    )
    if not run.is_main:
        return 0  # the job's status, summary and report index come from rank 0
    if run.reports:
        print(f"report: {run.reports[-1]}", file=sys.stderr)
    counts = run.counts
    if len(sources) > 1 or counts.skipped:
        done = f", {counts.skipped} already done" if counts.skipped else ""
        processes = f" by {run.world} processes" if run.world > 1 else ""
        print(
            f"labelled {counts.labelled} of {len(sources)} inputs{processes}{done}",
            file=sys.stderr,
        )
    return 1 if counts.failed else 0

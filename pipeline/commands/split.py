"""`framelabel split VIDEO... --out DIR`: one file per segment (per shot, for the shot model),
from the labels `label` wrote in DIR, labelling first when there are none."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import FramelabelError


def add_split_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files to split")
    p.add_argument("--out", required=True, help="folder for the pieces (and the labels)")
    p.add_argument("--model", help="checkpoint to label with when DIR has no labels yet")
    p.add_argument(
        "--reencode",
        action="store_true",
        help="decode and re-encode: each piece starts on its exact first frame (the default "
        "copies the streams, so a piece starts on the keyframe at or before it)",
    )
    p.add_argument("--thumbnails", action="store_true", help="also a JPEG of each piece")


def run_split(args: argparse.Namespace) -> int:
    """Split every VIDEO; one bad file does not stop the others (exit 1 if any failed)."""
    from pipeline.label.split import split_video

    failed = 0
    for video in args.videos:
        try:
            result = split_video(video, Path(args.out), args.model, args.reencode, args.thumbnails)
            print(f"{result.name}: {len(result.pieces)} pieces in {args.out}")
        except FramelabelError as err:
            failed += 1
            print(f"framelabel split: {video}: {err}", file=sys.stderr)
    return 1 if failed else 0

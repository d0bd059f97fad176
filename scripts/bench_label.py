"""Throughput of each labeling stage and of the whole command, on one video.

    python scripts/bench_label.py VIDEO [--model CKPT] [--json]

Prints frames/s for: decode-only (at the model's input size), encoder-only, `label --no-video`
and `label` with the annotated video, each as a ratio of min(decode-only, encoder-only) — the
best a pipeline of those two stages could do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported

import numpy as np  # noqa: E402

from pipeline.api import default_model_path  # noqa: E402
from pipeline.checkpoint.load import (
    build_bundle_encoder,  # noqa: E402
    load_labeler,  # noqa: E402
)
from pipeline.cli import main as framelabel  # noqa: E402
from pipeline.io.reader import open_video  # noqa: E402


def decode_fps(video: str, size: tuple[int, int]) -> tuple[float, int]:
    start, frames = time.perf_counter(), 0
    with open_video(video, size=size) as reader:
        for _ in reader:
            frames += 1
    return frames / (time.perf_counter() - start), frames


def encoder_fps(video: str, model: str, batch: int = 64, max_frames: int = 512) -> float:
    bundle = load_labeler(model)
    encoder = build_bundle_encoder(bundle)
    with open_video(video, size=bundle.preprocessing.size) as reader:
        frames = [f.rgb for _, f in zip(range(max_frames), reader, strict=False)]
    stack = np.stack(frames)
    encoder.encode(stack[:batch], batch_size=batch)  # warm-up
    start = time.perf_counter()
    encoder.encode(stack, batch_size=batch)
    return len(stack) / (time.perf_counter() - start)


def label_fps(video: str, model: str, frames: int, with_video: bool) -> float:
    with tempfile.TemporaryDirectory() as out:
        args = ["label", video, "--model", model, "--out", out, "--quiet"]
        start = time.perf_counter()
        code = framelabel(args + ([] if with_video else ["--no-video"]))
        seconds = time.perf_counter() - start
    if code != 0:
        sys.exit(f"framelabel label failed on {video}")
    return frames / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("--model", default=None, help="checkpoint (default: the bundled model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    model = args.model or default_model_path()
    size = tuple(load_labeler(model).preprocessing.size)
    dec, frames = decode_fps(args.video, size)
    enc = encoder_fps(args.video, model)
    result = {
        "video": args.video,
        "frames": frames,
        "decode_fps": round(dec, 1),
        "encoder_fps": round(enc, 1),
        "label_fps": round(label_fps(args.video, model, frames, with_video=False), 1),
        "label_video_fps": round(label_fps(args.video, model, frames, with_video=True), 1),
    }
    if args.json:
        print(json.dumps(result))
        return
    bound = min(dec, enc)
    print(f"{args.video}: {frames} frames, model input {size[0]}x{size[1]}")
    for key in ("decode_fps", "encoder_fps", "label_fps", "label_video_fps"):
        print(
            f"  {key:16s} {result[key]:8.1f} frames/s   {result[key] / bound:5.2f} x min(decode, encoder)"
        )


if __name__ == "__main__":
    main()

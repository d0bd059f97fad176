"""Errors the user can act on. The CLI prints each as one line and exits non-zero.

Every message names the value, what was expected, and the fix.
"""

from __future__ import annotations


class FramelabelError(Exception):
    """Base class: an error caused by input or environment, not by a bug."""


class VideoNotFoundError(FramelabelError):
    """The input path does not exist."""


class NotAVideoError(FramelabelError):
    """The file exists but has no decodable video stream (text, still image, audio only)."""


class UnsupportedVideoError(NotAVideoError):
    """The file has a video stream, but no decoder for its codec in this FFmpeg build."""


class CorruptVideoError(FramelabelError):
    """Decoding failed part way (truncated file, too many consecutive bad frames)."""


class OutputExistsError(FramelabelError):
    """An output file already exists and --overwrite was not given."""


class OutputNotWritableError(FramelabelError):
    """The output folder cannot be created or written to."""


class AnnotationError(FramelabelError):
    """An annotation file is malformed: unknown class, segment past the end, overlap."""


class CheckpointError(FramelabelError):
    """A checkpoint is missing, unreadable, or does not fit the request."""


class ConfigError(FramelabelError):
    """A setting is invalid (unknown encoder, bad size, bad flag combination)."""

"""framelabel: label every frame of a video with a CNN encoder and a causal LSTM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("framelabel")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

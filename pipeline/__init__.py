"""framelabel: label every frame of a video with a CNN encoder and a causal LSTM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("framelabel")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"


def __getattr__(name: str):
    """`from pipeline import label_video`, without importing torch for `import pipeline`."""
    if name in ("label_video", "LabelOptions"):
        from pipeline import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")

"""framelabel: label every frame of a video with a CNN encoder and a causal LSTM."""

from pipeline.version import __version__  # noqa: F401  (pipeline.__version__)


def __getattr__(name: str):
    """`from pipeline import label_video`, without importing torch for `import pipeline`."""
    if name in ("label_video", "LabelOptions"):
        from pipeline import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")

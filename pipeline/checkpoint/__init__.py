"""Checkpoints: `load` reads one into a ready labeler (torch), `peek` reads its input
settings without torch, so decoding can start while torch imports.

`from pipeline.checkpoint import load_labeler` keeps working: the names of `load` resolve on
first use, so `import pipeline.checkpoint.peek` stays torch-free.
"""

from importlib import import_module

_LOAD_NAMES = (
    "LabelerBundle",
    "build_bundle_encoder",
    "export_checkpoint",
    "load_labeler",
    "params_from_checkpoint",
    "read_checkpoint",
    "resolve_device",
)


def __getattr__(name: str):
    if name in _LOAD_NAMES:
        return getattr(import_module("pipeline.checkpoint.load"), name)
    raise AttributeError(f"module 'pipeline.checkpoint' has no attribute {name!r}")


__all__ = list(_LOAD_NAMES)

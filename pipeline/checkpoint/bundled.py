"""The bundled default model (shot / cut / gradual), found without torch."""

from importlib import resources

DEFAULT_MODEL = "default.ckpt"  # in pipeline/assets


def default_model_path() -> str:
    """The bundled default model's file."""
    return str(resources.files("pipeline") / "assets" / DEFAULT_MODEL)

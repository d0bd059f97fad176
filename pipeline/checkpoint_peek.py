"""Old home of `pipeline.checkpoint.peek` (torch-free input settings of a checkpoint)."""

from pipeline.checkpoint.peek import InputSettings, peek_input_settings  # noqa: F401

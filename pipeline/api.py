"""The Python API: label a video in one call, as the `label` command does.

    from pipeline import label_video

    result = label_video("match.mp4")                      # the bundled default model
    result.labels, result.segments, result.track.probs     # nothing written
    label_video("match.mp4", out_dir="out", video=False)   # also writes the track files

Keyword options are those of `LabelOptions` (model, fps, start_s, end_s, backend, ...).
"""

from __future__ import annotations

import dataclasses
import os
from importlib import resources
from typing import TYPE_CHECKING, Any

from pipeline.label_options import LabelOptions

if TYPE_CHECKING:
    from pipeline.io.decode_worker import DecodeWorker
    from pipeline.label_job import LabelJob
    from pipeline.label_outputs import LabelResult

DEFAULT_MODEL = "default.ckpt"  # in pipeline/assets


def default_model_path() -> str:
    """The bundled default model (shot / cut / gradual)."""
    return str(resources.files("pipeline") / "assets" / DEFAULT_MODEL)


def load_job(options: LabelOptions, worker: DecodeWorker | None = None) -> LabelJob:
    """The model of `options` loaded once, ready to label any number of sources (close it
    when done: it may hold a decode worker process). `worker`: one already decoding."""
    from pipeline.checkpoint import load_labeler
    from pipeline.label_job import LabelJob

    return LabelJob(load_labeler(options.model or default_model_path()), options, worker)


def label_video(
    source: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    **options: Any,
) -> LabelResult:
    """Label `source` (a file, URL or camera index) and return its `LabelResult`: the track
    (frame indices, pts, probabilities), the final labels and the segments.

    With `out_dir`, also writes every output the `label` command writes (pass `video=False`
    to skip the annotated video); without it nothing is written.
    """
    from pipeline.io.atomic import check_output_dir

    folder = None if out_dir is None else check_output_dir(out_dir)
    settings = LabelOptions(out_dir=folder, model=None if model is None else str(model), **options)
    if folder is None:
        settings = dataclasses.replace(settings, video=False)
    source = str(source)
    from pipeline.label_cli import output_name

    with load_job(settings) as job:
        return job.run(source, name or output_name(source))


__all__ = ["LabelOptions", "default_model_path", "label_video", "load_job"]

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
from typing import TYPE_CHECKING, Any

from pipeline.checkpoint.bundled import DEFAULT_MODEL, default_model_path
from pipeline.label.options import LabelOptions

if TYPE_CHECKING:
    from pipeline.io.decode_worker import DecodeWorker
    from pipeline.label.job import LabelJob
    from pipeline.label.results import LabelResult


def load_job(options: LabelOptions, worker: DecodeWorker | None = None) -> LabelJob:
    """The model of `options` loaded once, ready to label any number of sources (close it
    when done: it may hold a decode worker process). `worker`: one already decoding."""
    from pipeline.label.job import load_job as load

    return load(options, worker)


def label_video(
    source: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    **options: Any,
) -> LabelResult:
    """Label `source` (a file, URL or camera index) and return its `LabelResult`: the track
    (frame indices, pts, probabilities, final labels) and the segments.

    With `out_dir`, also writes every output the `label` command writes (pass `video=False`
    to skip the annotated video, `report=True` to add the report page); without it nothing
    is written. Unlike the command, an input already labelled there is an error
    (OutputExistsError; pass `overwrite=True`), and any failure raises.
    """
    from pipeline.io.atomic import check_output_dir
    from pipeline.label.batch import open_job
    from pipeline.outputs.layout import output_name

    folder = None if out_dir is None else check_output_dir(out_dir)
    settings = LabelOptions(out_dir=folder, model=None if model is None else str(model), **options)
    if folder is None:
        settings = dataclasses.replace(settings, video=False, report=False)
    source = str(source)
    with open_job(settings, [source]) as job:
        result = job.run(source, name or output_name(source))
    if settings.report:
        from pipeline.report import write_report

        write_report(folder, result.name, settings.gt)
    return result


__all__ = ["DEFAULT_MODEL", "LabelOptions", "default_model_path", "label_video", "load_job"]

"""How a `label` run decodes each input, decided without torch: a worker process for files
whose frames are only needed at model size (no annotated video), a thread otherwise; and the
first input's decoding started before the model loads (`prefetch_first_input`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.checkpoint.peek import peek_input_settings
from pipeline.core.frames import VideoInfo
from pipeline.core.sampling import Sampling
from pipeline.distributed import several_ranks
from pipeline.io.decode_worker import DecodeRequest, DecodeWorker
from pipeline.io.framing import decode_size
from pipeline.io.streaming import FrameBudget
from pipeline.label.manifest import Manifest, is_finished
from pipeline.label.options import LabelOptions


@dataclass(frozen=True)
class VideoJob:
    """What one source needs once it is opened: where it goes and what it is."""

    source: str
    name: str
    info: VideoInfo
    paths: dict[str, Path]
    gt: np.ndarray | None  # (frames,) truth by source frame, or None
    live: bool
    sampling: Sampling
    overwrite: bool  # --overwrite, or leftovers of this input's interrupted run


def is_live(source: str) -> bool:
    """A camera index or a stream URL: read as it arrives, in a thread of this process."""
    return source.isdigit() or "://" in source


def sampling_for(model: Sampling, options: LabelOptions) -> Sampling:
    """The frames to label: the model's training sampling unless the options override it."""
    if options.fps is None and options.stride is None:
        chosen = model
    else:
        chosen = Sampling(options.fps, options.stride or 1)
    return chosen.with_window(options.start_s, options.end_s)


def writes_video(options: LabelOptions) -> bool:
    return options.video and options.out_dir is not None


def decodes_in_worker(options: LabelOptions, source: str) -> bool:
    return options.decode_worker and not writes_video(options) and not is_live(source)


def worker_request(
    source: str,
    options: LabelOptions,
    model_size: tuple[int, int],
    sampling: Sampling,
    deblock: bool,
) -> DecodeRequest:
    """The decoding of `source` at the model's decode size (`framing.decode_size`: the only
    size a run without the annotated video needs) and with the model's `deblock`, reading
    ahead as far as the in-process path's buffer would."""
    budget = FrameBudget.for_frames(options.buffer_mb, model_size, model_size)
    return DecodeRequest(
        source, options.backend, model_size, model_size, sampling, budget.decode_ahead, deblock
    )


def prefetch_first_input(
    options: LabelOptions, sources: list[str], model_path: str
) -> DecodeWorker | None:
    """A worker already decoding the first input, started while torch and the model load;
    None when the first input will not be decoded that way (or the checkpoint's settings
    cannot be read without torch). `LabelJob` adopts it when its request is the same."""
    # under a launcher each rank's first input is known only once its share is taken
    if not sources or several_ranks() or not decodes_in_worker(options, sources[0]):
        return None
    if not options.overwrite and options.out_dir is not None:
        if is_finished(Manifest(options.out_dir).last_records().get(sources[0])):
            return None  # skipped as done
    settings = peek_input_settings(model_path)
    if settings is None:
        return None
    size = decode_size(settings.size, settings.borders or options.roi is not None)
    worker = DecodeWorker()
    worker.prefetch(
        worker_request(
            sources[0], options, size, sampling_for(settings.sampling, options), settings.deblock
        )
    )
    return worker

"""One video through the streaming labeler, with the annotated video written as it goes."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline.checkpoint.bundled import default_model_path
from pipeline.checkpoint.load import (
    LabelerBundle,
    build_bundle_encoder,
    load_labeler,
    resolve_device,
)
from pipeline.core.frames import VideoInfo
from pipeline.core.sampling import Sampling
from pipeline.core.transitions import SettledLabels
from pipeline.errors import ConfigError, OutputExistsError
from pipeline.io.decode_worker import DecodeWorker, WorkerStream
from pipeline.io.framing import BorderTracker, FramingSpec, decode_size
from pipeline.io.info import video_info
from pipeline.io.reader import open_video
from pipeline.io.streaming import FrameBudget, ThreadedIterator, ThreadedSink
from pipeline.io.writer import VideoWriter
from pipeline.label.labeler import LabeledFrame, LabelTrack, StreamingLabeler, stream_labels
from pipeline.label.options import LabelOptions
from pipeline.label.plan import VideoJob, decodes_in_worker, is_live, sampling_for, worker_request
from pipeline.label.results import LabelResult, finish_result
from pipeline.outputs.layout import LABEL_OUTPUTS
from pipeline.outputs.overlay import Overlay

log = logging.getLogger(__name__)
LIVE_FPS = 25.0  # assumed when a live source reports no rate


def choose_sampling(model: Sampling, options: LabelOptions) -> Sampling:
    """The model's training sampling unless overridden: the LSTM learned that time step."""
    chosen = sampling_for(model, options)
    if chosen.rate_only != model.rate_only:
        log.warning(
            "sampling %s differs from the model's training sampling %s", chosen.rate_only, model
        )
    return chosen


class LabelJob:
    """Labels one source at a time with a shared model; see `run`. `worker`: a decode worker
    to use (one already decoding the first input); `close()` stops it."""

    def __init__(
        self, bundle: LabelerBundle, options: LabelOptions, worker: DecodeWorker | None = None
    ) -> None:
        self.bundle, self.options = bundle, options
        self.worker = worker
        encoder = build_bundle_encoder(bundle)
        device = resolve_device(options.device)
        self.labeler = StreamingLabeler(bundle.model, encoder, device, bundle.path)
        if options.gates:
            from pipeline.models.gate_trace import GateTracer

            self.labeler.tracer = GateTracer(bundle.model)  # ConfigError unless an LSTM
        self.sampling = choose_sampling(bundle.sampling, options)
        self.framing = FramingSpec.from_mode(bundle.framing, options.roi)
        # what the reader scales to: the encoder's size, or the framing's analysis size
        self.decode_size = decode_size(bundle.preprocessing.size, self.framing.active)

    def output_paths(self, name: str, overwrite: bool = False) -> dict[str, Path]:
        """Final paths of every output for `name`; OutputExistsError before any work."""
        o = self.options
        if o.out_dir is None:
            return {}
        wanted = {"video": o.video, "metrics": o.gt is not None, "gates": o.gates}
        kinds = [k for k in LABEL_OUTPUTS if wanted.get(k, True)]
        paths = {k: o.out_dir / f"{name}{LABEL_OUTPUTS[k]}" for k in kinds}
        existing = [p.name for p in paths.values() if p.exists()]
        if existing and not overwrite:
            raise OutputExistsError(
                f"outputs already exist in {o.out_dir}: {', '.join(existing)}; "
                "pass --overwrite to replace them or choose another --out"
            )
        return paths

    def run(self, source: str, name: str, replace_leftovers: bool = False) -> LabelResult:
        """Label `source` into outputs named `name`. `replace_leftovers`: existing outputs are
        known to come from an interrupted run of the same input, and are replaced."""
        started = time.perf_counter()
        overwrite = self.options.overwrite or replace_leftovers
        paths = self.output_paths(name, overwrite)
        live = is_live(source)
        with self._open(source, paths, live) as reader:
            if isinstance(reader, WorkerStream):  # a prefetched video began decoding earlier
                started = min(started, reader.requested_at)
            gt = self._ground_truth(source, name, reader.info, live)
            job = VideoJob(source, name, reader.info, paths, gt, live, self.sampling, overwrite)
            track = self._stream(reader, job)
        if not len(track):
            o, length = self.options, job.info.duration_s
            known = f"; the video is {length:.1f} s long" if length else ""
            raise ConfigError(
                f"no frame between --start {o.start_s or 0:g} s and --end "
                f"{'the end' if o.end_s is None else f'{o.end_s:g} s'}{known}: choose times inside it"
            )
        return finish_result(track, job, self.bundle, self.options, time.perf_counter() - started)

    def close(self) -> None:
        """Stop the decode worker, if one was started."""
        if self.worker is not None:
            self.worker.close()

    def __enter__(self) -> LabelJob:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _open(self, source: str, paths: dict[str, Path], live: bool):
        """The source's frames at the sizes this run needs: from the decode worker when only
        the model's size is (a `WorkerStream`), else from a reader in this process."""
        model_size, deblock = self.decode_size, self.bundle.preprocessing.deblock
        if decodes_in_worker(self.options, source):  # (then paths hold no annotated video)
            self.worker = self.worker or DecodeWorker()
            request = worker_request(source, self.options, model_size, self.sampling, deblock)
            return self.worker.open(request)
        reader = open_video(
            int(source) if source.isdigit() else source,
            backend=self.options.backend,
            sampling=self.sampling,
            model_size=model_size,
            deblock=deblock,
        )
        try:
            reader.set_size(self._frame_size(paths, None if live else reader.info))
        except BaseException:
            reader.close()
            raise
        return reader

    def _frame_size(self, paths: dict, info: VideoInfo | None) -> tuple[int, int] | None:
        """The reader's display size: the annotated video's, else the encoder's (then one scaler
        serves both); a live source's own size (None) when it has video."""
        if "video" not in paths:
            return self.decode_size
        if info is None:
            return None
        scale = self.options.scale
        return max(2, round(info.width * scale)), max(2, round(info.height * scale))

    def _ground_truth(
        self, source: str, name: str, info: VideoInfo, live: bool
    ) -> np.ndarray | None:
        if self.options.gt is None or live:
            return None
        from pipeline.data.annotations import read_frame_labels

        counted = info if info.frames else video_info(source, self.options.backend, count=True)
        frames = int(counted.frames)
        # The ribbon needs the truth before decoding, so a seconds-based file is read against
        # nominal frame times (exact for constant frame rate).
        pts_s = np.arange(frames) / float(info.fps or LIVE_FPS)
        return read_frame_labels(
            self.options.gt, self.bundle.class_names, frames, pts_s, video=name
        )

    def _expected_rows(self, info: VideoInfo) -> int | None:
        fps = float(info.fps) if info.fps else None
        return self.sampling.expected_count(info.frames, info.duration_s, fps)

    def _stream(self, reader, job: VideoJob) -> LabelTrack:
        """Decode -> label -> (draw + encode) with all three stages running at once."""
        info, o = job.info, self.options
        first = reader.size or (info.width, info.height)
        budget = FrameBudget.for_frames(o.buffer_mb, first, self.decode_size)
        total = self._expected_rows(info)
        bar = tqdm(total=total, unit="frame", desc=job.name, disable=o.quiet, leave=False)
        fps = float(self.sampling.output_fps(info.fps, LIVE_FPS))
        with contextlib.ExitStack() as stack:
            stack.callback(bar.close)
            if isinstance(reader, WorkerStream):
                frames = reader  # the worker decodes ahead on its own
            else:
                frames = ThreadedIterator(reader, budget.decode_ahead)
                stack.callback(frames.close)
            tracker = None
            if self.framing.active:
                size = self.bundle.preprocessing.size
                tracker = BorderTracker(self.framing, size, (info.width, info.height))
                frames = tracker.reframe(frames)
            sink = self._video_sink(stack, job, first, total, budget)
            gates = self._gates_writer(stack, job)
            stack.enter_context(self.labeler.cpu_threads())
            track = stream_labels(
                frames,
                self.labeler,
                tuple(self.bundle.class_names),
                fps,
                chunk_size=budget.chunk(o.chunk_size),
                sink=sink,
                progress=bar.update,
                stop_on_interrupt=job.live,
                gates=gates,
                settled=self._settled_labels(fps) if sink is not None else None,
            )
            if sink is not None:
                sink.finish()
        if tracker is not None:
            track = dataclasses.replace(track, crops=tuple(tracker.changes))
        return track

    def _settled_labels(self, fps: float) -> SettledLabels | None:
        """The overlay draws the decoded label (the one labels.csv holds), not the argmax."""
        if self.bundle.transitions is None:
            return None
        return SettledLabels(self.bundle.class_names, self.bundle.transitions, fps)

    def _gates_writer(self, stack: contextlib.ExitStack, job: VideoJob):
        if "gates" not in job.paths:
            return None
        from pipeline.outputs.gates import GatesWriter

        return stack.enter_context(GatesWriter(job.paths["gates"], overwrite=job.overwrite))

    def _video_sink(
        self, stack: contextlib.ExitStack, job: VideoJob, size: tuple[int, int], total, budget
    ) -> ThreadedSink | None:
        if "video" not in job.paths:
            return None
        info, o = job.info, self.options
        fps = self.sampling.output_fps(info.fps, LIVE_FPS)
        writer = stack.enter_context(
            VideoWriter(
                job.paths["video"],
                *size,
                fps,
                audio_from=info.path if info.has_audio and not job.live else None,
                preset=o.preset,
                overwrite=job.overwrite,
                audio_start_s=o.start_s or 0.0,
            )
        )
        overlay = Overlay(
            *size, self.bundle.class_names, total, float(fps), gt_labels=self._ribbon_truth(job)
        )

        def draw_and_write(item: LabeledFrame) -> None:
            f = item.frame
            writer.write(
                overlay.draw(f.rgb, item.position, f.index, f.pts_s, item.label, item.confidence)
            )

        sink = ThreadedSink(draw_and_write, maxsize=budget.write_behind)
        stack.callback(lambda: sink.thread.is_alive() and sink.finish())
        return sink

    def _ribbon_truth(self, job: VideoJob) -> np.ndarray | None:
        """Ground truth by output-video position: the frames the sampling will keep, predicted
        from nominal frame times (the ribbon is drawn before those frames are decoded)."""
        if job.gt is None:
            return None
        kept = self.sampling.kept_source_frames(len(job.gt), float(job.info.fps or LIVE_FPS))
        return job.gt[kept]


def load_job(options: LabelOptions, worker: DecodeWorker | None = None) -> LabelJob:
    """The model of `options` loaded once, ready to label any number of sources (close it
    when done: it may hold a decode worker process). `worker`: one already decoding."""
    return LabelJob(load_labeler(options.model or default_model_path()), options, worker)

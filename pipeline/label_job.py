"""One video through the streaming labeler, and every output written for it."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline.checkpoint import LabelerBundle
from pipeline.errors import OutputExistsError
from pipeline.features import Sampling
from pipeline.io.atomic import atomic_output
from pipeline.io.info import video_info
from pipeline.io.reader import open_video
from pipeline.io.types import VideoInfo
from pipeline.io.writer import VideoWriter
from pipeline.labeler import (
    StreamingLabeler,
    ThreadedIterator,
    ThreadedSink,
    build_bundle_encoder,
    chunked,
    model_input,
    resolve_device,
)
from pipeline.outputs.overlay import Overlay
from pipeline.outputs.subtitles import write_srt, write_vtt
from pipeline.outputs.tracks import (
    segment_table,
    write_labels_csv,
    write_segments_csv,
    write_segments_json,
)
from pipeline.segments import merge_short_segments

log = logging.getLogger(__name__)
LIVE_FPS = 25.0  # assumed when a live source reports no rate
OUTPUT_SUFFIXES = {
    "labels": ".labels.csv",
    "segments_csv": ".segments.csv",
    "segments_json": ".segments.json",
    "vtt": ".vtt",
    "srt": ".srt",
    "video": ".annotated.mp4",
    "metrics": ".metrics.json",
}


@dataclass
class LabelResult:
    name: str
    frames: int
    seconds: float
    segments: int
    shares: dict[str, float]
    outputs: list[Path]


def is_live(source: str) -> bool:
    return source.isdigit() or "://" in source


def expected_rows(info: VideoInfo, sampling: Sampling) -> int | None:
    """How many frames the reader will yield (for the progress bar and the ribbon width)."""
    if sampling.fps and info.duration_s:
        return max(1, math.ceil(info.duration_s * sampling.fps))
    if info.frames:
        return math.ceil(info.frames / max(1, sampling.stride))
    return None


class LabelJob:
    """Labels one source at a time with a shared model; see `run`."""

    def __init__(self, bundle: LabelerBundle, args: argparse.Namespace, out_dir: Path) -> None:
        self.bundle, self.args, self.out_dir = bundle, args, out_dir
        self.labeler = StreamingLabeler(
            bundle, build_bundle_encoder(bundle), resolve_device(args.device)
        )
        self.sampling = self._sampling()

    def _sampling(self) -> Sampling:
        """The model's training sampling unless overridden: the LSTM learned that time step."""
        model = self.bundle.sampling
        if self.args.fps is None and self.args.stride is None:
            return model
        chosen = Sampling(self.args.fps, self.args.stride or 1)
        if chosen != model:
            log.warning("sampling %s differs from the model's training sampling %s", chosen, model)
        return chosen

    def _paths(self, name: str) -> dict[str, Path]:
        kinds = [k for k in OUTPUT_SUFFIXES if not (k == "video" and self.args.no_video)]
        kinds = [k for k in kinds if not (k == "metrics" and not self.args.gt)]
        paths = {k: self.out_dir / f"{name}{OUTPUT_SUFFIXES[k]}" for k in kinds}
        existing = [p.name for p in paths.values() if p.exists()]
        if existing and not self.args.overwrite:
            raise OutputExistsError(
                f"outputs already exist in {self.out_dir}: {', '.join(existing)}; "
                "pass --overwrite to replace them or choose another --out"
            )
        return paths

    def _video_size(self, info: VideoInfo) -> tuple[int, int]:
        scale = self.args.scale
        return max(2, round(info.width * scale)), max(2, round(info.height * scale))

    def _ground_truth(self, source: str, name: str, info: VideoInfo) -> np.ndarray | None:
        if not self.args.gt:
            return None
        from pipeline.data.annotations import read_frame_labels

        counted = info if info.frames else video_info(source, self.args.backend, count=True)
        frames = int(counted.frames)
        # The ribbon needs the truth before decoding, so a seconds-based file is read against
        # nominal frame times (exact for constant frame rate).
        pts_s = np.arange(frames) / float(info.fps or LIVE_FPS)
        return read_frame_labels(
            Path(self.args.gt), self.bundle.class_names, frames, pts_s, video=name
        )

    def run(self, source: str, name: str) -> LabelResult:
        started = time.perf_counter()
        paths = self._paths(name)
        live = is_live(source)
        info = None if live else video_info(source, self.args.backend)
        gt = None if info is None else self._ground_truth(source, name, info)
        # Frames arrive at the annotated video's size (a live source: its own size, unscaled) and
        # are shrunk to the encoder's size in the decode thread; without video, the decoder
        # scales straight to the encoder's size.
        if self.args.no_video:
            frame_size = self.bundle.preprocessing.size
        else:
            frame_size = None if info is None else self._video_size(info)
        reader = open_video(
            int(source) if source.isdigit() else source,
            backend=self.args.backend,
            size=frame_size,
            fps=self.sampling.fps,
            stride=self.sampling.stride,
            start_s=self.args.start,
            end_s=self.args.end,
        )
        with reader:
            info = info or reader.info
            frame_size = frame_size or (reader.info.width, reader.info.height)
            track = self._stream(reader, info, frame_size, paths, gt, name, live)
        return self._write_tracks(track, paths, name, gt, time.perf_counter() - started)

    def _output_fps(self, info: VideoInfo) -> Fraction:
        if self.sampling.fps:
            return Fraction(self.sampling.fps).limit_denominator(100_000)
        return (info.fps or Fraction(LIVE_FPS)) / self.sampling.stride

    def _stream(
        self,
        reader,
        info: VideoInfo,
        frame_size: tuple[int, int],
        paths: dict,
        gt,
        name: str,
        live: bool,
    ) -> dict:
        """Decode -> label -> (draw + encode) with all three stages running at once."""
        total = expected_rows(info, self.sampling)
        if self.args.start is not None or self.args.end is not None:
            total = None
        chunk_size = self.args.chunk_size
        indices, pts, probs = [], [], []
        self.labeler.reset()
        frames = ThreadedIterator(
            reader, 2 * chunk_size, model_input(self.bundle.preprocessing.size)
        )
        bar = tqdm(total=total, unit="frame", desc=name, disable=self.args.quiet, leave=False)
        with contextlib.ExitStack() as stack:
            stack.callback(bar.close)
            stack.callback(frames.close)
            sink = self._video_sink(stack, info, frame_size, paths, gt, total, chunk_size)
            try:
                for chunk in chunked(frames, chunk_size):
                    p = self.labeler.push_frames(np.stack([m for _, m in chunk]))  # (T, C)
                    for (frame, _), row in zip(chunk, p, strict=True):
                        if sink is not None:
                            sink.put((frame, len(indices), int(row.argmax()), float(row.max())))
                        indices.append(frame.index)
                        pts.append(frame.pts_s)
                    probs.append(p)
                    bar.update(len(chunk))
            except KeyboardInterrupt:
                if not live:
                    raise
                log.info(
                    "%s: stopped by Ctrl-C after %d frames; writing outputs", name, len(indices)
                )
            if sink is not None:
                sink.finish()
        return {
            "frame_indices": np.asarray(indices, dtype=np.int64),
            "pts_s": np.asarray(pts, dtype=np.float64),
            "probs": np.concatenate(probs)
            if probs
            else np.zeros((0, len(self.bundle.class_names))),
            "fps": float(self._output_fps(info)),
        }

    def _video_sink(
        self, stack, info, frame_size, paths, gt, total, chunk_size
    ) -> ThreadedSink | None:
        if "video" not in paths:
            return None
        width, height = frame_size
        writer = stack.enter_context(
            VideoWriter(
                paths["video"],
                width,
                height,
                self._output_fps(info),
                audio_from=info.path if info.has_audio else None,
                preset=self.args.preset,
                overwrite=self.args.overwrite,
                audio_start_s=self.args.start or 0.0,
            )
        )
        overlay = Overlay(
            width,
            height,
            self.bundle.class_names,
            total,
            float(self._output_fps(info)),
            gt_labels=self._ribbon_truth(gt, info),
        )

        def draw_and_write(item) -> None:
            frame, position, label, confidence = item
            writer.write(
                overlay.draw(frame.rgb, position, frame.index, frame.pts_s, label, confidence)
            )

        sink = ThreadedSink(draw_and_write, maxsize=2 * chunk_size)
        stack.callback(lambda: sink.thread.is_alive() and sink.finish())
        return sink

    def _ribbon_truth(self, gt: np.ndarray | None, info: VideoInfo) -> np.ndarray | None:
        """Ground truth by output-video position: the frames the sampling will keep, predicted
        from nominal frame times (the ribbon is drawn before those frames are decoded)."""
        if gt is None:
            return None
        src_fps = float(info.fps or LIVE_FPS)
        first = int(np.ceil((self.args.start or 0.0) * src_fps - 1e-6))
        last = (
            len(gt)
            if self.args.end is None
            else min(len(gt), int(np.ceil(self.args.end * src_fps)))
        )
        if self.sampling.fps:
            times_s = np.arange(first / src_fps, last / src_fps, 1.0 / self.sampling.fps)
            kept = np.ceil(times_s * src_fps - 1e-6).astype(np.int64)
        else:
            kept = np.arange(first, last, self.sampling.stride)
        return gt[np.clip(kept, 0, len(gt) - 1)]

    def _write_tracks(self, track: dict, paths: dict, name: str, gt, seconds: float) -> LabelResult:
        from pipeline.metrics import sequence_metrics

        names = self.bundle.class_names
        probs = track["probs"]
        labels = probs.argmax(1) if len(probs) else np.zeros(0, dtype=np.int64)
        if self.args.min_segment > 1:
            labels = merge_short_segments(labels, self.args.min_segment)
        common = (track["frame_indices"], track["pts_s"], probs)
        ow = self.args.overwrite
        write_labels_csv(paths["labels"], *common, names, labels, overwrite=ow)
        table = segment_table(*common, labels, names, fps=track["fps"])
        post = {"min_segment_frames": self.args.min_segment if self.args.min_segment > 1 else None}
        meta = {
            "video": name,
            "classes": names,
            "post_processing": post,
            "model": self.bundle.path,
            "sampling": self.sampling.to_dict(),
            "frames": len(labels),
        }
        write_segments_csv(paths["segments_csv"], table, overwrite=ow)
        write_segments_json(paths["segments_json"], table, meta, overwrite=ow)
        write_vtt(paths["vtt"], table, overwrite=ow)
        write_srt(paths["srt"], table, overwrite=ow)
        if gt is not None:
            target = gt[np.clip(track["frame_indices"], 0, len(gt) - 1)]
            scores = sequence_metrics(labels, target, len(names))
            with atomic_output(paths["metrics"], overwrite=ow, mode="w") as fh:
                report = {"video": name, "frames": len(labels), **scores}
                # NaN (nothing to measure) is not valid JSON: write null
                json.dump({k: None if v != v else v for k, v in report.items()}, fh, indent=2)
        counts = np.bincount(labels, minlength=len(names)) / max(1, len(labels))
        shares = {names[i]: float(counts[i]) for i in np.argsort(-counts) if counts[i] > 0}
        return LabelResult(name, len(labels), seconds, len(table), shares, list(paths.values()))

"""What a labelled video becomes: its `LabelResult`, and the files written for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.checkpoint.load import LabelerBundle
from pipeline.core.segments import merge_short_segments
from pipeline.core.track import LabelTrack, SegmentRow
from pipeline.core.transitions import finalize_labels, solid_runs
from pipeline.label.options import LabelOptions
from pipeline.outputs.metrics import write_metrics_json
from pipeline.outputs.segments_json import SegmentsMeta, write_segments_json
from pipeline.outputs.subtitles import write_srt, write_vtt
from pipeline.outputs.tracks import segment_table, write_labels_csv, write_segments_csv

if TYPE_CHECKING:
    from pipeline.label.plan import VideoJob


@dataclass
class LabelResult:
    """One labelled video: its track, the final labels and segments, and what was written."""

    name: str
    track: LabelTrack  # its `labels` are the final ones (`final`), `argmax` the model's
    segments: list[SegmentRow]
    seconds: float
    outputs: list[Path] = field(default_factory=list)
    metrics: dict[str, float | None] | None = None

    @property
    def labels(self) -> np.ndarray:
        """(T,) the final labels (after event decoding and --min-segment)."""
        return self.track.labels

    @property
    def frames(self) -> int:
        return len(self.labels)

    @property
    def shares(self) -> dict[str, float]:
        """Fraction of frames per label, most frequent first."""
        names = self.track.class_names
        counts = np.bincount(self.labels, minlength=len(names)) / max(1, len(self.labels))
        return {names[i]: float(counts[i]) for i in np.argsort(-counts) if counts[i] > 0}


def model_card(bundle: LabelerBundle) -> dict[str, Any]:
    """What a reader of the outputs needs to know about the model that made them."""
    return {
        "checkpoint": bundle.path,
        "classes": list(bundle.class_names),
        "encoder": bundle.encoder_spec.to_dict(),
        "preprocessing": bundle.preprocessing.to_dict(),
        "sampling": bundle.sampling.to_dict(),
        "framing": bundle.framing,
        "causal": bundle.causal,
        "lookahead_frames": bundle.model.lookahead,
        "sequence": bundle.model.settings.to_dict(),
    }


def finish_result(
    track: LabelTrack, job: VideoJob, bundle: LabelerBundle, options: LabelOptions, seconds: float
) -> LabelResult:
    """Final labels, segments and metrics for `track`; every file output written."""
    labels = track.labels
    if bundle.transitions is not None:  # one transition, one event (pipeline.core.transitions)
        labels = finalize_labels(
            labels, track.probs, track.class_names, bundle.transitions, track.solid, track.fps
        )
    if options.min_segment > 1:
        labels = merge_short_segments(labels, options.min_segment)
    track = track.with_labels(labels)
    result = LabelResult(job.name, track, segment_table(track), seconds)
    if job.gt is not None:
        from pipeline.core.metrics import sequence_metrics

        target = job.gt[np.clip(track.frame_indices, 0, len(job.gt) - 1)]
        scores = sequence_metrics(labels, target, len(track.class_names))
        result.metrics = {k: None if v != v else float(v) for k, v in scores.items()}  # NaN->None
    if job.paths:
        write_outputs(result, job, bundle, options)
    return result


def framing_record(bundle: LabelerBundle, options: LabelOptions, track: LabelTrack) -> dict:
    """What the encoder saw of each frame: the mode, the region of interest, and every crop
    (source pixels, x/y/w/h) with the frame it starts at."""
    return {
        "borders": bundle.framing == "borders",
        "roi": None if options.roi is None else options.roi.as_list(),
        "crops": [c.to_dict() for c in track.crops],
    }


def recorded_source(source: str, out_dir: Path, live: bool) -> str:
    """The input as the outputs name it: relative when it lies inside the output folder (the
    folder moves with it), else absolute; a live source as given."""
    if live:
        return source
    path, folder = Path(source).resolve(), out_dir.resolve()
    return str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)


def segments_meta(
    result: LabelResult, job: VideoJob, bundle: LabelerBundle, options: LabelOptions
) -> SegmentsMeta:
    """What segments.json records about the run besides the segments."""
    track = result.track
    events = None if bundle.transitions is None else bundle.transitions.to_dict()
    min_segment = options.min_segment if options.min_segment > 1 else None
    return SegmentsMeta(
        video=result.name,
        classes=list(track.class_names),
        post_processing={"transition_events": events, "min_segment_frames": min_segment},
        source=recorded_source(job.source, job.paths["labels"].parent, job.live),
        model=bundle.path,
        sampling=job.sampling.to_dict(),
        frames=result.frames,
        framing=framing_record(bundle, options, track),
        solid_runs=[] if track.solid is None else solid_runs(track.solid, track.frame_indices),
        command=list(options.command),
        model_card=model_card(bundle),
    )


def write_outputs(
    result: LabelResult, job: VideoJob, bundle: LabelerBundle, options: LabelOptions
) -> None:
    """The tracks, segments, subtitles and metrics files (the video was written while
    streaming)."""
    ow, paths = job.overwrite, job.paths
    write_labels_csv(paths["labels"], result.track, overwrite=ow)
    meta = segments_meta(result, job, bundle, options)
    write_segments_csv(paths["segments_csv"], result.segments, overwrite=ow)
    write_segments_json(paths["segments_json"], result.segments, meta, overwrite=ow)
    write_vtt(paths["vtt"], result.segments, overwrite=ow)
    write_srt(paths["srt"], result.segments, overwrite=ow)
    if result.metrics is not None:
        write_metrics_json(
            paths["metrics"], result.name, result.frames, result.metrics, overwrite=ow
        )
    result.outputs = list(paths.values())

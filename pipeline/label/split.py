"""Split a video into its segments: read the labels `label` wrote in the output folder (or
label it there first, without the annotated video), then cut (`pipeline.outputs.split`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.track import SegmentRow
from pipeline.errors import VideoNotFoundError
from pipeline.io.atomic import check_output_dir
from pipeline.io.info import video_info
from pipeline.label.batch import open_job
from pipeline.label.options import LabelOptions
from pipeline.outputs.layout import SEGMENTS_SUFFIX, output_name
from pipeline.outputs.segments_json import read_segments_json
from pipeline.outputs.split import (
    Piece,
    pieces_from_segments,
    split_copy,
    split_reencode,
    write_thumbnails,
)


@dataclass(frozen=True)
class SplitResult:
    name: str
    pieces: list[Path]
    plan: list[Piece]
    thumbnails: list[Path] = field(default_factory=list)


def stored_segments(out_dir: Path, name: str) -> list[SegmentRow] | None:
    """The segments of NAME.segments.json in `out_dir`, None when it has none."""
    path = out_dir / f"{name}{SEGMENTS_SUFFIX}"
    if not path.is_file():
        return None
    _, rows = read_segments_json(path)
    return [SegmentRow.from_dict(r) for r in rows]


def split_video(
    video: str,
    out_dir: Path,
    model: str | None = None,
    reencode: bool = False,
    thumbnails: bool = False,
) -> SplitResult:
    """Write NAME.NNN.LABEL.mp4 per piece into `out_dir` (see `pipeline.outputs.split`)."""
    if not Path(video).is_file():
        raise VideoNotFoundError(f"{video} does not exist; expected a video file to split.")
    folder = check_output_dir(out_dir)
    name = output_name(video)
    segments = stored_segments(folder, name)
    if segments is None:
        options = LabelOptions(out_dir=folder, model=model, video=False, quiet=True)
        with open_job(options, [video]) as job:
            segments = job.run(video, name).segments
    plan = pieces_from_segments(segments)
    if reencode:
        fps = float(video_info(video).fps or 25.0)
        pieces = split_reencode(video, plan, folder, name, fps)
    else:
        pieces = split_copy(video, plan, folder, name)
    thumbs = write_thumbnails(video, plan, folder, name) if thumbnails else []
    return SplitResult(name, pieces, plan, thumbs)

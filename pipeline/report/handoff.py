"""Editor hand-off files for a labelled video: NAME.otio, NAME.edl and (on request) chapters
in NAME.annotated.mp4. Thin glue between the loaded outputs and `pipeline.outputs.editorial`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pipeline.core.track import SegmentRow
from pipeline.errors import ConfigError
from pipeline.io.writer import add_chapters
from pipeline.outputs.editorial import chapters_from_segments, write_edl, write_otio
from pipeline.report.data import LabelledVideo
from pipeline.report.payload import row_time

log = logging.getLogger(__name__)


def player_segments(video: LabelledVideo) -> list[SegmentRow]:
    """The segments with `start_s`/`end_s` on the annotated video's clock (for its chapters)."""
    return [
        dataclasses.replace(
            seg,
            start_s=row_time(video.media, seg.rows[0]),
            end_s=row_time(video.media, seg.rows[1]),
        )
        for seg in video.segments
    ]


def write_timelines(video: LabelledVideo) -> list[Path]:
    """NAME.otio and NAME.edl over the source video (a missing one is named, not linked)."""
    media = video.media
    if media.source is None:
        log.warning(
            "%s: source video not found; the .otio/.edl name it without a path "
            "(pass --videos DIR to link it)",
            video.name,
        )
    fps = media.source_fps or 25.0
    segments = video.segments
    out = [write_otio(video.out_dir / f"{video.name}.otio", segments, media.source, fps)]
    try:
        out.append(write_edl(video.out_dir / f"{video.name}.edl", segments, media.source, fps))
    except ConfigError as err:  # the EDL adapter is a separate package
        log.warning("%s: no EDL: %s", video.name, err)
    return out


def write_chapters(video: LabelledVideo, min_length_s: float) -> Path | None:
    """Put one chapter per segment of at least `min_length_s` into NAME.annotated.mp4."""
    if video.media.kind != "annotated" or video.media.player is None:
        log.warning("%s: no annotated video to put chapters in", video.name)
        return None
    chapters = chapters_from_segments(player_segments(video), min_length_s)
    if not chapters:
        log.warning(
            "%s: no segment is %.1f s or longer; no chapters written", video.name, min_length_s
        )
        return None
    return add_chapters(video.media.player, chapters)

"""Editor hand-off files for a labelled video: NAME.otio, .edl, .xml, .fcpxml and (on request)
chapters in NAME.annotated.mp4. Thin glue between the loaded outputs and `pipeline.outputs.editorial`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pipeline.core.track import SegmentRow
from pipeline.errors import ConfigError
from pipeline.io.writer import add_chapters
from pipeline.outputs.editorial import (
    TIMELINE_FORMATS,
    chapters_from_segments,
    media_url,
    write_timeline,
)
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


def write_timelines(video: LabelledVideo, media_root: str | None = None) -> list[Path]:
    """NAME.otio, .edl, .xml (Final Cut Pro 7 XML: Premiere, Resolve) and .fcpxml (Final Cut
    Pro) over the source video, named relative to the output folder or under `media_root` (a
    missing source is named, not linked). A format whose OTIO adapter is missing is skipped
    with a warning."""
    media = video.media
    if media.source is None:
        log.warning(
            "%s: source video not found; the timelines name it without a path "
            "(pass --videos DIR to link it)",
            video.name,
        )
    fps = media.source_fps or 25.0
    url = media_url(media.source, video.out_dir, media_root)
    out = []
    for kind, (_, suffix, _) in TIMELINE_FORMATS.items():
        path = video.out_dir / f"{video.name}{suffix}"
        try:
            out.append(write_timeline(path, video.segments, url, fps, kind))
        except ConfigError as err:  # each adapter is a package of its own
            log.warning("%s: no %s: %s", video.name, suffix, err)
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

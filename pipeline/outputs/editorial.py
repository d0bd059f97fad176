"""Hand-off to editors: the segments as an OpenTimelineIO timeline, a CMX 3600 EDL, chapters.

Segments are the rows `segment_table` returns and NAME.segments.json holds (`start_frame`,
`end_frame` exclusive, `start_s`, `end_s`, `label`, `mean_confidence`). On the timeline each
segment is one clip over the *source* media, in source frame numbers at the source frame rate,
so an editor conforms the cut list against the original file; a marker sits at every
transition (a label change). The EDL is the same timeline through OTIO's `cmx_3600` adapter
(the `otio-cmx3600-adapter` package in OTIO >= 0.17).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.core.track import SegmentRow
from pipeline.errors import ConfigError
from pipeline.io.atomic import atomic_output
from pipeline.io.writer import Chapter

MIN_CHAPTER_S = 1.0  # shorter segments (a cut, a flash) join the chapter before them


def _otio() -> Any:
    try:
        import opentimelineio
    except ImportError as exc:  # a dependency, but keep the message useful if it is missing
        raise ConfigError(
            "writing .otio/.edl needs the opentimelineio package; pip install opentimelineio "
            "otio-cmx3600-adapter"
        ) from exc
    return opentimelineio


def _check_fps(fps: float) -> float:
    if not fps or fps <= 0:
        raise ConfigError(f"fps={fps!r}: expected the source video's positive frame rate")
    return float(fps)


def _media_reference(otio: Any, source: str | os.PathLike[str] | None, name: str, span: Any) -> Any:
    """An ExternalReference to the source file (an absolute file URL), or a MissingReference."""
    if source is None:
        return otio.schema.MissingReference(name=name, available_range=span)
    url = Path(source).resolve().as_uri()
    return otio.schema.ExternalReference(target_url=url, available_range=span)


def _clip(otio: Any, seg: SegmentRow, fps: float, reference: Any) -> Any:
    start, end = seg.start_frame, seg.end_frame
    rt = otio.opentime.RationalTime
    clip = otio.schema.Clip(
        name=seg.label,
        media_reference=reference,
        source_range=otio.opentime.TimeRange(rt(start, fps), rt(end - start, fps)),
    )
    clip.metadata["framelabel"] = {
        "label": seg.label,
        "mean_confidence": round(seg.mean_confidence, 6),
        "start_frame": start,
        "end_frame": end,
    }
    return clip


def _transition_markers(otio: Any, segments: Sequence[SegmentRow], fps: float) -> list:
    """A zero-length marker at each label change, in track time (the first clip starts at 0)."""
    first = int(segments[0].start_frame)
    markers = []
    for prev, seg in zip(segments, segments[1:], strict=False):
        at = otio.opentime.RationalTime(seg.start_frame - first, fps)
        marker = otio.schema.Marker(
            name=f"{prev['label']} -> {seg['label']}",
            marked_range=otio.opentime.TimeRange(at, otio.opentime.RationalTime(0, fps)),
            color=otio.schema.MarkerColor.RED,
        )
        markers.append(marker)
    return markers


def timeline_from_segments(
    segments: Sequence[SegmentRow],
    source: str | os.PathLike[str] | None,
    fps: float,
    name: str = "framelabel",
) -> Any:
    """An `otio.schema.Timeline`: one video track, one clip per segment, transition markers."""
    otio, fps = _otio(), _check_fps(fps)
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="labels", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    if not segments:
        return timeline
    rt = otio.opentime.RationalTime
    first, last = int(segments[0].start_frame), int(segments[-1].end_frame)
    span = otio.opentime.TimeRange(rt(first, fps), rt(last - first, fps))
    reference = _media_reference(otio, source, name, span)
    for seg in segments:
        track.append(_clip(otio, seg, fps, reference))
    track.markers.extend(_transition_markers(otio, segments, fps))
    return timeline


def _write_with_adapter(path: Path, timeline: Any, adapter: str, overwrite: bool) -> Path:
    """Write through an OTIO adapter into a temp file, renamed into place when complete."""
    otio = _otio()
    with atomic_output(path, overwrite=overwrite, mode=None) as tmp:
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter)
    return Path(path)


def write_otio(
    path: str | os.PathLike[str],
    segments: Sequence[SegmentRow],
    source: str | os.PathLike[str] | None,
    fps: float,
    *,
    name: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write NAME.otio (OTIO JSON) of `segments` over `source`; returns the path."""
    timeline = timeline_from_segments(segments, source, fps, name or Path(path).stem)
    return _write_with_adapter(Path(path), timeline, "otio_json", overwrite)


def write_edl(
    path: str | os.PathLike[str],
    segments: Sequence[SegmentRow],
    source: str | os.PathLike[str] | None,
    fps: float,
    *,
    name: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a CMX 3600 EDL of `segments` (one event per segment); returns the path.

    ConfigError when OTIO's cmx_3600 adapter is not installed (pip install otio-cmx3600-adapter).
    """
    otio = _otio()
    if "cmx_3600" not in otio.adapters.available_adapter_names():
        raise ConfigError(
            "writing an EDL needs OTIO's cmx_3600 adapter; pip install otio-cmx3600-adapter"
        )
    timeline = timeline_from_segments(segments, source, fps, name or Path(path).stem)
    return _write_with_adapter(Path(path), timeline, "cmx_3600", overwrite)


def chapters_from_segments(
    segments: Sequence[SegmentRow], min_length_s: float = MIN_CHAPTER_S
) -> list[Chapter]:
    """One chapter per segment at least `min_length_s` long, titled with its label.

    Chapters tile the video: a shorter segment (a cut, a flash) is folded into the chapter
    before it (the first chapter also takes any short segments before it). Times are the
    segments' `start_s`/`end_s`, so pass segments on the clock of the video that gets them.
    """
    long_ones = [s for s in segments if s.end_s - s.start_s >= min_length_s]
    if not segments or not long_ones:
        return []
    chapters = []
    for i, seg in enumerate(long_ones):
        start = float(segments[0].start_s) if i == 0 else seg.start_s
        nxt = long_ones[i + 1] if i + 1 < len(long_ones) else None
        end = nxt.start_s if nxt is not None else float(segments[-1].end_s)
        chapters.append(Chapter(start, end, f"{seg['label']} {float(seg['start_s']):.1f}s"))
    return chapters

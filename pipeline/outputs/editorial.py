"""Hand-off to editors: the segments as an OpenTimelineIO timeline, a CMX 3600 EDL, Final Cut
Pro 7 XML (read by Premiere and DaVinci Resolve), FCPXML (Final Cut Pro), chapters.

Segments are the rows `segment_table` returns and NAME.segments.json holds (`start_frame`,
`end_frame` exclusive, `start_s`, `end_s`, `label`, `mean_confidence`). On the timeline each
segment is one clip over the *source* media, in source frame numbers at the source frame rate,
so an editor conforms the cut list against the original file; a marker sits at every
transition (a label change), on the track and on the clip it starts (the XML formats keep only
clip markers). The media is named by a URL relative to the output folder (the folder moves as
a whole) or under a `media_root` the caller gives. The other formats are the same timeline
through OTIO's adapters (`otio-cmx3600-adapter`, `otio-fcp-adapter`, `otio-fcpx-xml-adapter`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.core.track import SegmentRow
from pipeline.errors import ConfigError
from pipeline.io.atomic import atomic_output
from pipeline.io.writer import Chapter
from pipeline.outputs.layout import relative_url
from pipeline.outputs.subtitles import format_timestamp

MIN_CHAPTER_S = 0.0  # a shorter segment (not an edit) joins the chapter before it
EDIT_LABELS = ("cut", "gradual")  # the shot model's edits: they open the next chapter


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


def media_url(
    source: str | os.PathLike[str] | None, folder: Path, media_root: str | None
) -> str | None:
    """How the timelines name the source: under `media_root` (a folder or URL prefix the
    editor's machine knows) by file name, else as a path relative to `folder`, the output
    folder the timeline files live in. None when the source is unknown."""
    if source is None:
        return None
    if media_root:
        return media_root.rstrip("/") + "/" + quote(Path(source).name)
    return relative_url(source, folder)


def _media_reference(otio: Any, url: str | None, name: str, span: Any) -> Any:
    """An ExternalReference to the source (`media_url`), or a MissingReference."""
    if url is None:
        return otio.schema.MissingReference(name=name, available_range=span)
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
    segments: Sequence[SegmentRow], url: str | None, fps: float, name: str = "framelabel"
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
    reference = _media_reference(otio, url, name, span)
    for prev, seg in zip([None, *segments[:-1]], segments, strict=True):
        clip = _clip(otio, seg, fps, reference)
        if prev is not None:  # the XML formats keep markers on clips only
            at = otio.opentime.TimeRange(rt(seg.start_frame, fps), rt(0, fps))
            clip.markers.append(
                otio.schema.Marker(
                    name=f"{prev['label']} -> {seg['label']}",
                    marked_range=at,
                    color=otio.schema.MarkerColor.RED,
                )
            )
        track.append(clip)
    track.markers.extend(_transition_markers(otio, segments, fps))
    return timeline


def _write_with_adapter(path: Path, timeline: Any, adapter: str, overwrite: bool) -> Path:
    """Write through an OTIO adapter into a temp file, renamed into place when complete."""
    otio = _otio()
    with atomic_output(path, overwrite=overwrite, mode=None) as tmp:
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter)
    return Path(path)


# format name -> (OTIO adapter, file suffix, the package that provides the adapter)
TIMELINE_FORMATS = {
    "otio": ("otio_json", ".otio", "opentimelineio"),
    "edl": ("cmx_3600", ".edl", "otio-cmx3600-adapter"),
    "fcp7": ("fcp_xml", ".xml", "otio-fcp-adapter"),
    "fcpx": ("fcpx_xml", ".fcpxml", "otio-fcpx-xml-adapter"),
}


def write_timeline(
    path: str | os.PathLike[str],
    segments: Sequence[SegmentRow],
    url: str | None,
    fps: float,
    kind: str = "otio",
    *,
    name: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the timeline of `segments` over the media at `url` (`media_url`) in format `kind`
    (`TIMELINE_FORMATS`); returns the path. ConfigError when the adapter is not installed."""
    adapter, _, package = TIMELINE_FORMATS[kind]
    otio = _otio()
    if adapter not in otio.adapters.available_adapter_names():
        raise ConfigError(f"writing {kind} needs OTIO's {adapter} adapter; pip install {package}")
    timeline = timeline_from_segments(segments, url, fps, name or Path(path).stem)
    return _write_with_adapter(Path(path), timeline, adapter, overwrite)


def chapters_from_segments(
    segments: Sequence[SegmentRow],
    min_length_s: float = MIN_CHAPTER_S,
    edit_labels: Sequence[str] = EDIT_LABELS,
) -> list[Chapter]:
    """One chapter per segment (a shot, for the shot model), titled with its label and start.

    Chapters tile the video. A segment labelled as an edit (`edit_labels`: a cut, a gradual
    transition) opens the chapter of the segment after it; any other segment shorter than
    `min_length_s` joins the chapter before it. Titles carry the start to the millisecond
    (`shot 00:01:02.480`), so no two are alike. Times are the segments' `start_s`/`end_s`:
    pass segments on the clock of the video that gets them.
    """
    starts: list[tuple[float, SegmentRow]] = []  # (chapter start, the segment it is named by)
    opening: float | None = None  # where a run of edit segments began
    for seg in segments:
        if seg.label in edit_labels:
            opening = seg.start_s if opening is None else opening
            continue
        if not starts or seg.end_s - seg.start_s >= min_length_s:
            starts.append((seg.start_s if opening is None else opening, seg))
        opening = None
    if not any(s.end_s - s.start_s >= min_length_s for _, s in starts):
        return []
    ends = [start for start, _ in starts[1:]] + [float(segments[-1].end_s)]
    first = float(segments[0].start_s)
    return [
        Chapter(
            first if i == 0 else start,
            end,
            f"{seg['label']} {format_timestamp(round(seg.start_s * 1000))}",
        )
        for i, ((start, seg), end) in enumerate(zip(starts, ends, strict=True))
    ]

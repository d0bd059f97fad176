"""Subtitle tracks of a segment table: WebVTT (browsers, <track>) and SubRip (.srt, players).

One cue per segment, text `label (87%)` (mean confidence in whole percent, halves rounded
up). Timestamps are whole milliseconds; a cue never has zero length (at least 1 ms, which
players need to show it at all) and never starts before the previous one ends, so rounding
cannot produce overlapping cues.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.core.track import SegmentRow
from pipeline.io.atomic import atomic_output


def format_timestamp(t_ms: int, decimal_sep: str = ".") -> str:
    """`HH:MM:SS.mmm` for `t_ms` >= 0 milliseconds (`,` separator for SRT); hours may pass 99."""
    hours, rem = divmod(int(t_ms), 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    seconds, ms = divmod(rem, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal_sep}{ms:03d}"


def cue_text(label: str, mean_confidence: float) -> str:
    """`label (87%)`: one line (line breaks in a class name would end the cue early)."""
    percent = int(float(mean_confidence) * 100.0 + 0.5)
    one_line = " ".join(str(label).split())
    return f"{one_line} ({percent}%)"


def _cues(table: Sequence[SegmentRow]) -> Iterator[tuple[int, int, str]]:
    """(start_ms, end_ms, text) per segment: ms rounded, clamped >= 0, ordered, >= 1 ms long."""
    prev_end_ms = 0
    for row in table:
        start_ms = max(round(float(row.start_s) * 1000.0), prev_end_ms)
        end_ms = max(round(float(row.end_s) * 1000.0), start_ms + 1)
        prev_end_ms = end_ms
        yield start_ms, end_ms, cue_text(row.label, row.mean_confidence)


def _escape_vtt(text: str) -> str:
    """WebVTT cue text is markup: `&` and `<` start entities/tags, `-->` would end the timing."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_vtt(
    path: str | os.PathLike[str], table: Sequence[SegmentRow], *, overwrite: bool = False
) -> Path:
    """Write a WebVTT file (`WEBVTT` header, `00:00:01.040 --> 00:00:02.000` cues). Returns path."""
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        fh.write("WEBVTT\n\n")
        for start_ms, end_ms, text in _cues(table):
            fh.write(f"{format_timestamp(start_ms)} --> {format_timestamp(end_ms)}\n")
            fh.write(f"{_escape_vtt(text)}\n\n")
    return Path(path)


def write_srt(
    path: str | os.PathLike[str], table: Sequence[SegmentRow], *, overwrite: bool = False
) -> Path:
    """Write a SubRip file (1-based cue numbers, `00:00:01,040 --> 00:00:02,000`). Returns path."""
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        for number, (start_ms, end_ms, text) in enumerate(_cues(table), start=1):
            fh.write(f"{number}\n")
            fh.write(f"{format_timestamp(start_ms, ',')} --> {format_timestamp(end_ms, ',')}\n")
            fh.write(f"{text}\n\n")
    return Path(path)

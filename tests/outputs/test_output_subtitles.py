"""WebVTT / SubRip tracks: exact formatting, parse-back, edge cases, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.track import LabelTrack, SegmentRow
from pipeline.outputs.subtitles import format_timestamp, write_srt, write_vtt
from pipeline.outputs.tracks import segment_table

_TIME = r"(\d{2,}):(\d{2}):(\d{2})[.,](\d{3})"
_CUE = re.compile(rf"{_TIME} --> {_TIME}\n(.+)")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _parse(text: str) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, text) of every cue in a VTT or SRT file."""
    cues = []
    for m in _CUE.finditer(text):
        g = m.groups()
        cues.append((_ms(*g[0:4]), _ms(*g[4:8]), g[8]))
    return cues


def _row(start_s: float, end_s: float, label: str, conf: float) -> SegmentRow:
    return SegmentRow(0, 1, start_s, end_s, label, conf, 1)


TABLE = [
    _row(0.0, 1.04, "walk", 0.874),
    _row(1.04, 62.5, "run", 0.125),
    _row(62.5, 3725.0071, "sit", 0.995),
]


def test_timestamp_format() -> None:
    assert format_timestamp(1040) == "00:00:01.040"
    assert format_timestamp(1040, ",") == "00:00:01,040"
    assert format_timestamp(3_725_007) == "01:02:05.007"
    assert format_timestamp(360_000_000) == "100:00:00.000"  # hours may pass 99


def test_vtt_exact_text_and_parse_back(tmp_path: Path) -> None:
    text = write_vtt(tmp_path / "v.vtt", TABLE).read_text()
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.040\nwalk (87%)\n\n")
    assert "01:02:05.007" in text
    assert _parse(text) == [
        (0, 1040, "walk (87%)"),
        (1040, 62500, "run (13%)"),  # 12.5% rounds half up
        (62500, 3725007, "sit (100%)"),
    ]


def test_srt_exact_text_and_parse_back(tmp_path: Path) -> None:
    text = write_srt(tmp_path / "v.srt", TABLE).read_text()
    assert text.startswith("1\n00:00:00,000 --> 00:00:01,040\nwalk (87%)\n\n2\n")
    blocks = text.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["1", "2", "3"]
    assert "." not in "".join(b.splitlines()[1] for b in blocks)  # SRT uses commas only
    assert _parse(text) == [
        (0, 1040, "walk (87%)"),
        (1040, 62500, "run (13%)"),
        (62500, 3725007, "sit (100%)"),
    ]


def test_cues_never_zero_length_or_overlapping(tmp_path: Path) -> None:
    table = [
        _row(-0.02, 0.0, "a", 0.5),  # negative pts (edit lists) clamp to 0
        _row(1.0, 1.0, "b", 0.5),  # zero length
        _row(1.0002, 1.0004, "c", 0.5),  # rounds to the same millisecond
        _row(1.0004, 2.0, "d", 0.5),
    ]
    for cues in (_parse(write_vtt(tmp_path / "v.vtt", table).read_text()),
                 _parse(write_srt(tmp_path / "v.srt", table).read_text())):  # fmt: skip
        assert [c[2][0] for c in cues] == ["a", "b", "c", "d"]
        assert all(end - start >= 1 for start, end, _ in cues)
        assert all(cues[i][1] <= cues[i + 1][0] for i in range(len(cues) - 1))
        assert cues[0][0] == 0


def test_vtt_escapes_markup_and_line_breaks(tmp_path: Path) -> None:
    table = [_row(0.0, 1.0, "<b>cats & dogs</b>\nrun -->", 0.5)]
    vtt = write_vtt(tmp_path / "v.vtt", table).read_text()
    assert "&lt;b&gt;cats &amp; dogs&lt;/b&gt; run --&gt; (50%)" in vtt
    srt = write_srt(tmp_path / "v.srt", table).read_text()
    assert _parse(srt)[0][2] == "<b>cats & dogs</b> run --> (50%)"


def test_from_segment_table(tmp_path: Path) -> None:
    probs = np.array([[0.9, 0.1]] * 3 + [[0.2, 0.8]] * 2, np.float32)
    pts_s = np.arange(5) / 25.0
    table = segment_table(LabelTrack.checked(np.arange(5), pts_s, probs, ["idle", "busy"]))
    assert _parse(write_vtt(tmp_path / "v.vtt", table).read_text()) == [
        (0, 120, "idle (90%)"),
        (120, 200, "busy (80%)"),
    ]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    broken = [TABLE[0], _row(1.0, "later", "x", 0.5)]  # fails after the first cue is written
    with pytest.raises(ValueError):
        write_vtt(tmp_path / "v.vtt", broken)
    with pytest.raises(ValueError):
        write_srt(tmp_path / "v.srt", broken)
    assert list(tmp_path.iterdir()) == []

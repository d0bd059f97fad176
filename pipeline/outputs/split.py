"""`framelabel split`: one video file per segment (per shot, for the shot model).

Pieces tile the video. For the shot model a piece is a shot with the edit that opens it (a
cut's frame, a dissolve's frames: `pieces_from_segments`); for other models a piece is a
segment. Two ways to cut:

- stream copy (the default): packets are copied, not decoded, so it is fast and lossless, but
  a piece can only start on a keyframe: each starts on the keyframe at or before its first
  frame (a piece whose keyframe is its predecessor's joins it);
- `reencode`: every frame is decoded and written again (H.264), so each piece starts exactly on
  its first frame.

Audio is kept either way (copied, cut at the piece's time range).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from pipeline.core.track import SegmentRow
from pipeline.io.atomic import atomic_output
from pipeline.io.reader import open_video
from pipeline.io.writer import VideoWriter
from pipeline.outputs.editorial import EDIT_LABELS
from pipeline.outputs.thumbnails import frame_jpegs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Piece:
    """Source frames [start_frame, end_frame) and seconds [start_s, end_s) of one output file,
    named after the segment it is (the shot, not the edit that opens it)."""

    index: int
    label: str
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float

    def file_name(self, video: str, suffix: str = ".mp4") -> str:
        """`NAME.003.shot.mp4`: numbered in order, then the label (made safe for a file name)."""
        label = re.sub(r"[^\w.-]+", "_", self.label).strip("._") or "segment"
        return f"{video}.{self.index:03d}.{label}{suffix}"


def pieces_from_segments(
    segments: Sequence[SegmentRow], edit_labels: Sequence[str] = EDIT_LABELS
) -> list[Piece]:
    """One piece per segment, an edit segment (`edit_labels`) joined to the one after it (a
    trailing edit to the one before): the pieces tile the segments."""
    groups: list[list[SegmentRow]] = []
    opening: list[SegmentRow] = []
    for seg in segments:
        if seg.label in edit_labels:
            opening.append(seg)
            continue
        groups.append([*opening, seg])
        opening = []
    if opening:  # the video ends in an edit
        if groups:
            groups[-1] += opening
        else:
            groups.append(opening)
    pieces = []
    for i, group in enumerate(groups):
        named = next((s for s in group if s.label not in edit_labels), group[0])
        first, last = group[0], group[-1]
        pieces.append(
            Piece(i, named.label, first.start_frame, last.end_frame, first.start_s, last.end_s)
        )
    return pieces


def split_reencode(
    source: str | os.PathLike[str], pieces: Sequence[Piece], out_dir: Path, name: str, fps: float
) -> list[Path]:
    """Decode `source` once and write each piece's exact frames (H.264) and its audio."""
    written: list[Path] = []
    writer: VideoWriter | None = None
    todo = iter(pieces)
    piece = next(todo, None)
    with open_video(source) as reader, contextlib.ExitStack() as unfinished:
        # an error or Ctrl-C drops the piece being written: no half file under its name
        unfinished.callback(lambda: writer is not None and writer.abort())
        for frame in reader:
            while piece is not None and frame.index >= piece.end_frame:
                written += _close(writer)
                writer, piece = None, next(todo, None)
            if piece is None:
                break
            if frame.index < piece.start_frame:
                continue
            if writer is None:
                height, width = frame.rgb.shape[:2]
                writer = VideoWriter(
                    out_dir / piece.file_name(name),
                    width,
                    height,
                    fps,
                    audio_from=source,
                    audio_start_s=frame.pts_s,
                    overwrite=True,
                )
            writer.write(frame.rgb)
        written += _close(writer)
        writer = None
    return written


def _close(writer: VideoWriter | None) -> list[Path]:
    return [] if writer is None else [writer.close()]


def keyframe_times(source: str | os.PathLike[str]) -> list[float]:
    """Seconds (from the video stream's start) of every keyframe, from the packets alone."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        start = stream.start_time or 0
        return sorted(
            float((pkt.pts - start) * stream.time_base)
            for pkt in container.demux(stream)
            if pkt.is_keyframe and pkt.pts is not None
        )


def snapped_starts(pieces: Sequence[Piece], keyframes_s: Sequence[float]) -> list[float]:
    """Each piece's start moved back to the keyframe at or before it (the first piece: 0)."""
    keys = np.asarray(keyframes_s or [0.0])
    out = []
    for i, piece in enumerate(pieces):
        at = np.searchsorted(keys, piece.start_s + 1e-6, side="right") - 1
        out.append(0.0 if i == 0 or at < 0 else float(keys[at]))
    return out


def split_copy(
    source: str | os.PathLike[str], pieces: Sequence[Piece], out_dir: Path, name: str
) -> list[Path]:
    """Copy the packets of each piece (from its keyframe, see `snapped_starts`) into its file."""
    starts = snapped_starts(pieces, keyframe_times(source))
    pairs = list(zip(pieces, starts, strict=True))
    kept = [(p, s) for i, (p, s) in enumerate(pairs) if i == 0 or s > starts[i - 1]]
    if len(kept) < len(pieces):
        log.info(
            "%s: %d pieces start on the keyframe of the one before and join it",
            name,
            len(pieces) - len(kept),
        )
    bounds = [s for _, s in kept[1:]] + [float("inf")]
    written = []
    with av.open(str(source)) as container:
        streams = [container.streams.video[0], *container.streams.audio[:1]]
        outputs = _PieceFiles(streams, out_dir, name)
        try:
            written += _copy_packets(container, streams, kept, bounds, outputs)
        except BaseException:
            outputs.abort()
            raise
    return written


def _copy_packets(
    container: av.container.InputContainer,
    streams: list,
    kept: list[tuple[Piece, float]],
    bounds: list[float],
    outputs: _PieceFiles,
) -> list[Path]:
    """Hand every packet to the piece it belongs to; a video keyframe at a bound starts the
    next piece, audio goes by time."""
    written, current = [], 0
    for pkt in container.demux(*streams):
        if pkt.dts is None:
            continue  # flush packets carry nothing to copy
        t = _packet_time(pkt)
        video = pkt.stream.type == "video"
        while video and pkt.is_keyframe and current + 1 < len(kept) and t >= bounds[current] - 1e-6:
            written += outputs.close()
            current += 1
        piece, start = kept[current]
        if not video and t < start - 1e-6:
            continue  # audio from before this piece's keyframe went with the piece before
        outputs.mux(pkt, piece, start)
    return written + outputs.close()


def _packet_time(pkt: av.Packet) -> float:
    stream = pkt.stream
    origin = stream.start_time or 0
    ts = pkt.pts if pkt.pts is not None else pkt.dts
    return float((ts - origin) * stream.time_base)


class _PieceFiles:
    """The output file of the current piece: opened on its first packet under a temporary
    name, timestamps rebased to start at 0, renamed into place when the piece is complete."""

    def __init__(self, streams: list, out_dir: Path, name: str) -> None:
        self.streams, self.out_dir, self.name = streams, out_dir, name
        self._out: av.container.OutputContainer | None = None
        self._stack = contextlib.ExitStack()
        self._map: dict[int, av.stream.Stream] = {}
        self._shift: dict[int, int] = {}
        self.path: Path | None = None

    def mux(self, pkt: av.Packet, piece: Piece, start_s: float) -> None:
        if self._out is None:
            self._open(piece, start_s)
        index = pkt.stream.index
        pkt.dts -= self._shift[index]
        if pkt.pts is not None:
            pkt.pts -= self._shift[index]
        pkt.stream = self._map[index]
        self._out.mux(pkt)

    def _open(self, piece: Piece, start_s: float) -> None:
        self.path = self.out_dir / piece.file_name(self.name)
        tmp = self._stack.enter_context(atomic_output(self.path, overwrite=True, mode=None))
        self._out = av.open(str(tmp), "w", format="mp4")
        for stream in self.streams:
            self._map[stream.index] = self._out.add_stream_from_template(stream)
            origin = stream.start_time or 0
            self._shift[stream.index] = origin + round(Fraction(start_s) / stream.time_base)

    def close(self) -> list[Path]:
        """Finish the current file; returns its path (nothing when none is open)."""
        if self._out is None:
            return []
        self._out.close()
        self._out = None
        self._stack.close()  # the rename into place
        return [self.path]

    def abort(self) -> None:
        """Drop the file being written (an error or Ctrl-C): no half piece under its name."""
        if self._out is not None:
            self._out.close()
            self._out = None
        self._stack.__exit__(RuntimeError, RuntimeError("split aborted"), None)


def write_thumbnails(
    source: str | os.PathLike[str],
    pieces: Sequence[Piece],
    out_dir: Path,
    name: str,
    width: int = 320,
) -> list[Path]:
    """A JPEG of each piece's middle frame, `NAME.003.shot.jpg`."""
    middle = {(p.start_frame + p.end_frame - 1) // 2: p for p in pieces}
    written = []
    for index, jpeg in frame_jpegs(source, middle, width).items():
        path = out_dir / middle[index].file_name(name, ".jpg")
        with atomic_output(path, overwrite=True, mode="wb") as fh:
            fh.write(jpeg)
        written.append(path)
    return written

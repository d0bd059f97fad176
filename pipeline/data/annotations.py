"""Per-frame ground truth: the annotation formats framelabel reads, and their checks.

Dataset layout (NAME is a video's file name without its extension):

    root/classes.txt          one class name per line, in id order (optional when
                              mapping.txt is present; blank lines are skipped)
    root/videos/NAME.mp4      any video extension (.mp4 .mkv .mov .avi .webm .m4v .mpg .ts ...)
    root/annotations.csv      segments of all videos, end exclusive, either
                                  video,start_frame,end_frame,label     (frame numbers)
                              or  video,start_time,end_time,label       (seconds)
    root/labels/NAME.csv      one video: a segments CSV without the video column (the
                              NAME.segments.csv that `framelabel label` writes qualifies), or
                              the per-frame CSV `framelabel label` writes
                              (frame,pts_s,label,confidence,p_<class>...)
    root/groundTruth/NAME.txt MS-TCN: one label name per line, one line per frame,
    root/mapping.txt          with "id name" lines giving the class ids

Conventions:

- Frame i is the i-th decoded frame in presentation order. A frame belongs to a time segment
  when start_time <= pts_s < end_time. `start_s`/`end_s` are accepted for
  `start_time`/`end_time`; when a file has both frame and time columns, frames win.
- Frames in no segment are -1 (unlabeled, ignored by the loss and the metrics), or the
  `background` class when one is configured. A time segment may end past the last frame
  (tools often write the duration). A per-frame CSV that skips frame numbers (labels written
  with frame sampling) leaves the skipped frames -1: they are unknown, not background.
- Labels are class *names*; every error names the file and line and says how to fix it.
- Files are read as UTF-8 (a BOM, as Excel writes, is accepted).
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.segments import Segment, segments_to_labels
from pipeline.data.mstcn import (
    lookup_class_id,
    read_ground_truth,
    read_mapping,
    read_text,
    read_text_lines,
    shorten,
)
from pipeline.errors import AnnotationError, ConfigError

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv"}
)
FRAME_COLUMNS = ("start_frame", "end_frame")
TIME_COLUMNS = ("start_time", "end_time")
TIME_ALIASES = {"start_s": "start_time", "end_s": "end_time"}
# Checked in this order, so a file with both frame and time columns is read in frames.
CSV_FORMATS = {
    "frames": (*FRAME_COLUMNS, "label"),
    "seconds": (*TIME_COLUMNS, "label"),
    "per-frame": ("frame", "label"),
}


def _read_classes_txt(path: Path) -> list[str]:
    """Class names from classes.txt, one per non-blank line; duplicates are an error."""
    names: list[str] = []
    for line_no, line in enumerate(read_text_lines(path), start=1):
        name = line.strip()
        if not name:
            continue
        if name in names:
            raise AnnotationError(
                f"{path}:{line_no}: class {shorten(name)} is listed twice; remove one"
            )
        names.append(name)
    if not names:
        raise AnnotationError(f"{path} lists no class; write one class name per line")
    return names


def read_class_names(root: Path) -> list[str]:
    """Class names in id order, from root/classes.txt or else root/mapping.txt.

    When both exist they must agree, so a model never trains on one order and is scored
    with the other.
    """
    root = Path(root)
    classes_txt, mapping_txt = root / "classes.txt", root / "mapping.txt"
    if not classes_txt.is_file() and not mapping_txt.is_file():
        raise AnnotationError(
            f"no class list in {root}: expected classes.txt (one class name per line, in id "
            "order) or mapping.txt ('id name' lines); create one of them"
        )
    if not classes_txt.is_file():
        return read_mapping(mapping_txt)
    names = _read_classes_txt(classes_txt)
    if mapping_txt.is_file() and read_mapping(mapping_txt) != names:
        raise AnnotationError(
            f"{classes_txt} and {mapping_txt} list different classes or orders; "
            "delete one or make them agree"
        )
    return names


def video_files(root: Path) -> dict[str, Path]:
    """Video files in root/videos (or root itself when there is no videos/), by stem."""
    folder = root / "videos" if (root / "videos").is_dir() else root
    if not folder.is_dir():
        return {}
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)
    return {p.stem: p for p in found}


def _video_key(value: str) -> str:
    """A `video` cell as a video name: "clip.mp4" and "clip" both name clip (not "clip.v2")."""
    value = value.strip()
    return Path(value).stem if Path(value).suffix.lower() in VIDEO_EXTENSIONS else value


@dataclass(frozen=True)
class _CsvTable:
    """A CSV file as read: canonical column name -> the file's spelling, and (line, record)."""

    header: dict[str, str]
    records: list[tuple[int, dict]]


def _read_csv_table(path: Path) -> _CsvTable:
    """Parse a CSV annotation file; AnnotationError naming file:line for text or CSV errors."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        fieldnames = reader.fieldnames
        records = [(reader.line_num, rec) for rec in reader]
    except csv.Error as exc:  # a field past csv's size limit; DictReader.line_num lags a line
        raise AnnotationError(
            f"{path}:{max(reader.reader.line_num, 1)}: not valid CSV ({exc}); expected comma-separated "
            "values, one segment or frame per line"
        ) from exc
    return _CsvTable(_normalised_header(fieldnames, path), records)


def _segment_csv_videos(path: Path) -> set[str]:
    """Video names that a segments CSV with a `video` column mentions (empty without one)."""
    table = _read_csv_table(path)
    column = table.header.get("video")
    if column is None:
        return set()
    return {_video_key(rec[column] or "") for _, rec in table.records} - {""}


def annotated_video_names(root: Path) -> set[str]:
    """Every video name that some annotation under `root` refers to."""
    root = Path(root)
    names = {p.stem for p in (root / "labels").glob("*.csv")}
    names |= {p.stem for p in (root / "groundTruth").glob("*.txt")}
    if (root / "annotations.csv").is_file():
        names |= _segment_csv_videos(root / "annotations.csv")
    return names


def check_videos_exist(root: Path, names: Iterable[str] | None = None) -> dict[str, Path]:
    """Map each annotated video name to its file; AnnotationError for names with no video.

    Args:
        root: dataset folder.
        names: video names to check; default: every name any annotation file refers to.
    """
    root = Path(root)
    videos = video_files(root)
    wanted = sorted(annotated_video_names(root) if names is None else set(names))
    missing = [n for n in wanted if n not in videos]
    if missing:
        hints = [
            f"{n!r} (did you mean {close[0]!r}?)" if close else repr(n)
            for n in missing
            for close in [difflib.get_close_matches(n, list(videos), n=1)]
        ]
        raise AnnotationError(
            f"annotations refer to videos that are not in {root / 'videos'}: {', '.join(hints)}; "
            "add the video files or fix the names (a name is the file name without extension)"
        )
    return {n: videos[n] for n in wanted}


def find_annotation(root: Path, video_name: str) -> Path | None:
    """The file that annotates `video_name` (file name without extension), or None.

    Looked up in order: labels/NAME.csv, groundTruth/NAME.txt, then annotations.csv when it
    has rows for NAME. Several matches log a warning and the first one wins.
    """
    root = Path(root)
    candidates = [root / "labels" / f"{video_name}.csv", root / "groundTruth" / f"{video_name}.txt"]
    found = [p for p in candidates if p.is_file()]
    shared = root / "annotations.csv"
    if shared.is_file() and video_name in _segment_csv_videos(shared):
        found.append(shared)
    if len(found) > 1:
        log.warning("video %r is annotated in %s; using %s", video_name, found, found[0])
    return found[0] if found else None


@dataclass(frozen=True)
class _Row:
    """One segment as read, before painting: bounds in frames or seconds."""

    line: int
    start: float
    end: float
    label: int


def _number(value: str | None, kind: type, where: str, column: str) -> float:
    """Parse a frame number (int) or a time (float) cell, AnnotationError when it is not one."""
    expected = "an integer frame number" if kind is int else "a time in seconds"
    if value is None:
        raise AnnotationError(f"{where}: the {column} cell is missing, expected {expected}")
    try:
        number = kind((value or "").strip())
    except ValueError:
        number = float("nan")
    if not (isinstance(number, int) or math.isfinite(number)):  # an int is finite however large
        raise AnnotationError(f"{where}: {column} is {shorten(value)}, expected {expected}")
    return number


def _show(number: float) -> str:
    """A frame number or time for a message: huge values in short scientific notation."""
    return (
        f"{number:.3g}"
        if abs(number) >= 1e12
        else f"{number:g}"
        if isinstance(number, float)
        else str(number)
    )


def _check_and_paint(
    rows: list[_Row], path: Path, num_frames: int, pts_s: np.ndarray | None, fill: int
) -> np.ndarray:
    """Validate segment rows (order, overlap, range) and paint them into a (T,) label array."""
    unit = "frame" if pts_s is None else "second"
    rows = sorted(rows, key=lambda r: (r.start, r.end))
    for prev, row in zip([None, *rows], rows, strict=False):
        start, end = _show(row.start), _show(row.end)
        if row.end <= row.start:
            raise AnnotationError(
                f"{path}:{row.line}: segment ends ({end}) at or before its start "
                f"({start}); ends are exclusive, so a one-{unit} segment is start, start+1"
            )
        if prev is not None and row.start < prev.end:
            raise AnnotationError(
                f"{path}:{row.line}: segment [{start}, {end}) overlaps the one on line "
                f"{prev.line} [{_show(prev.start)}, {_show(prev.end)}); a frame can have one "
                "label only"
            )
    if pts_s is None:
        return _paint_frame_rows(rows, path, num_frames, fill)
    return _paint_time_rows(rows, path, pts_s, fill)


def _paint_frame_rows(rows: list[_Row], path: Path, num_frames: int, fill: int) -> np.ndarray:
    """Paint frame-number segments, rejecting any that lie outside the video."""
    for row in rows:
        if row.start < 0 or row.end > num_frames:
            raise AnnotationError(
                f"{path}:{row.line}: segment [{_show(row.start)}, {_show(row.end)}) runs outside "
                f"the video, which has {num_frames} frames (0..{num_frames - 1}); "
                "check that the annotation belongs to this video and that end_frame is exclusive"
            )
    segments = [Segment(int(r.start), int(r.end), r.label) for r in rows]
    return segments_to_labels(segments, num_frames, fill)


def _paint_time_rows(rows: list[_Row], path: Path, pts_s: np.ndarray, fill: int) -> np.ndarray:
    """Paint time segments: frame i is inside when start <= pts_s[i] < end."""
    last_pts_s = float(pts_s[-1]) if len(pts_s) else float("-inf")
    segments = []
    for row in rows:
        if row.start > last_pts_s:
            raise AnnotationError(
                f"{path}:{row.line}: segment starts at {_show(row.start)} s, after the last of the "
                f"video's {len(pts_s)} frames ({last_pts_s:.3f} s); check the video and units"
            )
        # searchsorted assumes pts increase, which holds in presentation order.
        first, stop = np.searchsorted(pts_s, [row.start, row.end], side="left")
        if stop <= first:
            log.warning(
                "%s:%d: segment [%s, %s) s holds no frame", path, row.line, row.start, row.end
            )
        segments.append(Segment(int(first), int(stop), row.label))
    return segments_to_labels(segments, len(pts_s), fill)


def _normalised_header(fieldnames: list[str] | None, path: Path) -> dict[str, str]:
    """Map canonical column names to the file's own spelling (stripped, time aliases)."""
    if not fieldnames:
        raise AnnotationError(f"{path}:1: the file is empty; expected a header line")
    header = {}
    for raw in fieldnames:
        name = raw.strip().lower()
        header[TIME_ALIASES.get(name, name)] = raw
    return header


def _csv_format(header: dict[str, str], path: Path) -> str:
    """Which CSV format a header announces; AnnotationError naming the missing columns."""
    missing = {fmt: [c for c in cols if c not in header] for fmt, cols in CSV_FORMATS.items()}
    for fmt, absent in missing.items():
        if not absent:
            return fmt
    closest = min(missing, key=lambda fmt: len(missing[fmt]))
    raise AnnotationError(
        f"{path}:1: header {shorten(list(header.values()), 120)} lacks column(s) {missing[closest]} of the "
        f"{closest} format; expected [video,]start_frame,end_frame,label or "
        "[video,]start_time,end_time,label (segments) or frame,label,... (per frame)"
    )


def _read_csv(
    path: Path,
    lookup: dict[str, int],
    num_frames: int,
    pts_s: np.ndarray | None,
    video: str | None,
    fill: int,
) -> np.ndarray:
    """Read a segments CSV (with or without a video column) or a per-frame CSV."""
    table = _read_csv_table(path)
    fmt = _csv_format(table.header, path)
    if fmt == "per-frame":
        return _read_per_frame_rows(table, path, lookup, num_frames)
    use_pts = None
    if fmt == "seconds":
        if pts_s is None:
            raise AnnotationError(
                f"{path} gives times in seconds; reading it needs the video's frame "
                "timestamps (pass pts_s), or rewrite it with start_frame,end_frame"
            )
        use_pts = np.asarray(pts_s, dtype=np.float64)
        if use_pts.shape != (num_frames,):
            raise ValueError(f"pts_s must be ({num_frames},), got {use_pts.shape}")
    rows = _segment_rows(table, path, lookup, use_pts is not None, video)
    return _check_and_paint(rows, path, num_frames, use_pts, fill)


def _segment_rows(
    table: _CsvTable,
    path: Path,
    lookup: dict[str, int],
    in_seconds: bool,
    video: str | None,
) -> list[_Row]:
    """Parse segment rows, keeping only those of `video` when the file has a video column."""
    start_col, end_col = TIME_COLUMNS if in_seconds else FRAME_COLUMNS
    kind = float if in_seconds else int
    header = table.header
    rows: list[_Row] = []
    row_videos: set[str] = set()
    for line, rec in table.records:
        where = f"{path}:{line}"
        if "video" in header:
            name = _video_key(rec[header["video"]] or "")
            row_videos.add(name)
            if video is not None and name != video:
                continue
        start = _number(rec[header[start_col]], kind, where, start_col)
        end = _number(rec[header[end_col]], kind, where, end_col)
        label = lookup_class_id((rec[header["label"]] or "").strip(), lookup, where)
        rows.append(_Row(line, start, end, label))
    if video is None and len(row_videos) > 1:
        raise AnnotationError(
            f"{path} annotates {shorten(sorted(row_videos), 120)}; say which (video=NAME)"
        )
    if video is not None and row_videos and not rows:
        raise AnnotationError(
            f"{path} has rows for {shorten(sorted(row_videos), 120)} but none for video {video!r}; "
            "fix the video column (a name is the file name without extension)"
        )
    return rows


def _read_per_frame_rows(
    table: _CsvTable,
    path: Path,
    lookup: dict[str, int],
    num_frames: int,
) -> np.ndarray:
    """Per-frame CSV: one row per (possibly sampled) frame, frame numbers increasing.

    Frames the file skips were not labeled (sampling), so they are -1 even with a background.
    """
    header = table.header
    out = np.full(num_frames, -1, dtype=np.int64)
    last_frame, count = -1, 0
    for line, rec in table.records:
        where = f"{path}:{line}"
        frame = int(_number(rec[header["frame"]], int, where, "frame"))
        if frame < 0:
            raise AnnotationError(f"{where}: frame {_show(frame)} is negative; frames count from 0")
        if frame <= last_frame:
            raise AnnotationError(
                f"{where}: frame {frame} follows frame {last_frame}; frames must increase"
            )
        if frame >= num_frames:
            raise AnnotationError(
                f"{where}: frame {_show(frame)} is past the end of the video, which has {num_frames} "
                "frames; check that this file belongs to this video"
            )
        out[frame] = lookup_class_id((rec[header["label"]] or "").strip(), lookup, where)
        last_frame, count = frame, count + 1
    # A file that lists every frame from 0 but stops early (or is empty) labels another video.
    if count == last_frame + 1 and count != num_frames:
        raise AnnotationError(
            f"{path} labels {count} frames but the video has {num_frames}; "
            "check that this file belongs to this video"
        )
    return out


def read_frame_labels(
    path: Path,
    class_names: list[str],
    num_frames: int,
    pts_s: np.ndarray | None = None,
    video: str | None = None,
    background: str | None = None,
) -> np.ndarray:
    """Per-frame class ids (T,) int64 from one annotation file; -1 = unlabeled.

    Args:
        path: a segments CSV, a per-frame CSV or an MS-TCN .txt (chosen by extension/header).
        class_names: class names in id order (see `read_class_names`).
        num_frames: decoded frames in the video.
        pts_s: (num_frames,) frame times in seconds; needed for segments given in seconds.
        video: which video's rows to read from a CSV with a `video` column.
        background: class name given to frames in no segment instead of -1.
    """
    path = Path(path)
    lookup = {name: i for i, name in enumerate(class_names)}
    fill = -1
    if background is not None:
        if background not in lookup:
            raise ConfigError(
                f"background class {background!r} is not one of the classes "
                f"{list(class_names)}; add it to classes.txt or pick one of those"
            )
        fill = lookup[background]
    if not path.is_file():
        raise AnnotationError(f"annotation file {path} does not exist")
    if path.suffix.lower() == ".txt":
        return read_ground_truth(path, class_names, num_frames)
    return _read_csv(path, lookup, num_frames, pts_s, video, fill)

"""The output folder: every file `label` and `report` write for a video NAME, in one place.

    OUT/NAME.labels.csv      one row per labelled frame (pipeline.outputs.tracks)
    OUT/NAME.segments.csv    one row per segment
    OUT/NAME.segments.json   the segments and the run's metadata (SegmentsMeta)
    OUT/NAME.vtt, NAME.srt   subtitles, one cue per segment
    OUT/NAME.annotated.mp4   the annotated video (unless --no-video)
    OUT/NAME.metrics.json    scores against --gt
    OUT/NAME.gates.csv       the LSTM's gates per frame (--gates)
    OUT/NAME.report.html     the report page (--report, `framelabel report`)
    OUT/index.html           the batch's report index
    OUT/NAME.otio, NAME.edl, NAME.chapters.txt   editorial hand-off (`framelabel report`)
    NAME.corrected.csv       labels fixed in the report page (its download; a segments CSV)

Readers and writers of each format live beside each other in `pipeline.outputs`; this module
only names the files, so adding an output is one entry here and one module there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

# kind -> suffix of OUT/NAME<suffix>, in the order `label` writes them
LABEL_OUTPUTS: dict[str, str] = {
    "labels": ".labels.csv",
    "segments_csv": ".segments.csv",
    "segments_json": ".segments.json",
    "vtt": ".vtt",
    "srt": ".srt",
    "video": ".annotated.mp4",
    "metrics": ".metrics.json",
    "gates": ".gates.csv",
}
LABELS_SUFFIX = LABEL_OUTPUTS["labels"]
SEGMENTS_SUFFIX = LABEL_OUTPUTS["segments_json"]
GATES_SUFFIX = LABEL_OUTPUTS["gates"]
METRICS_SUFFIX = LABEL_OUTPUTS["metrics"]
ANNOTATED_SUFFIX = LABEL_OUTPUTS["video"]
REPORT_SUFFIX = ".report.html"
CORRECTED_SUFFIX = ".corrected.csv"  # what the report page's "Download corrections" saves
INDEX_NAME = "index.html"
# the outputs every labelled video has, whatever the options
ALWAYS_WRITTEN = ("labels", "segments_csv", "segments_json", "vtt", "srt")


def output_path(out_dir: Path, name: str, kind: str) -> Path:
    """OUT/NAME<suffix> of one `label` output kind (a key of LABEL_OUTPUTS)."""
    return out_dir / f"{name}{LABEL_OUTPUTS[kind]}"


def output_name(source: str) -> str:
    """The NAME a source's outputs get: the file stem, `cameraN` for a camera index, the
    address made file-safe for a URL."""
    if source.isdigit():
        return f"camera{source}"
    if "://" in source:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", source.split("://", 1)[1]).strip("_") or "stream"
    return Path(source).stem


def find_names(out_dir: Path) -> list[str]:
    """Names of the labelled videos in `out_dir` (each has NAME.labels.csv), sorted."""
    return sorted(p.name[: -len(LABELS_SUFFIX)] for p in out_dir.glob(f"*{LABELS_SUFFIX}"))


def relative_url(target: str | os.PathLike[str], folder: Path) -> str:
    """`target` as a URL relative to `folder` (pages, timelines and their videos move together
    as one folder)."""
    rel = os.path.relpath(Path(target).resolve(), Path(folder).resolve())
    return quote(Path(rel).as_posix())

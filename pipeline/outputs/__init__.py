"""Writers of per-video results: label tracks (CSV/JSON), subtitles (VTT/SRT), the overlay."""

from pipeline.outputs.colors import class_colors
from pipeline.outputs.overlay import Overlay
from pipeline.outputs.subtitles import write_srt, write_vtt
from pipeline.outputs.tracks import (
    segment_table,
    write_labels_csv,
    write_segments_csv,
    write_segments_json,
)

__all__ = [
    "Overlay",
    "class_colors",
    "segment_table",
    "write_labels_csv",
    "write_segments_csv",
    "write_segments_json",
    "write_srt",
    "write_vtt",
]

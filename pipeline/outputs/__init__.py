"""The output folder: `layout` names every file; one module per format holds its writer and
its reader (tracks: labels.csv and segments.csv; segments_json; gates; subtitles; editorial;
overlay: the annotated video's drawing).

The names below load on first use, so `pipeline.outputs.layout` imports neither OpenCV nor
OpenTimelineIO.
"""

from importlib import import_module

_HOMES = {
    "class_colors": "pipeline.outputs.colors",
    "Overlay": "pipeline.outputs.overlay",
    "write_srt": "pipeline.outputs.subtitles",
    "write_vtt": "pipeline.outputs.subtitles",
    "segment_table": "pipeline.outputs.tracks",
    "write_labels_csv": "pipeline.outputs.tracks",
    "read_labels_csv": "pipeline.outputs.tracks",
    "write_segments_csv": "pipeline.outputs.tracks",
    "read_segments_csv": "pipeline.outputs.tracks",
    "SegmentsMeta": "pipeline.outputs.segments_json",
    "write_segments_json": "pipeline.outputs.segments_json",
    "read_segments_json": "pipeline.outputs.segments_json",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'pipeline.outputs' has no attribute {name!r}")


__all__ = sorted(_HOMES)

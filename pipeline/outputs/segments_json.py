"""`NAME.segments.json`: a video's segments and what made them (`SegmentsMeta`), written by
`label` and read back by the report, with one type for both.

    {"video", "classes", "post_processing", "source", "model", "sampling", "frames",
     "framing", "solid_runs", "command", "model_card", "segments": [SegmentRow...]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.track import SegmentRow
from pipeline.errors import AnnotationError
from pipeline.io.atomic import atomic_output
from pipeline.outputs.tracks import rounded_row


@dataclass(frozen=True)
class SegmentsMeta:
    """Everything segments.json says about its video besides the segments, in file order.

    Files written by older versions lack some keys; those read as the defaults here.
    """

    video: str | None = None
    classes: list[str] = field(default_factory=list)
    # {"transition_events": TransitionParams dict or None, "min_segment_frames": int or None}
    post_processing: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # relative to the output folder when inside it, else absolute
    model: str | None = None  # the checkpoint path
    sampling: dict[str, Any] | None = None  # Sampling.to_dict()
    frames: int | None = None  # labelled frames
    framing: dict[str, Any] | None = None  # {"borders", "roi", "crops": [CropChange dict]}
    # frames of one flat colour (source frame numbers, end exclusive): the composite
    # fade-out-in rule of pipeline.core.transitions reads them again when re-decoding
    solid_runs: list[list[int]] | None = None
    command: list[str] | None = None  # the argv that labelled the video
    model_card: dict[str, Any] | None = None  # encoder, preprocessing, sequence settings, ...

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> SegmentsMeta:
        """The known keys of a segments.json document (others are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known and v is not None})


def _json_default(value: Any) -> Any:
    """json.dump fallback for the numpy scalars/arrays and paths a caller's meta may hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"meta value {value!r} of type {type(value).__name__} is not JSON serialisable")


def write_segments_json(
    path: str | os.PathLike[str],
    table: Sequence[SegmentRow],
    meta: SegmentsMeta,
    *,
    overwrite: bool = False,
) -> Path:
    """Write `meta`'s keys, then `"segments": table` (times rounded to 6 decimals). Returns
    the path."""
    doc = {**meta.to_dict(), "segments": [rounded_row(row) for row in table]}
    # Serialise before opening the file so a bad meta value fails without touching the disk.
    text = json.dumps(doc, indent=2, default=_json_default, allow_nan=False)
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        fh.write(text + "\n")
    return Path(path)


def read_segments_json(path: str | os.PathLike[str]) -> tuple[SegmentsMeta, list[dict] | None]:
    """The meta and the stored segment rows (plain dicts: their track rows are found by the
    caller, against the labels.csv); AnnotationError when the file is not JSON."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(
            f"{path} is not valid JSON ({exc}); re-run framelabel label to rewrite it"
        ) from exc
    if not isinstance(doc, dict):
        raise AnnotationError(f"{path} is not a segments.json object; re-run framelabel label")
    segments = doc.get("segments")
    return SegmentsMeta.from_dict(doc), segments if isinstance(segments, list) else None

"""One video's labels as values: `LabelTrack`, a row per labelled frame, and `SegmentRow`, a
run of equal labels. Labeling produces them, the writers in `pipeline.outputs` store them, the
readers there give them back, and the report shows them: one type each, end to end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.core.frames import CropChange

# the columns of NAME.segments.csv and the keys of each segment in NAME.segments.json
SEGMENT_COLUMNS: tuple[str, ...] = (
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "label",
    "mean_confidence",
    "frames",
)


@dataclass(frozen=True)
class LabelTrack:
    """One video's labels: row t is the t-th labelled frame.

    `probs` are the model's; `final` the labels written after event decoding and
    `--min-segment` (None: the argmax). `labels` and `confidence` read the written label.
    """

    frame_indices: np.ndarray  # (T,) int64 source frame number (sampling skips numbers)
    pts_s: np.ndarray  # (T,) float64 source pts in seconds
    probs: np.ndarray  # (T, C) class probabilities
    fps: float | None  # rate of the labelled frames; None when not known (a file read back)
    class_names: tuple[str, ...]
    crops: tuple[CropChange, ...] = ()  # the picture the encoder saw, from each frame on
    solid: np.ndarray | None = None  # (T,) bool: the encoder saw one flat colour (a fade's black)
    final: np.ndarray | None = None  # (T,) int64 the written labels

    @classmethod
    def checked(
        cls,
        frame_indices: np.ndarray | Sequence[int],
        pts_s: np.ndarray | Sequence[float],
        probs: np.ndarray,
        class_names: Sequence[str],
        labels: np.ndarray | Sequence[int] | None = None,
        fps: float | None = None,
    ) -> LabelTrack:
        """A track from plain arrays, validated: ValueError names the mismatch (a caller's bug,
        not a user error)."""
        frames = np.asarray(frame_indices)
        times = np.asarray(pts_s, dtype=np.float64)
        p = np.asarray(probs, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != len(class_names):
            raise ValueError(
                f"probs must be (T, C={len(class_names)}) for {len(class_names)} class names, "
                f"got shape {p.shape}"
            )
        n = p.shape[0]
        if frames.shape != (n,) or times.shape != (n,):
            raise ValueError(
                f"frame_indices and pts_s must be ({n},) like probs' rows, got {frames.shape} "
                f"and {times.shape}"
            )
        if n and not np.issubdtype(frames.dtype, np.integer):
            raise ValueError(f"frame_indices must be integers, got dtype {frames.dtype}")
        final = None if labels is None else _checked_labels(np.asarray(labels), n, p.shape[1])
        names = tuple(class_names)
        return cls(frames.astype(np.int64), times, p, fps, names, final=final)

    def __len__(self) -> int:
        return len(self.frame_indices)

    @property
    def argmax(self) -> np.ndarray:
        """(T,) int64 the model's top class per row."""
        return self.probs.argmax(1) if len(self.probs) else np.zeros(0, dtype=np.int64)

    @property
    def labels(self) -> np.ndarray:
        """(T,) int64 the written labels: `final`, else the argmax."""
        return self.argmax if self.final is None else self.final

    @property
    def confidence(self) -> np.ndarray:
        """(T,) probability of the written label."""
        return self.probs[np.arange(len(self)), self.labels]

    def with_labels(self, labels: np.ndarray) -> LabelTrack:
        """The same track with `labels` as the written ones."""
        final = _checked_labels(np.asarray(labels), len(self), len(self.class_names))
        return dataclasses.replace(self, final=final)


def _checked_labels(labels: np.ndarray, rows: int, classes: int) -> np.ndarray:
    if labels.shape != (rows,):
        raise ValueError(f"labels must be ({rows},) like probs' rows, got shape {labels.shape}")
    bad_type = not np.issubdtype(labels.dtype, np.integer)
    if rows and (bad_type or labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must be class ids in [0, {classes}), got {labels.dtype} values")
    return labels.astype(np.int64)


@dataclass(frozen=True)
class SegmentRow:
    """One run of equal labels (end exclusive), as NAME.segments.csv / .json hold it, plus the
    track rows it covers.

    Rows also read like the dicts they once were (`row["label"]`), for code written so.
    """

    start_frame: int  # source frame number of the first frame
    end_frame: int  # the first frame after the run (the last frame number + 1 at the end)
    start_s: float
    end_s: float
    label: str
    mean_confidence: float  # mean probability of `label` over the run
    frames: int  # labelled rows in the run
    rows: tuple[int, int] = (0, 0)  # [first row, end row) of the track (not stored in files)

    def to_dict(self) -> dict[str, Any]:
        """The stored columns (SEGMENT_COLUMNS), in order."""
        return {key: getattr(self, key) for key in SEGMENT_COLUMNS}

    @classmethod
    def from_dict(cls, row: dict[str, Any], rows: tuple[int, int] = (0, 0)) -> SegmentRow:
        """A stored row (a segments.json entry); `frames` defaults to the row count."""
        first, end = int(rows[0]), int(rows[1])
        return cls(
            int(row["start_frame"]),
            int(row["end_frame"]),
            float(row["start_s"]),
            float(row["end_s"]),
            str(row["label"]),
            float(row["mean_confidence"]),
            int(row.get("frames", end - first)),
            (first, end),
        )

    def __getitem__(self, key: str) -> Any:
        if key not in SEGMENT_COLUMNS:
            raise KeyError(key)
        return getattr(self, key)

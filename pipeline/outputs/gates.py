"""`NAME.gates.csv`: the LSTM's gate activity, one row per input frame (written by `label --gates`).

Columns (the first six are fixed; readers such as the HTML report rely on them):

    frame,pts_s,forget,input,output,cell_norm,cell_change,top_units,top_forget_delta

`frame` is the decoded-frame index the cell read at that step and `pts_s` its time; `forget`,
`input`, `output` are mean gate activations over the units of the traced layer (0..1);
`cell_norm` is the L2 norm of its cell state after the step and `cell_change` the mean absolute
change of that state from the previous frame (over units); `top_units` lists the k unit ids
whose forget gate changed most since the previous frame, `;`-joined, largest change first (empty
on a video's first frame), and `top_forget_delta` their signed changes f_t - f_{t-1}, in the same
order. See `pipeline.models.gate_trace` for how the numbers are computed.

Rows are written chunk by chunk as labeling goes (memory does not grow with the video) into a
temp file that is renamed only when the video is complete (`atomic_output`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np

from pipeline.core.gates import MEAN_COLUMNS, GateTrace
from pipeline.io.atomic import atomic_output

GATE_COLUMNS = ("frame", "pts_s", *MEAN_COLUMNS)
EXTRA_COLUMNS = ("cell_change", "top_units", "top_forget_delta")
_DECIMALS = 6


class GatesWriter:
    """Context manager writing one video's gates.csv atomically, a chunk at a time.

    Args:
        path: the final file name (conventionally `OUT/NAME.gates.csv`).
        overwrite: replace an existing file (otherwise OutputExistsError, before any work).
    """

    def __init__(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        self.path, self.overwrite = Path(path), overwrite
        self._ctx = None
        self._fh: IO[str] | None = None

    def __enter__(self) -> GatesWriter:
        self._ctx = atomic_output(self.path, overwrite=self.overwrite)
        self._fh = self._ctx.__enter__()
        self._fh.write(",".join(GATE_COLUMNS + EXTRA_COLUMNS) + "\n")
        return self

    def write(self, frame_indices: np.ndarray, pts_s: np.ndarray, trace: GateTrace) -> None:
        """Append one chunk: `frame_indices` and `pts_s` (T,) of the frames the trace's rows read."""
        frames, times = np.asarray(frame_indices), np.asarray(pts_s, dtype=np.float64)
        if not len(frames) == len(times) == len(trace):
            raise ValueError(
                f"gates chunk: {len(frames)} frame indices, {len(times)} pts, {len(trace)} trace "
                "rows; expected one of each per input frame"
            )
        d = _DECIMALS
        lines = []
        for t in range(len(trace)):
            units = trace.top_units[t]
            chosen = units >= 0
            ids = ";".join(str(int(u)) for u in units[chosen])
            deltas = ";".join(f"{v:.{d}f}" for v in trace.top_forget_delta[t][chosen])
            lines.append(
                f"{int(frames[t])},{times[t]:.{d}f},{trace.forget[t]:.{d}f},"
                f"{trace.input[t]:.{d}f},{trace.output[t]:.{d}f},{trace.cell_norm[t]:.{d}f},"
                f"{trace.cell_change[t]:.{d}f},{ids},{deltas}\n"
            )
        self._fh.write("".join(lines))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self._ctx.__exit__(exc_type, exc, tb)


def write_gates_csv(
    path: str | os.PathLike[str],
    frame_indices: np.ndarray,
    pts_s: np.ndarray,
    trace: GateTrace,
    overwrite: bool = False,
) -> Path:
    """One video's whole trace in one call; returns the path written."""
    with GatesWriter(path, overwrite=overwrite) as writer:
        writer.write(frame_indices, pts_s, trace)
    return Path(path)


def read_gates_csv(path: str | os.PathLike[str]) -> GateTrace:
    """A gates.csv as the `GateTrace` it was written from, with its `frames` and `pts_s`:
    `top_units` (T, k) is -1 and `top_forget_delta` NaN where a row lists fewer units; a
    file without the extra columns reads NaN for `cell_change`. ValueError when the header
    or a row is not this format's."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ())[: len(GATE_COLUMNS)] != GATE_COLUMNS:
            raise ValueError(
                f"{path}: header {reader.fieldnames} does not start with {','.join(GATE_COLUMNS)}"
            )
        rows = list(reader)
    columns = {c: np.array([float(r[c]) for r in rows]) for c in GATE_COLUMNS[1:]}
    units = [[int(u) for u in (r.get("top_units") or "").split(";") if u] for r in rows]
    deltas = [[float(v) for v in (r.get("top_forget_delta") or "").split(";") if v] for r in rows]
    k = max((len(u) for u in units), default=0)
    top_units = np.full((len(rows), k), -1, dtype=np.int64)
    top_delta = np.full((len(rows), k), np.nan)
    for t, (u, v) in enumerate(zip(units, deltas, strict=True)):
        top_units[t, : len(u)] = u
        top_delta[t, : len(v)] = v
    return GateTrace(
        **{name: columns[name] for name in MEAN_COLUMNS},
        cell_change=np.array([float(r.get("cell_change") or "nan") for r in rows]),
        top_units=top_units,
        top_forget_delta=top_delta,
        frames=np.array([int(r["frame"]) for r in rows], dtype=np.int64),
        pts_s=columns["pts_s"],
    )

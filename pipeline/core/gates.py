"""`GateTrace`: an LSTM's gate activity per frame, as the tracer computes it, `NAME.gates.csv`
stores it and the report draws it (see pipeline.models.gate_trace for how it is computed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the per-frame means the report draws, in the order gates.csv stores them
MEAN_COLUMNS = ("forget", "input", "output", "cell_norm")


@dataclass
class GateTrace:
    """Per-frame gate summaries, row t = the t-th frame the cell read."""

    forget: np.ndarray  # (T,) mean forget gate over units
    input: np.ndarray  # (T,) mean input gate
    output: np.ndarray  # (T,) mean output gate
    cell_norm: np.ndarray  # (T,) ||C_t||_2 over units
    cell_change: np.ndarray  # (T,) mean |C_t - C_{t-1}| over units (C before a video: zeros)
    top_units: np.ndarray  # (T, k) unit ids, largest |f_t - f_{t-1}| first; -1: none
    top_forget_delta: np.ndarray  # (T, k) f_t - f_{t-1} of those units (NaN where no unit)
    # (H,) the last forget vector: the next chunk's "previous" (a traced chunk only)
    last_forget: np.ndarray | None = None
    frames: np.ndarray | None = None  # (T,) int64 source frame of each row (a read file only)
    pts_s: np.ndarray | None = None  # (T,) float64 its time (a read file only)

    def __len__(self) -> int:
        return len(self.forget)

    def means(self) -> dict[str, np.ndarray]:
        """The mean gates and the cell norm by name (MEAN_COLUMNS)."""
        return {name: getattr(self, name) for name in MEAN_COLUMNS}

    @classmethod
    def concat(cls, traces: list[GateTrace]) -> GateTrace:
        """The traces of consecutive chunks as one."""
        fields = ("forget", "input", "output", "cell_norm", "cell_change", "top_units")
        fields += ("top_forget_delta",)
        joined = {k: np.concatenate([getattr(t, k) for t in traces]) for k in fields}
        return cls(**joined, last_forget=traces[-1].last_forget)

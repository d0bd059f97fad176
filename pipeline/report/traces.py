"""Per-frame traces shrunk to what a page can draw: at most `MAX_POINTS` buckets per trace.

A 10-minute video at 25 fps has 15,000 rows; a timeline is ~1,000 pixels wide, so one bucket
per pixel loses nothing visible. Each bucket keeps the statistic that matters for its trace:
the *maximum* of a class probability (a one-frame cut still reaches 1.0), the *minimum* of the
confidence (a one-frame dip still shows), the mean of a gate. Values are rounded to 3 decimals
(the page is 100-odd pixels tall) to keep the embedded JSON small.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_POINTS = 1000
DECIMALS = 3


def bucket_starts(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """First row of each of min(n, max_points) near-equal buckets over n rows."""
    buckets = min(n, max_points)
    return np.unique(np.linspace(0, n, buckets, endpoint=False).astype(np.int64))


def reduce_buckets(
    values: np.ndarray, starts: np.ndarray, ufunc: Callable = np.maximum
) -> np.ndarray:
    """`ufunc` (np.maximum / np.minimum / np.add) over each bucket of the (T,) `values`."""
    if len(values) == 0:
        return np.zeros(0)
    return ufunc.reduceat(values.astype(np.float64), starts)


def bucket_means(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean of each bucket of the (T,) `values`."""
    if len(values) == 0:
        return np.zeros(0)
    counts = np.diff(np.append(starts, len(values)))
    return np.add.reduceat(values.astype(np.float64), starts) / counts


def rounded(values: np.ndarray, decimals: int = DECIMALS) -> list[float]:
    """JSON-ready list of finite values (non-finite ones become 0)."""
    clean = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.round(clean, decimals).tolist()


def track_traces(
    media_s: np.ndarray, confidence: np.ndarray, probs: np.ndarray, max_points: int = MAX_POINTS
) -> dict[str, list]:
    """{"t": bucket start times, "conf": min confidence, "probs": [max p per class]}."""
    starts = bucket_starts(len(media_s), max_points)
    return {
        "t": rounded(media_s[starts]),
        "conf": rounded(reduce_buckets(confidence, starts, np.minimum)),
        "probs": [rounded(reduce_buckets(probs[:, k], starts)) for k in range(probs.shape[1])],
    }


def gate_traces(
    media_s: np.ndarray, values: dict[str, np.ndarray], max_points: int = MAX_POINTS
) -> dict[str, list]:
    """{"t": bucket start times, NAME: mean per bucket, NAME_lo/NAME_hi: min/max per bucket}."""
    starts = bucket_starts(len(media_s), max_points)
    out: dict[str, list] = {"t": rounded(media_s[starts])}
    for name, v in values.items():
        out[name] = rounded(bucket_means(v, starts))
        if len(starts) < len(v):  # a band only where buckets hold several rows
            out[f"{name}_lo"] = rounded(reduce_buckets(v, starts, np.minimum))
            out[f"{name}_hi"] = rounded(reduce_buckets(v, starts, np.maximum))
    return out

"""`NAME.metrics.json`: scores of one video against `label --gt`, written and read here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.errors import AnnotationError
from pipeline.io.atomic import atomic_output


def write_metrics_json(
    path: str | os.PathLike[str],
    video: str,
    frames: int,
    metrics: dict[str, float | None],
    *,
    overwrite: bool = False,
) -> Path:
    """`{"video", "frames", <metric>: value...}`; None where a metric is undefined."""
    with atomic_output(path, overwrite=overwrite, mode="w") as fh:
        json.dump({"video": video, "frames": frames, **metrics}, fh, indent=2)
    return Path(path)


def read_metrics_json(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The scores, None when the file is absent; AnnotationError when it is not JSON."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(
            f"{path} is not valid JSON ({exc}); re-run framelabel label to rewrite it"
        ) from exc

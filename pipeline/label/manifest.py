"""`OUT/manifest.jsonl`: what a batch did to each input, so a re-run does only what is missing.

One JSON object per line, appended with a single write (atomic for a line on a local file
system, so ranks and processes sharing an output folder never interleave): `started` when an
input's work begins, then `done` (with its outputs, frames and seconds) or `failed` (with the
error line). The last record of an input is its status. A run killed part way leaves a
`started` record: its leftover outputs are known to be ours and are replaced on the re-run.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.errors import OutputNotWritableError

MANIFEST = "manifest.jsonl"
DONE, FAILED, STARTED = "done", "failed", "started"


@dataclass(frozen=True)
class Record:
    input: str
    name: str
    status: str
    outputs: list[str] = field(default_factory=list)
    frames: int | None = None
    seconds: float | None = None
    error: str | None = None
    rank: int = 0
    time: float = field(default_factory=time.time)


class Manifest:
    """The manifest of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST

    def last_records(self) -> dict[str, Record]:
        """The latest record of every input (unreadable lines, e.g. cut by a crash, skipped)."""
        latest: dict[str, Record] = {}
        if not self.path.exists():
            return latest
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = Record(**json.loads(line))
            except (ValueError, TypeError):
                continue
            latest[record.input] = record
        return latest

    def append(self, record: Record) -> None:
        line = (json.dumps(asdict(record)) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)  # one write: lines from several processes never interleave
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as err:
            raise OutputNotWritableError(
                f"cannot append to {self.path} ({err.strerror or err}); expected a writable "
                "output folder with free space"
            ) from err


def is_finished(record: Record | None) -> bool:
    """Done, and every output it listed is still there."""
    return (
        record is not None
        and record.status == DONE
        and all(Path(p).exists() for p in record.outputs)
    )

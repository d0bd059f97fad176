"""A batch of inputs through one loaded model: resumable, shardable, one summary.

Each process of a job takes its deterministic shard of the input list (pipeline.distributed),
skips the inputs the output folder's manifest records as done, locks each input's outputs while
it writes them, and records what happened. Rank 0 prints the batch summary once.
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.distributed import ProcessGroup, gather
from pipeline.errors import FramelabelError
from pipeline.io.locks import OutputBusyError, clear_stale_lock, output_lock
from pipeline.label_job import LabelJob
from pipeline.label_outputs import LabelResult
from pipeline.manifest import DONE, FAILED, STARTED, Manifest, Record, is_finished


@dataclass
class BatchCounts:
    labelled: int = 0
    failed: int = 0
    skipped: int = 0  # done by an earlier run (or being done by another process)
    errors: list[str] = field(default_factory=list)

    def add(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(
            self.labelled + other.labelled,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.errors + other.errors,
        )


def _label_one(
    job: LabelJob, manifest: Manifest, source: str, name: str, rank: int, previous: Record | None
) -> LabelResult:
    leftovers = previous is not None and previous.status in (STARTED, FAILED)
    if leftovers:  # temp files of a killed writer of this input (we hold its lock now)
        for stale in manifest.path.parent.glob(f".{glob.escape(name)}.*.part*"):
            stale.unlink(missing_ok=True)
    manifest.append(Record(source, name, STARTED, rank=rank))
    try:
        result = job.run(source, name, replace_leftovers=leftovers)
    except FramelabelError as err:
        manifest.append(Record(source, name, FAILED, error=str(err), rank=rank))
        raise
    outputs = [str(p) for p in result.outputs]
    done = Record(source, name, DONE, outputs, result.frames, round(result.seconds, 3), rank=rank)
    manifest.append(done)
    return result


def label_batch(
    job: LabelJob,
    sources: list[tuple[str, str]],
    group: ProcessGroup,
    report: Callable[[LabelResult], None],
) -> BatchCounts:
    """Label this rank's share of `sources` ((input, output name) pairs); every rank's counts
    added up (the same on every rank)."""
    out_dir = job.options.out_dir
    manifest = Manifest(out_dir)
    previous = manifest.last_records()
    counts = BatchCounts()
    for source, name in group.share(sources):
        if not job.options.overwrite and is_finished(previous.get(source)):
            counts.skipped += 1
            clear_stale_lock(out_dir, name)
            continue
        try:
            with output_lock(out_dir, name):
                report(_label_one(job, manifest, source, name, group.rank, previous.get(source)))
            counts.labelled += 1
        except OutputBusyError as err:
            counts.skipped += 1
            print(f"framelabel label: {source}: {err}", file=sys.stderr)
        except FramelabelError as err:
            counts.failed += 1
            counts.errors.append(f"framelabel label: {source}: {err}")
            print(counts.errors[-1], file=sys.stderr)
    total = BatchCounts()
    for part in gather(group, counts):
        total = total.add(part)
    return total

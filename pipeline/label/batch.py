"""A batch of inputs through one loaded model: resumable, shardable, one summary.

`label_inputs` is the whole `label` command as a library call: open the job (the first
input decoding while the model loads), label this rank's share, write the reports. `open_job`
is its first step, which `label_video` uses for its one input.

Each process of a job takes its deterministic shard of the input list (pipeline.distributed),
skips the inputs the output folder's manifest records as done, locks each input's outputs while
it writes them, and records what happened. Rank 0 prints the batch summary once.
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import distributed
from pipeline.checkpoint.bundled import default_model_path
from pipeline.distributed import ProcessGroup, gather
from pipeline.errors import ConfigError, FramelabelError
from pipeline.io.atomic import check_output_dir
from pipeline.io.locks import OutputBusyError, clear_stale_lock, output_lock
from pipeline.label.job import LabelJob, load_job
from pipeline.label.manifest import DONE, FAILED, STARTED, Manifest, Record, is_finished
from pipeline.label.options import LabelOptions
from pipeline.label.plan import prefetch_first_input
from pipeline.label.results import LabelResult
from pipeline.outputs.layout import output_name


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


@dataclass(frozen=True)
class BatchRun:
    """What one `label_inputs` call did, for its caller to report."""

    counts: BatchCounts  # every rank's, added up
    inputs: int  # sources in the whole batch
    world: int  # processes that shared it
    is_main: bool  # this process is rank 0 (it prints the summary and writes the index)
    reports: list[Path] = field(default_factory=list)  # report pages, index.html last


def open_job(options: LabelOptions, sources: list[str]) -> LabelJob:
    """The model of `options` loaded for `sources`, the first of them already decoding while
    torch and the model load (about a second on a small CPU). Close it when done."""
    worker = prefetch_first_input(options, sources, options.model or default_model_path())
    try:
        return load_job(options, worker)
    except BaseException:
        if worker is not None:
            worker.close()
        raise


def label_inputs(
    options: LabelOptions,
    sources: list[str],
    on_result: Callable[[LabelResult], None] | None = None,
) -> BatchRun:
    """Label every source into `options.out_dir` (this rank's share of them, under a
    distributed launcher), skipping those already done there; `on_result` sees each result
    as it is written. A failed input is counted, not raised: the others still run."""
    check_output_dir(options.out_dir)
    if options.gt and len(sources) != 1:
        raise ConfigError(f"--gt annotates one video, but {len(sources)} inputs were given")
    job = open_job(options, sources)
    group = distributed.join()
    try:
        named = [(source, output_name(source)) for source in sources]
        counts = label_batch(job, named, group, on_result or (lambda _result: None))
    finally:
        job.close()
        distributed.leave(group)
    run = BatchRun(counts, len(sources), group.world, group.is_main)
    if group.is_main and options.report and counts.labelled + counts.skipped:
        from pipeline.report import write_reports

        run.reports.extend(write_reports(options.out_dir, options.gt))
    return run

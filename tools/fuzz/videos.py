"""Damaged and hostile video inputs through `framelabel info --count` and `framelabel label`.

Invariants: never a traceback (exit code 0 or 1, each error one line on stderr starting with
`framelabel`), never past a per-file time bound, no output under a final name for an input
that failed and no temp file left behind, every other input still labelled, memory bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pipeline
from pipeline.outputs.layout import ALWAYS_WRITTEN, LABEL_OUTPUTS
from tools.fuzz.mutations import mutate
from tools.fuzz.report import FuzzReport, message_problem, noise_lines, run_cli
from tools.fuzz.seeds import png_bytes

INFO_BOUND_S = 30.0  # one tiny file, decoded to the end, on a loaded 2-core machine
LABEL_BOUND_S = 30.0  # per input of a label batch (the model loads once per batch)
STARTUP_S = 90.0  # a fresh process importing torch on a loaded machine
MAX_RSS_MB = 4096  # a subprocess labelling tiny files has no reason to grow past this


@dataclass(frozen=True)
class VideoCase:
    path: Path
    how: str  # the mutation or the kind of hostile file

    @property
    def name(self) -> str:
        return f"{self.path.name} ({self.how})"


def make_cases(
    seeds: list[Path], folder: Path, rng: np.random.Generator, n: int
) -> list[VideoCase]:
    """`n` mutated copies of the seeds, each with a unique stem, plus the seeds themselves."""
    folder.mkdir(parents=True, exist_ok=True)
    blobs = [p.read_bytes() for p in seeds]
    cases = [VideoCase(p, "seed") for p in seeds]
    for i in range(n):
        k = int(rng.integers(0, len(seeds)))
        data, how = mutate(blobs[k], rng, blobs[int(rng.integers(0, len(seeds)))])
        path = folder / f"m{i:04d}_{seeds[k].stem}{seeds[k].suffix}"
        path.write_bytes(data)
        cases.append(VideoCase(path, f"{how} of {seeds[k].name}"))
    return cases


def hostile_cases(folder: Path, good: Path) -> list[VideoCase]:
    """Files that are not videos, or not files, under video names."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "empty.mp4": b"",
        "text.mp4": b"this is not a video\n" * 20,
        "image.mp4": png_bytes(),
        "one_byte.mkv": b"\x1a",
    }
    cases = []
    for name, data in made.items():
        (folder / name).write_bytes(data)
        cases.append(VideoCase(folder / name, name.split(".")[0]))
    (folder / "folder.mp4").mkdir(exist_ok=True)
    links = {"link.mp4": good.resolve(), "dangling.mp4": folder / "nowhere.mp4"}
    for name, target in links.items():
        if not (folder / name).is_symlink():
            (folder / name).symlink_to(target)
    cases += [VideoCase(folder / "folder.mp4", "folder")]
    cases += [VideoCase(folder / name, name.split(".")[0]) for name in links]
    fifo = folder / "fifo.mp4"
    if hasattr(os, "mkfifo") and not fifo.exists():
        os.mkfifo(fifo)  # opening it for reading would block forever
    if fifo.exists():
        cases.append(VideoCase(fifo, "fifo"))
    return cases


def check_info(cases: list[VideoCase], report: FuzzReport) -> dict[Path, int | None]:
    """`framelabel info --count` on each case in-process; returns frames (None: failed)."""
    frames: dict[Path, int | None] = {}
    for case in cases:
        report.tried["info"] += 1
        run = run_cli(["info", "--count", str(case.path)], INFO_BOUND_S)
        frames[case.path] = None
        problem = _cli_problem(run.code, run.err, run.exc)
        errors = [ln for ln in run.err.splitlines() if ln.startswith("framelabel")]
        lines = [ln for ln in run.out.splitlines() if ln.strip()]
        if problem is None and run.code == 0:
            if len(lines) != 1 or errors:
                problem = f"exit 0 with {len(lines)} JSON lines and errors {errors}"
            else:
                frames[case.path] = json.loads(lines[0])["frames"]
                if not frames[case.path]:
                    problem = f"exit 0 but {frames[case.path]!r} frames: {lines[0]}"
        elif problem is None:
            problem = _one_error(errors, lines, str(case.path))
        if problem:
            report.add("info", case.name, problem)
    return frames


def _cli_problem(code: int | None, err: str, exc: BaseException | None) -> str | None:
    if exc is not None:
        return f"raised {type(exc).__name__}: {str(exc)[:300]}"
    if code not in (0, 1):
        return f"exit code {code}"
    noise = noise_lines(err)
    return f"traceback or raw warning on stderr: {noise[:3]}" if noise else None


def _one_error(errors: list[str], out_lines: list[str], name: str) -> str | None:
    if len(errors) != 1 or out_lines:
        return f"exit 1 with errors {errors[:3]} and output {out_lines[:2]}"
    return message_problem(errors[0])


def check_label_batch(
    cases: list[VideoCase], out_dir: Path, report: FuzzReport, video: bool = True
) -> dict[Path, bool]:
    """One in-process `framelabel label` batch over every case; returns which succeeded.
    Folders are left out: `label` takes a folder as the videos inside it."""
    cases = [c for c in cases if not c.path.is_dir()]
    argv = ["label", *(str(c.path) for c in cases), "--out", str(out_dir), "--quiet"]
    run = run_cli([*argv, *([] if video else ["--no-video"])], 60 + LABEL_BOUND_S * len(cases))
    report.tried["label"] += len(cases)
    problem = _cli_problem(run.code, run.err, run.exc)
    if problem:
        report.add("label", f"batch of {len(cases)}", problem)
        return {}
    return _check_label_outputs(cases, out_dir, run.err, report, video)


def _check_label_outputs(
    cases: list[VideoCase], out_dir: Path, err: str, report: FuzzReport, video: bool
) -> dict[Path, bool]:
    ok: dict[Path, bool] = {}
    finals = {p.name for p in out_dir.iterdir()} if out_dir.is_dir() else set()
    temps = [name for name in finals if name.startswith(".")]
    if temps:
        report.add("label", "output folder", f"temp files left behind: {temps[:5]}")
    suffixes = [LABEL_OUTPUTS[kind] for kind in ALWAYS_WRITTEN]
    suffixes += [LABEL_OUTPUTS["video"]] if video else []
    for case in cases:
        prefix = f"framelabel label: {case.path}: "
        errors = [ln for ln in err.splitlines() if ln.startswith(prefix)]
        written = sorted(n for n in finals if n.startswith(f"{case.path.stem}."))
        ok[case.path] = not errors
        if len(errors) > 1:
            report.add("label", case.name, f"{len(errors)} error lines: {errors[:2]}")
        elif errors:
            problem = message_problem(errors[0])
            if written:
                problem = f"failed ({errors[0][:200]}) yet wrote {written}"
            if problem:
                report.add("label", case.name, problem)
        elif written != sorted(case.path.stem + s for s in suffixes):
            report.add("label", case.name, f"no error line, but outputs are {written}")
    return ok


def check_consistent(
    cases: list[VideoCase], frames: dict[Path, int | None], labelled: dict[Path, bool], report
) -> None:
    """An input `info --count` decodes is one `label` labels too, and the other way round."""
    for case in cases:
        if case.path in labelled and (frames.get(case.path) is not None) != labelled[case.path]:
            report.add(
                "consistency",
                case.name,
                f"info --count gave {frames.get(case.path)!r} frames, label "
                f"{'succeeded' if labelled[case.path] else 'failed'}",
            )


def check_subprocess(
    argv: list[str], cases: list[VideoCase], report: FuzzReport, per_case_s: float
) -> None:
    """The same command in a fresh process: catches hangs, crashes and memory growth."""
    check = f"subprocess {argv[0]}"
    report.tried[check] += len(cases)
    result = run_subprocess(
        [*argv, *(str(c.path) for c in cases)], STARTUP_S + per_case_s * len(cases)
    )
    problem = result.problem()
    if problem:
        report.add(check, f"{len(cases)} inputs", problem)


@dataclass
class ProcessResult:
    code: int | None  # None: killed at the time bound
    err: str
    out: str
    max_rss_mb: float
    seconds: float

    def problem(self) -> str | None:
        if self.code is None:
            return f"hung: killed after {self.seconds:.0f} s"
        if self.code < 0:
            return f"killed by signal {-self.code} after {self.seconds:.0f} s"
        if self.max_rss_mb > MAX_RSS_MB:
            return f"peak memory {self.max_rss_mb:.0f} MB"
        return _cli_problem(self.code, self.err, None)


def run_subprocess(
    argv: list[str],
    bound_s: float,
    extra_env: dict | None = None,
    kill_when: Callable[[], bool] | None = None,
) -> ProcessResult:
    """`python -m pipeline.cli ARGV` in its own session; SIGKILLed (code None) at `bound_s`,
    or as soon as `kill_when()` is true (a crash at a chosen moment). Its peak memory comes
    from wait4, so other children of this process do not count."""
    import tempfile

    env = {**os.environ, "PYTHONPATH": str(Path(pipeline.__file__).parent.parent)}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "pipeline.cli", *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, start_new_session=True)
        code, rss_kib = None, 0
        while time.monotonic() - started < bound_s:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code, rss_kib = os.waitstatus_to_exitcode(status), usage.ru_maxrss
                break
            if kill_when is not None and kill_when():
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
        proc.returncode = code if code is not None else -9  # reaped here, not by Popen
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return ProcessResult(
            code,
            err.read().decode(errors="replace"),
            out.read().decode(errors="replace"),
            rss_kib / 1024,
            seconds,
        )

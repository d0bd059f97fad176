"""What a fuzz run found: cases tried and the invariant each failure broke."""

from __future__ import annotations

import contextlib
import io
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_MESSAGE_CHARS = 2000  # an error is one line a person reads, not a data dump
# Lines that must never reach a user: Python tracebacks, warnings and uncaught exceptions.
_NOISE = re.compile(r"Traceback \(most recent call last\)|^\s+File \"|\w+Warning: |^\w+Error: ")


@dataclass
class Failure:
    """One broken invariant: which checker, on which case, and what it saw."""

    check: str
    case: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.case}: {self.detail[:400]}"


@dataclass
class FuzzReport:
    tried: Counter = field(default_factory=Counter)  # cases per checker
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, check: str, case: str, detail: str) -> None:
        self.failures.append(Failure(check, case, detail))

    def merge(self, other: FuzzReport) -> None:
        self.tried.update(other.tried)
        self.failures += other.failures
        self.seconds += other.seconds

    @property
    def total(self) -> int:
        return sum(self.tried.values())

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.tried.items()))
        return (
            f"fuzz: {self.total} cases tried ({parts}) in {self.seconds:.0f} s, "
            f"{len(self.failures)} failures"
        )


def noise_lines(text: str) -> list[str]:
    """Lines of `text` that look like a traceback or a raw Python warning."""
    return [line for line in text.splitlines() if _NOISE.search(line)]


def message_problem(message: str, must_name: str | None = None) -> str | None:
    """Why an error message is not one readable line naming its file (None when it is)."""
    if "\n" in message.strip():
        return f"message spans several lines: {message[:300]!r}"
    if len(message) > MAX_MESSAGE_CHARS:
        return f"message is {len(message)} characters long"
    if must_name is not None and must_name not in message:
        return f"message does not name {must_name!r}: {message[:300]!r}"
    return None


class CaseTimeout(BaseException):
    """Raised in the main thread when one in-process case runs past its time bound."""


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise CaseTimeout after `seconds` (main thread only; elsewhere no bound is set)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise CaseTimeout(f"ran past {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class CliRun:
    """One in-process `framelabel` call: exit code, captured output, exception, seconds."""

    code: int | None
    out: str
    err: str
    exc: BaseException | None
    seconds: float


def run_cli(argv: list[str], bound_s: float) -> CliRun:
    """`pipeline.cli.main(argv)` with stdout/stderr captured and a time bound."""
    from pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code, exc = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with time_bound(bound_s):
                code = main(argv)
    except (Exception, CaseTimeout, SystemExit) as caught:  # noqa: B902 - recorded, not hidden
        exc = caught
    finally:
        sys.stdout.flush()
    return CliRun(code, out.getvalue(), err.getvalue(), exc, time.perf_counter() - started)

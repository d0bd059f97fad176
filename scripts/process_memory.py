"""Wall time and peak memory of a command together with every process it starts (Linux).

`label --no-video` decodes in a worker process, so the peak of one process (wait4's
ru_maxrss) understates what the command holds. Here the resident set sizes of the command and
all of its descendants are summed every few milliseconds from /proc and the largest sum kept.

    from process_memory import run_measured
    wall_s, peak_mb = run_measured(["framelabel", "label", ...])
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process now running."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the command name, in parentheses, may hold spaces: split after its last ")"
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> int:
    """Resident bytes of `root` and all of its descendants now."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_bytes(pid)
        todo += tree.get(pid, [])
    return total


def run_measured(command: list[str], interval_s: float = 0.1, **popen) -> tuple[float, float]:
    """(wall seconds, peak MB of the whole process tree) of `command`; SystemExit if it fails.
    A sample costs a few ms of one core; the wall time is taken the moment the command ends."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, **popen)
    peak = 0
    while True:
        peak = max(peak, tree_rss_bytes(process.pid))
        try:
            process.wait(timeout=interval_s)
            break
        except subprocess.TimeoutExpired:
            continue
    wall = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with status {process.returncode}")
    return wall, peak / 2**20

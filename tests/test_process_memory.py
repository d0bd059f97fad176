"""The benchmarks' memory figure counts the processes a command starts, not just the command."""

from __future__ import annotations

import sys

from tests.script_loader import load_script

process_memory = load_script("process_memory", "scripts/process_memory.py")

# a parent that holds ~50 MB and starts a child that holds ~200 MB, both alive at once
HOLD = "import time; b = bytearray({mb} << 20); b[::4096] = b'x' * len(b[::4096]); {then}"
CHILD = HOLD.format(mb=200, then="time.sleep(1.5)")
PARENT = HOLD.format(
    mb=50, then=f"import subprocess, sys; subprocess.run([sys.executable, '-c', {CHILD!r}])"
)


def test_peak_memory_sums_the_command_and_its_children():
    wall, peak_mb = process_memory.run_measured([sys.executable, "-c", PARENT], interval_s=0.05)
    assert wall > 1.5
    assert peak_mb > 250  # either process alone holds less
    assert peak_mb < 400

"""Runs `framelabel label` in-process under hostile conditions and prints one JSON line each.

    python -m tests.reliability.hostile_driver VIDEO SCENARIO=OUT_DIR ...

Scenarios: `readonly` (OUT_DIR on a read-only mount), `nospace` (OUT_DIR on a tiny full
filesystem), `fsize` (a file-size limit: RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail
with EFBIG instead of killing the process). Mounts are made by the caller (in a private
mount namespace); the limit is set here, last, as it stays for the rest of the process.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import signal
import sys

FSIZE_LIMIT_BYTES = 48 * 1024


def run(video: str, scenario: str, out_dir: str) -> dict:
    from pipeline.cli import main

    if scenario == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT_BYTES, resource.RLIM_INFINITY))
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["label", video, "--out", out_dir, "--quiet"])
    except BaseException as exc:  # noqa: B036 - reported to the test, which fails on it
        code = f"raised {type(exc).__name__}: {exc}"
    return {"scenario": scenario, "code": code, "err": err.getvalue()}


if __name__ == "__main__":
    video, *scenarios = sys.argv[1:]
    for item in sorted(scenarios, key=lambda s: s.startswith("fsize")):  # the limit goes last
        name, out_dir = item.split("=", 1)
        print(json.dumps(run(video, name, out_dir)), flush=True)

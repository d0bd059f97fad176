"""Fuzz framelabel's readers for a while: damaged videos, annotations, checkpoints, the cache.

    python scripts/fuzz.py --minutes 15 --workdir /tmp/framelabel-fuzz

Prints each failure (the broken invariant and the case) and, at the end, the cases tried and
the failures found. Rounds with failures keep their inputs under WORKDIR/roundN to reproduce.
Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.fuzz import RoundSizes, run_for  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=1.0, help="run rounds until this has passed")
    p.add_argument("--seed", type=int, default=0, help="seed of the first round")
    p.add_argument("--workdir", type=Path, help="scratch folder (default: a temp folder)")
    p.add_argument("--videos", type=int, default=RoundSizes.videos, help="mutated videos a round")
    p.add_argument("--annotations", type=int, default=RoundSizes.annotations)
    p.add_argument("--checkpoints", type=int, default=RoundSizes.checkpoints)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    logging.getLogger().handlers[0].setLevel(logging.ERROR)  # readers warn about every damaged file
    sizes = RoundSizes(
        videos=args.videos, annotations=args.annotations, checkpoints=args.checkpoints
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="framelabel-fuzz-"))
    report = run_for(args.minutes, workdir, args.seed, sizes, log=lambda m: print(m, flush=True))
    print(report.summary())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())

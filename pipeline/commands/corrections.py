"""`framelabel corrections DATA FILE...`: put corrected labels (the report page's
NAME.corrected.csv downloads) and their videos into a dataset folder that `fit` trains on.

Each file is added independently: one that fails prints one line and the others are still
added; the exit code is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import CheckpointError, FramelabelError


def add_corrections_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="dataset folder to add to (created if missing)")
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="NAME.corrected.csv files from the report page"
    )
    p.add_argument(
        "--videos",
        type=Path,
        action="append",
        default=[],
        help="folder holding the source video NAME.* (repeatable; default: beside each FILE)",
    )
    p.add_argument(
        "--model",
        help="the checkpoint the labels came from, for the class list when DATA has no "
        "classes.txt (default: the bundled model)",
    )


def _class_names(data: Path, model: str | None) -> list[str]:
    from pipeline.checkpoint.bundled import default_model_path
    from pipeline.checkpoint.peek import peek_class_names
    from pipeline.data.annotations import read_class_names

    if model is None and ((data / "classes.txt").exists() or (data / "mapping.txt").exists()):
        return read_class_names(data)
    path = model or default_model_path()
    names = peek_class_names(path)
    if names is None:
        raise CheckpointError(f"--model {path}: no class names could be read from it")
    return names


def run_corrections(args: argparse.Namespace) -> int:
    from pipeline.data.corrections import add_correction, ensure_classes
    from pipeline.io.atomic import check_output_dir

    data = check_output_dir(args.data)
    class_names = _class_names(data, args.model)
    ensure_classes(data, class_names)
    failed = 0
    for file in args.files:
        try:
            added = add_correction(data, Path(file), args.videos, class_names)
            print(
                f"{added.name}: {added.labels} ({added.labelled_frames} of {added.frames} "
                f"frames labelled), {added.video}"
            )
        except FramelabelError as err:
            failed += 1
            print(f"framelabel corrections: {file}: {err}", file=sys.stderr)
    return 1 if failed else 0

"""The `framelabel` command.

fit / validate / test / predict go to LightningCLI (pipeline.commands.train); the other subcommands
are plain argparse. Every FramelabelError becomes one line on stderr and a non-zero exit;
`--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from pipeline.errors import FramelabelError
from pipeline.version import __version__

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framelabel",
        description="Label every frame of a video. Training: framelabel fit|validate|test|predict "
        "--config configs/NAME.yaml (LightningCLI; see framelabel fit --help).",
    )
    parser.add_argument("--version", action="version", version=f"framelabel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in LIGHTNING_COMMANDS:
        sub.add_parser(name, help=f"LightningCLI {name} (framelabel {name} --help)", add_help=False)

    info = sub.add_parser("info", help="print one JSON line of metadata per video")
    info.add_argument("videos", nargs="+", metavar="VIDEO")
    info.add_argument("--backend", default="pyav", choices=["pyav", "opencv"])
    info.add_argument("--count", action="store_true", help="decode and count the frames")

    from pipeline.commands.label import add_label_arguments

    add_label_arguments(
        sub.add_parser("label", help="label videos; write tracks and annotated video")
    )

    from pipeline.commands.extract import add_extract_arguments

    add_extract_arguments(sub.add_parser("extract", help="encode a dataset into the feature cache"))

    from pipeline.commands.report import add_report_arguments

    add_report_arguments(sub.add_parser("report", help="write an HTML report of labelled outputs"))

    from pipeline.commands.split import add_split_arguments

    add_split_arguments(sub.add_parser("split", help="write one video file per segment (per shot)"))
    from pipeline.commands.corrections import add_corrections_arguments

    add_corrections_arguments(
        sub.add_parser("corrections", help="add corrected labels and their videos to a dataset")
    )
    export = sub.add_parser(
        "export", help="strip a training checkpoint down to what labeling needs"
    )
    export.add_argument("checkpoint")
    export.add_argument("out")
    return parser


def _run_info(args: argparse.Namespace) -> int:
    from pipeline.io.info import video_info

    failed = 0
    for path in args.videos:
        try:
            info = video_info(path, backend=args.backend, count=args.count)
            print(json.dumps(info.to_json_dict()))
        except FramelabelError as err:
            print(f"framelabel info: {err}", file=sys.stderr)
            failed += 1
    return EXIT_ERROR if failed else 0


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    if args.command == "info":
        return _run_info(args)
    if args.command == "label":
        from pipeline.commands.label import run_label

        return run_label(args, argv[1:])
    if args.command == "extract":
        from pipeline.commands.extract import run_extract

        return run_extract(args)
    if args.command == "report":
        from pipeline.commands.report import run_report

        return run_report(args)
    if args.command == "split":
        from pipeline.commands.split import run_split

        return run_split(args)
    if args.command == "corrections":
        from pipeline.commands.corrections import run_corrections

        return run_corrections(args)
    if args.command == "export":
        from pipeline.checkpoint.load import export_checkpoint

        path = export_checkpoint(args.checkpoint, args.out)
        print(f"wrote {path}")
        return 0
    raise AssertionError(f"unhandled command {args.command}")  # argparse guarantees the set


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pipeline").setLevel(logging.INFO)
    # Decode/writer threads run beside torch's OpenMP pool; busy-waiting workers starve them.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        if argv and argv[0] in LIGHTNING_COMMANDS:
            from pipeline.commands.train import cli_main

            cli_main(argv)
            return 0
        parser = _build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        return _run(args, argv)
    except FramelabelError as err:
        if debug:
            raise
        print(f"framelabel: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("framelabel: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

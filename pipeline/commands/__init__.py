"""The `framelabel` subcommands, one module each: argparse -> typed options -> a library call.

Only `pipeline.cli` imports this package."""

"""`framelabel extract`: fill the feature cache ahead of training, and export the MS-TCN layout.

Takes the same data settings as `framelabel fit` — directly, or from the `data:` section of a
fit config — so the cache it fills is exactly the one `fit` will read.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import yaml

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)
_DATA_FLAGS = (
    "root", "encoder", "input_size", "weights", "fps", "stride", "backend", "cache_dir", "framing",
)  # fmt: skip


def add_extract_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", nargs="?", help="dataset folder (or data.root from --config)")
    p.add_argument("--config", help="a fit config; its data: section gives the defaults")
    p.add_argument("--encoder", help="encoder name (default efficientnet_lite0)")
    p.add_argument("--input-size", type=int, help="encoder input side in pixels")
    p.add_argument("--weights", help='"pretrained", "none" or a state dict path')
    p.add_argument("--fps", type=float, help="sample frames at this rate")
    p.add_argument("--stride", type=int, help="sample every N-th frame")
    p.add_argument("--backend", choices=["pyav", "opencv"])
    p.add_argument("--framing", choices=["full", "borders"], help="crop borders before the encoder")
    p.add_argument("--cache-dir", help="feature cache folder (default ROOT/.cache/features)")
    p.add_argument("--mstcn-out", help="also write features/, groundTruth/, mapping.txt here")


def data_settings(args: argparse.Namespace) -> dict:
    settings: dict = {}
    if args.config:
        try:
            settings = dict((yaml.safe_load(Path(args.config).read_text()) or {}).get("data") or {})
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"--config {args.config}: cannot read it as YAML ({err})") from err
    for flag in _DATA_FLAGS:
        value = getattr(args, flag)
        if value is not None:
            settings[flag] = value
    if not settings.get("root"):
        raise ConfigError("no dataset folder: pass ROOT or a --config with data.root")
    known = set(_DATA_FLAGS) | {
        "window",
        "windows_per_epoch",
        "batch_size",
        "split_ratios",
        "seed",
        "background",
    }
    return {k: v for k, v in settings.items() if k in known}


def run_extract(args: argparse.Namespace) -> int:
    """Fill the cache; under a distributed launcher every rank encodes its shard of the videos,
    then rank 0 reads them all back (from the cache) to report and export."""
    from pipeline import distributed
    from pipeline.data.datamodule import FrameDataModule

    data = FrameDataModule(**data_settings(args))
    group = distributed.join()
    try:
        data.check_annotations(list(data.videos))
        mine = group.share(sorted(data.videos))
        decoded = sum(not hit for hit in data.encode_videos(mine))
        decoded = sum(distributed.gather(group, decoded))  # also: every shard is in the cache
    finally:
        distributed.leave(group)
    if not group.is_main:
        return 0
    videos = data.all_videos()
    frames = sum(len(v.labels) for v in videos)
    print(
        f"{len(videos)} videos ({decoded} decoded now, {len(videos) - decoded} from cache), "
        f"{frames} frames encoded with {data.encoder_spec.name}@{data.encoder_spec.input_size} "
        f"-> {data.cache.cache_dir}"
    )
    if args.mstcn_out:
        data.export_mstcn(args.mstcn_out)
        print(f"MS-TCN layout written to {args.mstcn_out}")
    return 0

"""Per-video feature cache: decode + encode once per (video content, encoder, preprocessing,
sampling, backend), then every later training run reads a small .npz instead of the video.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline.core.frames import Frame
from pipeline.core.sampling import Sampling
from pipeline.data.mstcn import CORRUPT_NPY_ERRORS
from pipeline.encoders import FrameEncoder
from pipeline.io.atomic import atomic_output
from pipeline.io.base import VideoReader
from pipeline.io.framing import FRAMING_VERSION, BorderTracker, FramingSpec, decode_size
from pipeline.io.reader import open_video

log = logging.getLogger(__name__)

CACHE_VERSION = 1
EVERY_FRAME = Sampling()  # the default: every decoded frame
_FINGERPRINT_CHUNK = 1 << 20  # bytes read at the start, middle and end of a file


@dataclass
class FeatureTrack:
    """One video's encoded frames."""

    feats: np.ndarray  # (T, D) float32
    frame_indices: np.ndarray  # (T,) int64, source frame index of each row
    pts_s: np.ndarray  # (T,) float64
    meta: dict

    def __len__(self) -> int:
        return len(self.feats)


def fingerprint_file(path: str | Path) -> str:
    """Content fingerprint: size plus three 1 MiB samples. Reading whole videos would cost as
    much as decoding them; edits that keep size and all three samples identical are vanishingly rare
    for compressed video."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with path.open("rb") as f:
        for offset in (
            0,
            max(0, size // 2 - _FINGERPRINT_CHUNK // 2),
            max(0, size - _FINGERPRINT_CHUNK),
        ):
            f.seek(offset)
            digest.update(f.read(_FINGERPRINT_CHUNK))
    return digest.hexdigest()


def cache_key(
    video: str | Path,
    encoder: FrameEncoder,
    sampling: Sampling,
    backend: str,
    framing: str = "full",
) -> dict:
    """Everything that changes the features; any difference means a different cache entry."""
    # whole-frame entries keep the key they had before framing existed
    extra = {} if framing == "full" else {"framing": framing, "framing_version": FRAMING_VERSION}
    return {
        **extra,
        "version": CACHE_VERSION,
        # an encoder that changes what it computes bumps its `cache_version` (stale otherwise)
        "encoder_version": getattr(encoder, "cache_version", 1),
        "video": fingerprint_file(video),
        "encoder": encoder.spec.to_dict(),
        "preprocessing": encoder.preprocessing.to_dict(),
        "sampling": sampling.to_dict(),
        "backend": backend,
    }


class FeatureCache:
    """A folder of `NAME-KEY.npz` files, written atomically."""

    def __init__(self, cache_dir: str | Path) -> None:
        self.cache_dir = Path(cache_dir)

    def path_for(self, video: str | Path, key: dict) -> Path:
        digest = hashlib.blake2b(json.dumps(key, sort_keys=True).encode(), digest_size=8)
        return self.cache_dir / f"{Path(video).stem}-{digest.hexdigest()}.npz"

    def load(self, video: str | Path, key: dict) -> FeatureTrack | None:
        path = self.path_for(video, key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if not isinstance(meta, dict) or meta.get("key") != key:  # collision or edited
                    return None
                track = FeatureTrack(data["feats"], data["frame_indices"], data["pts_s"], meta)
            _check_track(track)
            return track
        except CORRUPT_NPY_ERRORS as err:
            # a damaged entry (a bit flip fails the zip CRC, a cut file its directory)
            log.warning("ignoring unreadable cache file %s (%s); recomputing", path, err)
            return None

    def save(self, video: str | Path, track: FeatureTrack) -> Path:
        path = self.path_for(video, track.meta["key"])
        # atomic: readers (and a killed run) see the old file or the whole new one
        with atomic_output(path, overwrite=True, mode="wb") as f:
            np.savez(
                f,
                feats=track.feats,
                frame_indices=track.frame_indices,
                pts_s=track.pts_s,
                meta=np.array(json.dumps(track.meta)),
            )
        return path


def _check_track(track: FeatureTrack) -> None:
    """ValueError unless the arrays agree: (T, D) finite float32, (T,) indices and times."""
    t = len(track.feats)
    if (
        track.feats.ndim != 2
        or track.feats.dtype != np.float32
        or track.frame_indices.shape != (t,)
        or track.pts_s.shape != (t,)
        or track.frame_indices.dtype.kind != "i"
        or track.meta.get("frames") != t
        or not np.isfinite(track.feats).all()
    ):
        raise ValueError(
            f"arrays do not match: feats {track.feats.shape} {track.feats.dtype}, "
            f"frame_indices {track.frame_indices.shape}, pts_s {track.pts_s.shape}"
        )


def framed_frames(
    reader: VideoReader, model_size: tuple[int, int], framing: str
) -> Iterator[Frame]:
    """The reader's frames, their `model_input` the encoder's input: the framed picture
    (`pipeline.io.framing`), or the frame as read when framing is off."""
    spec = FramingSpec.from_mode(framing)
    if not spec.active:
        return iter(reader)
    info = reader.info
    return BorderTracker(spec, model_size, (info.width, info.height)).reframe(reader)


def open_for_encoder(
    video: str | Path, encoder: FrameEncoder, sampling: Sampling, backend: str, framing: str
) -> VideoReader:
    """A reader of `video` at the size the encoder's input is made from (see framing)."""
    pre = encoder.preprocessing
    size = decode_size(pre.size, FramingSpec.from_mode(framing).active)
    return open_video(
        str(video), backend=backend, size=size, sampling=sampling, deblock=pre.deblock
    )


def encode_video(
    video: str | Path,
    encoder: FrameEncoder,
    sampling: Sampling = EVERY_FRAME,
    backend: str = "pyav",
    batch_size: int = 32,
    framing: str = "full",
) -> FeatureTrack:
    """Decode at the encoder's input size and encode in batches (memory: one batch of frames)."""
    feats: list[np.ndarray] = []
    indices: list[int] = []
    pts: list[float] = []
    batch: list[np.ndarray] = []
    reader = open_for_encoder(video, encoder, sampling, backend, framing)
    with reader:
        for frame in framed_frames(reader, encoder.preprocessing.size, framing):
            batch.append(frame.model_input)
            indices.append(frame.index)
            pts.append(frame.pts_s)
            if len(batch) == batch_size:
                feats.append(encoder.encode(np.stack(batch)))
                batch.clear()
        if batch:
            feats.append(encoder.encode(np.stack(batch)))
    dim = encoder.feature_dim
    return FeatureTrack(
        feats=np.concatenate(feats).astype(np.float32) if feats else np.zeros((0, dim), np.float32),
        frame_indices=np.asarray(indices, dtype=np.int64),
        pts_s=np.asarray(pts, dtype=np.float64),
        meta={},
    )


def cached_features(
    video: str | Path,
    encoder: FrameEncoder,
    cache: FeatureCache,
    sampling: Sampling = EVERY_FRAME,
    backend: str = "pyav",
    framing: str = "full",
) -> tuple[FeatureTrack, bool]:
    """Features for `video`, from the cache when its key matches. Returns (track, was_cached)."""
    key = cache_key(video, encoder, sampling, backend, framing)
    track = cache.load(video, key)
    if track is not None:
        return track, True
    log.info("decoding %s (no cached features for this encoder and sampling)", video)
    with torch.inference_mode():
        track = encode_video(video, encoder, sampling, backend, framing=framing)
    track.meta = {"key": key, "video_path": str(video), "frames": len(track)}
    cache.save(video, track)
    return track, False


def cached_frames(
    video: str | Path,
    encoder: FrameEncoder,
    cache: FeatureCache,
    sampling: Sampling = EVERY_FRAME,
    backend: str = "pyav",
    framing: str = "full",
) -> tuple[np.ndarray, FeatureTrack]:
    """Decoded frames at the encoder's input size, for end-to-end fine-tuning: (T, H, W, 3)
    uint8, memory-mapped from the cache so clips are read without holding whole datasets."""
    key = {**cache_key(video, encoder, sampling, backend, framing), "kind": "frames"}
    key.pop("encoder")  # frames depend on the preprocessing only
    path = cache.path_for(video, key).with_suffix(".frames.u8")
    meta_path = path.with_suffix(".json")
    meta = _read_meta(meta_path)
    if not _frames_entry_ok(path, meta, key, encoder.preprocessing.size):
        log.info("decoding %s (no cached frames for this preprocessing and sampling)", video)
        meta = _decode_frames_to(path, video, encoder, sampling, backend, framing)
        meta["key"] = key
        with atomic_output(meta_path, overwrite=True) as fh:  # written last: marks completion
            json.dump(meta, fh)
    width, height = encoder.preprocessing.size
    shape = (len(meta["frame_indices"]), height, width, 3)
    frames_mm = (
        np.memmap(path, dtype=np.uint8, mode="r", shape=shape)
        if shape[0]
        else np.zeros(shape, np.uint8)
    )
    track = FeatureTrack(
        feats=np.zeros((shape[0], 0), np.float32),
        frame_indices=np.asarray(meta["frame_indices"], dtype=np.int64),
        pts_s=np.asarray(meta["pts_s"], dtype=np.float64),
        meta=meta,
    )
    return frames_mm, track


def _read_meta(path: Path) -> dict | None:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _frames_entry_ok(path: Path, meta: dict | None, key: dict, size: tuple[int, int]) -> bool:
    """A frames entry is usable when its meta matches and the raw file has every byte."""
    if meta is None or meta.get("key") != key:
        return False
    try:
        count = len(meta["frame_indices"])
        complete = (
            count == len(meta["pts_s"]) and path.stat().st_size == count * size[0] * size[1] * 3
        )
    except (OSError, KeyError, TypeError):
        return False
    if not complete:
        log.warning("ignoring incomplete cached frames %s; decoding again", path)
    return complete


def _decode_frames_to(
    path: Path,
    video: str | Path,
    encoder: FrameEncoder,
    sampling: Sampling,
    backend: str,
    framing: str,
) -> dict:
    """Stream decoded frames into the raw file `path` (one frame in memory at a time)."""
    indices: list[int] = []
    pts: list[float] = []
    reader = open_for_encoder(video, encoder, sampling, backend, framing)
    with reader, atomic_output(path, overwrite=True, mode="wb") as fh:
        for frame in framed_frames(reader, encoder.preprocessing.size, framing):
            fh.write(
                np.ascontiguousarray(frame.model_input).tobytes()
            )  # (H, W, 3) uint8, row-major
            indices.append(frame.index)
            pts.append(frame.pts_s)
    return {"frame_indices": indices, "pts_s": pts}

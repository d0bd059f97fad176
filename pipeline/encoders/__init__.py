"""Frame encoders: RGB frames -> one feature vector per frame.

    encoder = build_encoder(EncoderSpec("efficientnet_lite0", input_size=160))
    feats = encoder.encode(frames_uint8_bhwc)  # (B, 1280) float32

Importing this package registers framelabel's own encoders in `ENCODERS`; torchvision and timm
models are resolved by name in `build_encoder`, importing those libraries only then.
"""

from pipeline.encoders import cues, efficientnet_lite  # noqa: F401  (registration)
from pipeline.encoders.base import EncoderSpec, FrameEncoder, Preprocessing
from pipeline.encoders.registry import (
    ENCODERS,
    available_encoders,
    build_encoder,
    register_encoder,
    resolve_encoder,
)

__all__ = [
    "ENCODERS",
    "EncoderSpec",
    "FrameEncoder",
    "Preprocessing",
    "available_encoders",
    "build_encoder",
    "register_encoder",
    "resolve_encoder",
]

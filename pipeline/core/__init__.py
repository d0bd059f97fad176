"""numpy-only values and pure functions: sampling, frames, segments, transitions, metrics.

Nothing here imports torch, PyAV or OpenCV."""

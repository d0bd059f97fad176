"""Byte-level mutations: what damaged downloads, disks and mislabelled files look like."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Mutation = Callable[[bytes, np.random.Generator, bytes], bytes]


def truncate(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Cut at a random offset (an interrupted download or copy)."""
    return data[: int(rng.integers(0, max(1, len(data))))]


def bit_flips(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Flip 1..16 random bits anywhere (a bad disk or memory)."""
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 17))):
        if buf:
            pos = int(rng.integers(0, len(buf)))
            buf[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(buf)


def header_flips(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Flip bits in the first KiB, where sizes, counts and codec parameters live."""
    buf = bytearray(data)
    head = min(len(buf), 1024)
    for _ in range(int(rng.integers(1, 9))):
        if head:
            buf[int(rng.integers(0, head))] ^= 1 << int(rng.integers(0, 8))
    return bytes(buf)


def zero_range(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Zero a run of up to a quarter of the file (a sparse hole, a lost disk block)."""
    if not data:
        return data
    length = int(rng.integers(1, max(2, len(data) // 4)))
    start = int(rng.integers(0, max(1, len(data) - length)))
    return data[:start] + bytes(length) + data[start + length :]


def duplicate_range(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Insert a copy of a random range at a random place (a botched concatenation)."""
    if not data:
        return data
    length = int(rng.integers(1, max(2, len(data) // 3)))
    start = int(rng.integers(0, max(1, len(data) - length)))
    at = int(rng.integers(0, len(data)))
    return data[:at] + data[start : start + length] + data[at:]


def swap_header(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Another file's first bytes before this file's body (a container that lies)."""
    cut = int(rng.integers(16, 4096))
    return other[:cut] + data[cut:]


def random_bytes(data: bytes, rng: np.random.Generator, other: bytes) -> bytes:
    """Noise with a video extension."""
    return rng.integers(0, 256, int(rng.integers(0, 65536)), dtype=np.uint8).tobytes()


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "bit_flips": bit_flips,
    "header_flips": header_flips,
    "zero_range": zero_range,
    "duplicate_range": duplicate_range,
    "swap_header": swap_header,
    "random_bytes": random_bytes,
}


def mutate(data: bytes, rng: np.random.Generator, other: bytes) -> tuple[bytes, str]:
    """One to three mutations in a row; returns the bytes and their names joined by '+'."""
    names = list(rng.choice(sorted(MUTATIONS), size=int(rng.integers(1, 4))))
    if "random_bytes" in names:
        names = ["random_bytes"]
    for name in names:
        data = MUTATIONS[name](data, rng, other)
    return data, "+".join(names)

"""One writer per output: an exclusive lock per input name in the output folder.

Two processes labelling into one folder (two batches, or the ranks of one) never write the
same input's files at once: the second finds it locked and moves on. The lock is an `flock`
on a hidden file, released by the kernel when its process dies (even by `kill -9`), and the
file is removed on release, so a finished folder holds no lock files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import FramelabelError


class OutputBusyError(FramelabelError):
    """Another process is writing these outputs right now."""


def _lock_path(out_dir: Path, name: str) -> Path:
    return out_dir / f".{name}.lock"


def _acquire(path: Path, name: str) -> int:
    """An fd holding the lock on `path`; retries when the file was replaced under us."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(
                f"{name}: another framelabel process is writing its outputs in {path.parent} "
                "right now; wait for it to finish, or choose another --out"
            ) from None
        try:  # the holder before us may have removed the file after we opened it
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def output_lock(out_dir: Path, name: str) -> Iterator[None]:
    """Hold the lock on `name`'s outputs in `out_dir`; OutputBusyError if another holds it."""
    path = _lock_path(out_dir, name)
    fd = _acquire(path, name)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # while still locked: nobody can be holding this inode but us
        os.close(fd)


def clear_stale_lock(out_dir: Path, name: str) -> None:
    """Remove `name`'s lock file if no process holds it: a writer killed between recording
    its input as done and removing the file leaves it behind, and a later run that skips the
    finished input would otherwise never take (and so never remove) that lock."""
    if _lock_path(out_dir, name).exists():
        with contextlib.suppress(OutputBusyError), output_lock(out_dir, name):
            pass  # taken and released: released removes the file

"""Atomic output files: write to a hidden temp name beside the target, rename on success.

A crash, an exception or Ctrl-C part way through a write never leaves a half-written file
under the final name (a later run would mistake it for a finished result), and never leaves
the temp file behind either. The temp file lives in the target folder so the final
`os.replace` is a same-filesystem rename, which POSIX makes atomic.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pipeline.errors import OutputExistsError, OutputNotWritableError


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder `path` (with parents) if needed and check that files can be written there.

    Returns the folder as a Path. Raises OutputNotWritableError naming the folder when it cannot be
    created (a file is in the way, permission denied, read-only filesystem) or is not writable.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputNotWritableError(
            f"output folder {str(folder)!r} cannot be created: a file of that name is in the way; "
            "expected a folder. Remove the file or choose another output folder."
        ) from exc
    except OSError as exc:
        raise OutputNotWritableError(
            f"output folder {str(folder)!r} cannot be created ({exc.strerror or exc}); "
            "choose a folder you can write to."
        ) from exc
    # os.access is only a cheap first check (it says yes to root even on read-only mounts);
    # the real open in atomic_output reports any remaining failure the same way.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritableError(
            f"output folder {str(folder)!r} is not writable; expected a folder you can write to. "
            "Fix its permissions or choose another output folder."
        )
    return folder


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A unique hidden temp name beside `path` that keeps its suffix (so FFmpeg can still guess
    the container from it): `out/clip.annotated.mp4` -> `out/.clip.annotated.1a2b3c4d.part.mp4`.
    """
    final = Path(path)
    token = secrets.token_hex(4)  # two writers aimed at one target must not share a temp file
    return final.with_name(f".{final.stem}.{token}.part{final.suffix}")


class AtomicPath:
    """The temp path of one atomic write, with explicit `commit()` / `discard()`.

    For writers that cannot use the `atomic_output` context manager directly (VideoWriter opens
    and closes its container itself). `prepare` checks the target before any work is done.
    """

    def __init__(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        self.final = Path(path)
        self.overwrite = overwrite
        check_output_dir(self.final.parent)
        self._check_target()
        self.tmp = temp_path_for(self.final)

    def _check_target(self) -> None:
        """Raise OutputExistsError when the final file exists and overwriting is off."""
        if self.final.is_dir():
            raise OutputExistsError(
                f"output path {str(self.final)!r} is a folder; expected a file name. "
                "Choose another output name."
            )
        if self.final.exists() and not self.overwrite:
            raise OutputExistsError(
                f"output file {str(self.final)!r} already exists; pass overwrite=True "
                "(--overwrite on the command line) to replace it, or choose another output folder."
            )

    def commit(self) -> Path:
        """Rename the finished temp file over the final name and return the final path."""
        try:
            self._check_target()  # the target may have appeared while we were writing
            os.replace(self.tmp, self.final)
        except BaseException:
            self.discard()
            raise
        return self.final

    def discard(self) -> None:
        """Remove the temp file if it exists (idempotent)."""
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


# Write errors that always mean "this output cannot be written", whatever the caller was doing:
# a full disk, a file-size limit, a quota, a read-only filesystem.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS})


def not_writable_error(path: str | os.PathLike[str], exc: OSError) -> OutputNotWritableError:
    """An OutputNotWritableError for an OSError raised while creating `path`."""
    return OutputNotWritableError(
        f"cannot write {str(path)!r} ({exc.strerror or exc}); expected a writable output folder "
        "with free space. Fix its permissions or choose another output folder."
    )


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    overwrite: bool = False,
    mode: str | None = "w",
    encoding: str | None = "utf-8",
) -> Iterator[IO | Path]:
    """Write `path` atomically.

    With `mode` "w"/"wb" (or any write mode) this yields an open file object on a temp file in the
    same folder; with `mode=None` it yields the temp Path for code that opens the file itself
    (np.save, av.open, ...), which must create it. On normal exit the file is closed and renamed
    over `path`; on any exception (KeyboardInterrupt included) the temp file is removed and the
    final name is untouched.

    Raises OutputExistsError when `path` exists and `overwrite` is False, OutputNotWritableError
    when the folder cannot be created or written.

    Example:
        with atomic_output(out_dir / "clip.labels.csv") as f:
            f.write("frame,pts_s,label\\n")
    """
    target = AtomicPath(path, overwrite=overwrite)
    try:
        if mode is None:
            yield target.tmp
        else:
            if "b" in mode:
                encoding = None
            # "x": a unique name that already exists would be a bug, never silently clobbered
            open_mode = mode.replace("w", "x")
            try:
                fh = open(target.tmp, open_mode, encoding=encoding)  # noqa: SIM115
            except OSError as exc:
                raise not_writable_error(target.final, exc) from exc
            with fh:  # closing flushes: a full disk may only show here
                yield fh
    except OSError as exc:
        target.discard()
        if exc.errno in _OUTPUT_ERRNOS:
            raise not_writable_error(target.final, exc) from exc
        raise
    except BaseException:
        target.discard()
        raise
    if not target.tmp.exists():
        raise FileNotFoundError(
            f"atomic_output({str(target.final)!r}, mode=None): the caller never created the "
            f"temp file {str(target.tmp)!r}"
        )
    target.commit()

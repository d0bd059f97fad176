"""The MS-TCN dataset layout, so features and labels move between framelabel and the
temporal action segmentation literature (MS-TCN, ASFormer, ... read exactly this):

    root/features/NAME.npy     float32 array of shape (D, T): one column per frame
    root/groundTruth/NAME.txt  one class name per line, one line per frame
    root/mapping.txt           "id name" per line, ids 0..C-1

framelabel itself keeps features as (T, D); the transpose happens only here.
"""

from __future__ import annotations

import difflib
import tokenize
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from pipeline.errors import AnnotationError, OutputExistsError
from pipeline.io.atomic import atomic_output

# What np.load raises on a damaged .npy/.npz: a bad zip, a header that no longer parses
# (tokenize/ast errors), a shape too large to allocate, missing members.
CORRUPT_NPY_ERRORS = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    EOFError,
    SyntaxError,
    MemoryError,
    tokenize.TokenError,
    zipfile.BadZipFile,
)


def read_text(path: Path) -> str:
    """A UTF-8 text file (a BOM, as Excel writes, is accepted) with its line ends as written.

    Any other encoding is an AnnotationError naming the file and the line of the first byte
    that is not UTF-8: latin-1 and UTF-16 files are common exports and must not be misread.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnnotationError(
            f"cannot read {path} ({exc.strerror or exc}); check the path and its permissions"
        ) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise AnnotationError(
            f"{path}:1: the file is UTF-16 text; expected UTF-8. Re-save it as UTF-8 "
            "(in Excel: 'CSV UTF-8')"
        )
    if b"\x00" in raw:  # before decoding: UTF-16 without a byte-order mark is full of NULs
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise AnnotationError(
            f"{path}:{line}: contains a NUL byte; expected UTF-8 text (is it binary, or UTF-16 "
            "without a byte-order mark?). Re-save the file as UTF-8"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise AnnotationError(
            f"{path}:{line}: byte 0x{raw[exc.start]:02x} is not UTF-8 (a latin-1 or other "
            "legacy encoding?); expected UTF-8 text. Re-save the file as UTF-8"
        ) from exc
    return text


def split_lines(text: str) -> list[str]:
    """Lines split at \\n, \\r\\n or \\r only (str.splitlines also splits at form feeds and
    Unicode separators, which would shift every later line number)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line end does not start another line
    return lines


def read_text_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file, AnnotationError naming file:line when it is not UTF-8 text."""
    return split_lines(read_text(path))


def shorten(value: object, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters: an error message stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def lookup_class_id(name: str, lookup: dict[str, int], where: str) -> int:
    """Class id of `name`; AnnotationError naming `where`, the known classes and the likely typo."""
    if name in lookup:
        return lookup[name]
    close = difflib.get_close_matches(name, list(lookup), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise AnnotationError(
        f"{where}: unknown class {shorten(name)}; known classes: {', '.join(lookup)}.{hint} "
        "Fix the label or add the class to the class list (classes.txt / mapping.txt)"
    )


def read_mapping(path: Path) -> list[str]:
    """Class names in id order from a mapping.txt ("id name" lines, ids 0..C-1, any order)."""
    path = Path(path)
    by_id: dict[int, str] = {}
    for line_no, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not (parts[0].isascii() and parts[0].isdigit()):
            raise AnnotationError(
                f"{path}:{line_no}: expected 'id name' (e.g. '0 background'), got {shorten(line)}"
            )
        class_id, name = int(parts[0]), parts[1].strip()
        if class_id in by_id or name in by_id.values():
            raise AnnotationError(
                f"{path}:{line_no}: id {class_id} or name {shorten(name)} appears twice; keep one"
            )
        by_id[class_id] = name
    if not by_id or sorted(by_id) != list(range(len(by_id))):
        raise AnnotationError(
            f"{path}: class ids are {shorten(sorted(by_id))}, expected 0..{max(len(by_id) - 1, 0)} "
            "with no gaps; renumber the lines"
        )
    return [by_id[i] for i in range(len(by_id))]


def read_ground_truth(
    path: Path, class_names: Sequence[str], num_frames: int | None = None
) -> np.ndarray:
    """Class ids (T,) int64 from a groundTruth/NAME.txt (one class name per line).

    Trailing blank lines are not frames. When `num_frames` is given the line count must
    match it. Unknown names raise AnnotationError naming the line and the likely typo.
    """
    path = Path(path)
    lines = read_text_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if num_frames is not None and len(lines) != num_frames:
        first_wrong = min(len(lines), num_frames) + 1  # the first missing or extra line
        raise AnnotationError(
            f"{path}:{first_wrong}: {len(lines)} label lines but the video has {num_frames} "
            "frames; MS-TCN ground truth needs exactly one line per frame"
        )
    lookup = {name: i for i, name in enumerate(class_names)}
    ids = [lookup_class_id(line.strip(), lookup, f"{path}:{i}") for i, line in enumerate(lines, 1)]
    return np.asarray(ids, dtype=np.int64).reshape(len(lines))


def _write_mapping(path: Path, class_names: Sequence[str], overwrite: bool) -> None:
    """Write mapping.txt, or keep an identical one; another class list is a conflict."""
    if path.is_file() and not overwrite:
        existing = read_mapping(path)
        if existing == list(class_names):
            return  # several videos exported into one folder share one mapping
        raise OutputExistsError(
            f"{path} lists classes {existing}, this export has {list(class_names)}; export into "
            "a fresh folder or pass overwrite=True"
        )
    with atomic_output(path, overwrite=True) as fh:
        fh.writelines(f"{i} {name}\n" for i, name in enumerate(class_names))


def export_mstcn(
    out_dir: Path,
    name: str,
    feats: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    *,
    background: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write one video in the MS-TCN layout under `out_dir`; returns the features path.

    Args:
        out_dir: dataset root; features/, groundTruth/ and mapping.txt are created in it.
        name: video name (file name without extension).
        feats: (T, D) per-frame features; stored transposed, (D, T) float32.
        labels: (T,) class ids, or None to write features and mapping only.
        class_names: class names in id order.
        background: class name written for unlabeled frames (-1); MS-TCN has no "unlabeled",
            so without it such frames are an error.
        overwrite: replace existing files instead of raising OutputExistsError.
    """
    out_dir, feats = Path(out_dir), np.asarray(feats)
    if feats.ndim != 2:
        raise ValueError(f"feats must be (T, D), got shape {feats.shape}")
    names = list(class_names)
    text = None
    if labels is not None:
        text = _label_text(np.asarray(labels), feats.shape[0], names, background, name)
    _write_mapping(out_dir / "mapping.txt", names, overwrite)
    feats_path = out_dir / "features" / f"{name}.npy"
    with atomic_output(feats_path, overwrite=overwrite, mode="wb") as fh:
        np.save(fh, np.ascontiguousarray(feats.T, dtype=np.float32))  # (D, T)
    if text is not None:
        with atomic_output(out_dir / "groundTruth" / f"{name}.txt", overwrite=overwrite) as fh:
            fh.write(text)
    return feats_path


def _label_text(
    labels: np.ndarray, num_frames: int, names: list[str], background: str | None, video: str
) -> str:
    """groundTruth file content for (T,) labels; -1 becomes `background`."""
    if labels.shape != (num_frames,):
        raise ValueError(f"labels must be ({num_frames},) like feats' rows, got {labels.shape}")
    if labels.size and (labels.min() < -1 or labels.max() >= len(names)):
        raise ValueError(f"labels must be -1 or class ids 0..{len(names) - 1}")
    if np.any(labels == -1):
        if background is None or background not in names:
            raise AnnotationError(
                f"video {video!r} has {int(np.sum(labels == -1))} unlabeled frames, which the "
                f"MS-TCN format cannot store; pass background=<one of {names}> to fill them"
            )
        labels = np.where(labels == -1, names.index(background), labels)
    return "".join(f"{names[i]}\n" for i in labels.tolist())


def import_mstcn(
    root: Path,
) -> Iterator[tuple[str, np.ndarray, np.ndarray | None, list[str]]]:
    """Yield (name, feats (T, D) float32, labels (T,) int64 or None, class_names) per video.

    Videos are the files features/*.npy in name order; labels are None for a video with no
    groundTruth/NAME.txt. class_names come from mapping.txt ([] when it is absent and no
    video has ground truth).
    """
    root = Path(root)
    feature_files = sorted((root / "features").glob("*.npy"))
    if not feature_files:
        raise AnnotationError(f"no features/*.npy under {root}; is this an MS-TCN folder?")
    mapping = root / "mapping.txt"
    class_names = read_mapping(mapping) if mapping.is_file() else []
    for feats_path in feature_files:
        name = feats_path.stem
        try:
            stored = np.load(feats_path, allow_pickle=False)  # untrusted input: no pickles
        except CORRUPT_NPY_ERRORS as exc:
            raise AnnotationError(
                f"cannot read {feats_path} as a .npy array ({type(exc).__name__}: {shorten(str(exc))}); "
                "re-export it"
            ) from exc
        if stored.ndim != 2:
            raise AnnotationError(f"{feats_path} has shape {stored.shape}, expected (D, T)")
        feats = np.ascontiguousarray(stored.T, dtype=np.float32)  # (T, D)
        gt_path = root / "groundTruth" / f"{name}.txt"
        labels = None
        if gt_path.is_file():
            if not class_names:
                raise AnnotationError(f"{gt_path} needs {mapping} to map names to class ids")
            labels = read_ground_truth(gt_path, class_names, feats.shape[0])
        yield name, feats, labels, list(class_names)

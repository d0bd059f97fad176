"""Fuzzing the file formats framelabel reads besides video: annotations, checkpoints, the
feature cache.

- Annotations (segments CSV in frames or seconds, per-frame CSV, MS-TCN text, class lists):
  a valid file or exactly one `AnnotationError`, one line, naming the file.
- Checkpoints (`load_labeler`): a bundle or exactly one `CheckpointError`, one line.
- The feature cache: a damaged entry is recomputed; the features come back as they were.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.errors import AnnotationError, CheckpointError
from tools.fuzz.mutations import mutate
from tools.fuzz.report import CaseTimeout, FuzzReport, message_problem, time_bound

CLASSES = ["background", "walk", "run", "café"]
NASTY_CELLS = (
    "",
    " ",
    "-1",
    "-999999",
    "1e309",
    "-inf",
    "nan",
    "99999999999999999999999",
    "1.5",
    "0x10",
    "１２",
    "²",
    '"',
    '"unterminated',
    "a,b",
    "\t",
    "é",
    "\u2028",
    "\x0c",
    "🎬",
    "walk ",
    "Walk",
    "wlak",
    "None",
    "1" * 5000,
    "x" * 200_000,
)
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "cp1252")
READ_BOUND_S = 10.0


def _segments(rng: np.random.Generator, frames: int) -> list[tuple[int, int, str]]:
    cuts = sorted(set(rng.integers(1, max(2, frames), int(rng.integers(0, 4))).tolist()))
    bounds = [0, *[c for c in cuts if 0 < c < frames], frames]
    return [
        (a, b, str(rng.choice(CLASSES))) for a, b in zip(bounds, bounds[1:], strict=False) if b > a
    ]


def valid_annotation(rng: np.random.Generator, frames: int, fps: float) -> tuple[str, str]:
    """(suffix, text) of a valid annotation for a `frames`-frame video named `clip`."""
    segs = _segments(rng, frames)
    kind = int(rng.integers(0, 5))
    if kind == 0:
        rows = [
            "video,start_frame,end_frame,label",
            *(f"clip.mp4,{a},{b},{lab}" for a, b, lab in segs),
        ]
    elif kind == 1:
        rows = [
            "start_time,end_time,label",
            *(f"{a / fps:.3f},{b / fps:.3f},{lab}" for a, b, lab in segs),
        ]
    elif kind == 2:
        rows = ["frame,pts_s,label,confidence"]
        rows += [f"{i},{i / fps:.3f},{lab},0.9" for a, b, lab in segs for i in range(a, b)]
    elif kind == 3:
        rows = ["start_frame,end_frame,label", *(f"{a},{b},{lab}" for a, b, lab in segs)]
    else:
        return ".txt", "".join(f"{lab}\n" for a, b, lab in segs for _ in range(a, b))
    return ".csv", "\n".join(rows) + "\n"


def mutate_text(text: str, rng: np.random.Generator) -> tuple[str, str]:
    """A structural edit: a cell, a line, the header, numbers that overlap or run outside."""
    lines = text.split("\n")
    kind = int(rng.integers(0, 7))
    i = int(rng.integers(0, len(lines)))
    if kind == 0:  # one nasty cell
        cells = lines[i].split(",")
        cells[int(rng.integers(0, len(cells)))] = str(rng.choice(NASTY_CELLS))
        lines[i] = ",".join(cells)
    elif kind == 1:
        lines.insert(i, lines[int(rng.integers(0, len(lines)))])  # a duplicated line overlaps
    elif kind == 2:
        del lines[i]
    elif kind == 3:
        j = int(rng.integers(0, len(lines)))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 4:  # shift every number: negative, huge or overlapping ranges
        delta = int(rng.choice([-1000, -3, -1, 1, 3, 10**9]))
        lines[i] = ",".join(
            str(int(c) + delta) if c.isdigit() and len(c) < 100 else c for c in lines[i].split(",")
        )
    elif kind == 5:
        lines[i] = lines[i] + "," + str(rng.choice(NASTY_CELLS))
    else:
        lines[i] = str(rng.choice(NASTY_CELLS))
    return "\n".join(lines), ("cell", "dup", "del", "swap", "shift", "extra", "line")[kind]


def encode_text(text: str, rng: np.random.Generator) -> tuple[bytes, str]:
    """The text as bytes: an encoding, CRLF or CR line ends, or a byte-level mutation."""
    kind = int(rng.integers(0, 5))
    if kind == 0:
        return text.encode("utf-8"), "utf-8"
    if kind == 1:
        return text.replace("\n", str(rng.choice(["\r\n", "\r"]))).encode(), "line ends"
    if kind == 2:
        enc = str(rng.choice(ENCODINGS))
        return text.encode(enc, errors="replace"), enc
    data, how = mutate(text.encode(), rng, b"\xef\xbb\xbfvideo,start_frame,end_frame,label\n")
    return data, how


def check_annotation(path: Path, frames: int, fps: float, how: str, report: FuzzReport) -> None:
    """`read_frame_labels` gives (T,) ids in [-1, C) or one clean AnnotationError."""
    from pipeline.data.annotations import read_frame_labels

    report.tried["annotation"] += 1
    pts_s = np.arange(frames) / fps
    try:
        with time_bound(READ_BOUND_S):
            labels = read_frame_labels(path, CLASSES, frames, pts_s, video="clip")
    except AnnotationError as err:
        problem = message_problem(str(err), must_name=str(path))
        if problem:
            report.add("annotation", f"{path.name} ({how})", problem)
        return
    except (Exception, CaseTimeout) as err:  # noqa: B902 - the invariant under test
        report.add("annotation", f"{path.name} ({how})", f"{type(err).__name__}: {str(err)[:300]}")
        return
    if (
        labels.shape != (frames,)
        or labels.dtype != np.int64
        or not ((labels >= -1) & (labels < len(CLASSES))).all()
    ):
        report.add(
            "annotation", f"{path.name} ({how})", f"bad result {labels.shape} {labels.dtype}"
        )


def fuzz_annotations(folder: Path, rng: np.random.Generator, n: int, report: FuzzReport) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        frames, fps = int(rng.integers(1, 80)), float(rng.choice([10.0, 25.0, 29.97]))
        suffix, text = valid_annotation(rng, frames, fps)
        edits = []
        for _ in range(int(rng.integers(0, 3))):
            text, how = mutate_text(text, rng)
            edits.append(how)
        data, how = encode_text(text, rng)
        path = folder / f"a{i:05d}{suffix}"
        path.write_bytes(data)
        check_annotation(path, frames, fps, "+".join([*edits, how]), report)
    _fuzz_class_lists(folder, rng, max(1, n // 10), report)


def _fuzz_class_lists(folder: Path, rng: np.random.Generator, n: int, report) -> None:
    """classes.txt / mapping.txt through `read_class_names`."""
    from pipeline.data.annotations import read_class_names

    for i in range(n):
        root = folder / f"classes{i:04d}"
        root.mkdir(exist_ok=True)
        use_mapping = bool(rng.integers(0, 2))
        text = "".join(f"{k} {c}\n" if use_mapping else f"{c}\n" for k, c in enumerate(CLASSES))
        text, edit = mutate_text(text, rng)
        data, how = encode_text(text, rng)
        (root / ("mapping.txt" if use_mapping else "classes.txt")).write_bytes(data)
        report.tried["class list"] += 1
        try:
            names = read_class_names(root)
            if not names or not all(isinstance(n, str) and n for n in names):
                report.add(
                    "class list", f"{root.name} ({edit}+{how})", f"bad result {names!r:.200}"
                )
        except AnnotationError as err:
            problem = message_problem(str(err), must_name=str(root))
            if problem:
                report.add("class list", f"{root.name} ({edit}+{how})", problem)
        except Exception as err:  # noqa: B902 - the invariant under test
            report.add(
                "class list", f"{root.name} ({edit}+{how})", f"{type(err).__name__}: {err!s:.300}"
            )


def fuzz_checkpoints(
    good: Path, folder: Path, rng: np.random.Generator, n: int, report: FuzzReport
) -> None:
    """Mutated copies of a real checkpoint through `load_labeler`."""
    from pipeline.checkpoint.load import load_labeler

    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    for i in range(n):
        mutated, how = mutate(data, rng, b"PK\x03\x04" + bytes(60))
        path = folder / f"c{i:05d}.ckpt"
        path.write_bytes(mutated)
        report.tried["checkpoint"] += 1
        try:
            with time_bound(READ_BOUND_S):
                load_labeler(path)
        except CheckpointError as err:
            problem = message_problem(str(err), must_name=str(path))
            if problem:
                report.add("checkpoint", f"{path.name} ({how})", problem)
        except (Exception, CaseTimeout) as err:  # noqa: B902 - the invariant under test
            report.add("checkpoint", f"{path.name} ({how})", f"{type(err).__name__}: {err!s:.300}")
        path.unlink()


def fuzz_feature_cache(
    video: Path, folder: Path, rng: np.random.Generator, n: int, report: FuzzReport
) -> None:
    """Damage the cache entry of `video` and read it again: recomputed, never an exception."""
    from pipeline.data.features import FeatureCache, cached_features
    from pipeline.encoders import EncoderSpec, build_encoder

    encoder = build_encoder(EncoderSpec("efficientnet_lite0", 32, "pretrained"))
    cache = FeatureCache(folder)
    reference, _ = cached_features(video, encoder, cache)
    entry = next(folder.glob("*.npz"))
    data = entry.read_bytes()
    for _ in range(n):
        mutated, how = mutate(data, rng, b"PK\x03\x04")
        entry.write_bytes(mutated)
        report.tried["feature cache"] += 1
        try:
            track, hit = cached_features(video, encoder, cache)
        except Exception as err:  # noqa: B902 - the invariant under test
            report.add("feature cache", how, f"{type(err).__name__}: {err!s:.300}")
            continue
        same = track.feats.shape == reference.feats.shape and np.allclose(
            track.feats, reference.feats, atol=1e-4
        )
        if not same or not np.array_equal(track.frame_indices, reference.frame_indices):
            report.add("feature cache", how, f"{'cached' if hit else 'recomputed'} features differ")
        entry.write_bytes(data)

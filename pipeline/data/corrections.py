"""Corrected labels into a training dataset: `framelabel corrections DATA FILE...`.

The report page downloads NAME.corrected.csv, a segments CSV in frames and seconds (end
exclusive, the model's class names) that may cover only the stretches a reviewer checked.
Each file becomes DATA/labels/NAME.csv beside DATA/videos/NAME.EXT (the dataset layout of
`pipeline.data.annotations`, which `fit` reads); frames no segment covers stay unlabeled and
the loss ignores them. DATA/classes.txt is written from the model's classes when missing and
must list them when present.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.data.annotations import read_class_names, read_frame_labels, video_files
from pipeline.errors import AnnotationError, VideoNotFoundError
from pipeline.io.atomic import atomic_output
from pipeline.io.info import video_info
from pipeline.outputs.layout import CORRECTED_SUFFIX

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddedVideo:
    """One corrected video as it now sits in the dataset."""

    name: str
    labels: Path  # DATA/labels/NAME.csv
    video: Path  # DATA/videos/NAME.EXT
    labelled_frames: int
    frames: int


def corrected_name(path: Path) -> str:
    """NAME of NAME.corrected.csv (or of any NAME.csv)."""
    file = path.name
    return file[: -len(CORRECTED_SUFFIX)] if file.endswith(CORRECTED_SUFFIX) else path.stem


def ensure_classes(data: Path, class_names: list[str]) -> None:
    """DATA/classes.txt lists `class_names` (written when missing); a different list is an error."""
    path = data / "classes.txt"
    if not path.exists() and not (data / "mapping.txt").exists():
        with atomic_output(path) as fh:
            fh.write("".join(f"{name}\n" for name in class_names))
        return
    found = read_class_names(data)
    if found != list(class_names):
        raise AnnotationError(
            f"{path} lists {found}, the model's classes are {list(class_names)}; corrections "
            "for another model belong in another dataset folder"
        )


def find_video(name: str, folders: list[Path]) -> Path:
    """The video NAME.EXT in the first of `folders` that has one (in a dataset folder: its
    videos/)."""
    for folder in folders:
        # by exact stem: NAME.annotated.mp4 beside it has the labels drawn in
        found = video_files(folder).get(name)
        if found is not None:
            return found
    where = ", ".join(str(f) for f in folders)
    raise VideoNotFoundError(
        f"no video named {name}.* in {where}; pass --videos with the folder of the source video"
    )


def _place_video(video: Path, target: Path) -> None:
    """`video` at `target`: a hard link when the file system allows it, else a copy."""
    if target.exists() and target.stat().st_size == video.stat().st_size:
        return
    with atomic_output(target, overwrite=True, mode=None) as tmp:
        try:
            os.link(video, tmp)
        except OSError:
            shutil.copyfile(video, tmp)


def add_correction(
    data: Path, corrected: Path, video_folders: list[Path], class_names: list[str]
) -> AddedVideo:
    """Check `corrected` against its video and the classes, then put both in `data`."""
    name = corrected_name(corrected)
    video = find_video(name, video_folders + [corrected.parent])
    info = video_info(video)
    frames = info.frames if info.frames else video_info(video, count=True).frames
    fps = float(info.fps) if info.fps else 25.0
    # pts only for files given in seconds (frames win when both are present)
    labels = read_frame_labels(corrected, class_names, frames, np.arange(frames) / fps)
    labels_out = data / "labels" / f"{name}.csv"
    labels_out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(labels_out, overwrite=True, mode=None) as tmp:
        shutil.copyfile(corrected, tmp)
    video_out = data / "videos" / f"{name}{video.suffix.lower()}"
    video_out.parent.mkdir(parents=True, exist_ok=True)
    _place_video(video, video_out)
    return AddedVideo(name, labels_out, video_out, int(np.sum(labels >= 0)), frames)

"""`report --zip`: one archive that opens anywhere — the page, the video it plays (beside it,
linked by name) and the video's tracks and editor files."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

from pipeline.io.atomic import atomic_output
from pipeline.outputs.editorial import TIMELINE_FORMATS
from pipeline.outputs.layout import LABEL_OUTPUTS, REPORT_SUFFIX
from pipeline.report.build import ReportOptions, build_page
from pipeline.report.truth import VideoReport

ZIP_SUFFIX = ".report.zip"


def shared_files(report: VideoReport) -> list[Path]:
    """The tracks and editor files of the video that exist in its folder (no annotated video:
    the page's video is added on its own)."""
    video = report.video
    suffixes = [s for k, s in LABEL_OUTPUTS.items() if k != "video"]
    suffixes += [suffix for _, suffix, _ in TIMELINE_FORMATS.values()]
    found = (video.out_dir / f"{video.name}{suffix}" for suffix in suffixes)
    return [path for path in found if path.is_file()]


def write_zip(report: VideoReport, options: ReportOptions) -> Path:
    """OUT/NAME.report.zip; returns its path. Videos are stored as they are (already
    compressed), text files deflated."""
    video = report.video
    page = build_page(video, report.truth, dataclasses.replace(options, video_link="beside"))
    path = video.out_dir / f"{video.name}{ZIP_SUFFIX}"
    with atomic_output(path, overwrite=True, mode=None) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{video.name}{REPORT_SUFFIX}", page)
            if video.media.player is not None:
                archive.write(video.media.player, video.media.player.name, zipfile.ZIP_STORED)
            for file in shared_files(report):
                archive.write(file, file.name)
    return path

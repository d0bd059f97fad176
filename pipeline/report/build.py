"""`write_report` / `write_reports`: labelled outputs in, NAME.report.html (and index.html) out.

Callable from `framelabel report` and, in the same pass, from `framelabel label`: both take the
output folder that `label` wrote. Pages are rewritten on every call (they are a view of the
tracks, never an input), atomically.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import VideoNotFoundError
from pipeline.io.atomic import atomic_output
from pipeline.outputs.layout import INDEX_NAME, REPORT_SUFFIX, find_names
from pipeline.report.data import LabelledVideo, load_video
from pipeline.report.index import write_index
from pipeline.report.model_card import model_card
from pipeline.report.page import PageParts, render_page
from pipeline.report.payload import build_payload
from pipeline.report.review import LOW_CONFIDENCE, MAX_ITEMS, ReviewItem, review_items
from pipeline.report.sections import (
    metrics_json_html,
    model_card_html,
    review_html,
    segments_html,
    summary_html,
    truth_html,
)
from pipeline.report.thumbnails import THUMB_WIDTH, thumbnails
from pipeline.report.truth import DEFAULT_TOLERANCE, TruthScores, VideoReport, truth_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportOptions:
    """Settings of a report; the defaults are what `framelabel report` uses."""

    videos: Path | None = None  # where to look for source videos segments.json cannot name
    low_confidence: float = LOW_CONFIDENCE
    max_items: int = MAX_ITEMS  # per kind of review item
    boundary_classes: tuple[str, ...] | None = None  # None: all but the commonest true class
    tolerance: int = DEFAULT_TOLERANCE
    thumb_width: int = THUMB_WIDTH
    video_link: str = "relative"  # how the page names its video (pipeline.report.page.VIDEO_LINKS)


def check_out_dir(out_dir: Path) -> Path:
    """`out_dir` as a Path; VideoNotFoundError naming the fix when it is not a folder."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise VideoNotFoundError(
            f"output folder {str(out_dir)!r} does not exist; expected the --out folder of "
            "`framelabel label`. Label videos first or check the path."
        )
    return out_dir


def _thumbs(video: LabelledVideo, items: list[ReviewItem], width: int) -> dict[int, str]:
    """{track row: data URI}: frames from the source when found, else the annotated video."""
    media = video.media
    if media.source is not None:
        by_frame = {int(video.track.frame_indices[it.thumb_row]): it.thumb_row for it in items}
        found = thumbnails(media.source, by_frame, width)
        return {by_frame[f]: uri for f, uri in found.items()}
    if media.kind == "annotated" and media.player is not None:
        return thumbnails(media.player, [it.thumb_row for it in items], width)
    return {}


def build_page(video: LabelledVideo, truth: TruthScores | None, options: ReportOptions) -> str:
    """The report page of one loaded video, as HTML text."""
    target = truth.target if truth is not None else None
    track = video.track
    items = review_items(
        track.labels, track.confidence, target, options.low_confidence, options.max_items
    )
    parts = PageParts(
        summary=summary_html(video),
        review=review_html(items, video, _thumbs(video, items, options.thumb_width)),
        segments=segments_html(video),
        truth=truth_html(truth, video.classes) + metrics_json_html(video.metrics_json),
        model_card=model_card_html(model_card(video.meta)),
    )
    data = build_payload(video, truth, options.low_confidence, video.out_dir)
    if options.video_link != "relative":
        data["fallback"] = None  # the video travels with the page
    return render_page(video, parts, data, video.out_dir, options.video_link)


def report_video(out_dir: Path, name: str, gt: Path | None, options: ReportOptions) -> VideoReport:
    """Load, score and write one video's page; returns what the index needs."""
    video = load_video(out_dir, name, options.videos)
    truth = None
    if gt is not None:
        truth = truth_scores(Path(gt), video, options.boundary_classes, options.tolerance)
    page = out_dir / f"{name}{REPORT_SUFFIX}"
    text = build_page(video, truth, options)
    with atomic_output(page, overwrite=True) as fh:
        fh.write(text)
    return VideoReport(video, truth, page)


def write_report(
    out_dir: Path, name: str, gt: Path | None = None, options: ReportOptions | None = None
) -> Path:
    """Write OUT_DIR/NAME.report.html for the video `label` wrote as NAME; returns its path."""
    return report_video(check_out_dir(out_dir), name, gt, options or ReportOptions()).page


def labelled_names(out_dir: Path) -> list[str]:
    """Every NAME with a NAME.labels.csv in `out_dir`; VideoNotFoundError when there is none."""
    names = find_names(out_dir)
    if not names:
        raise VideoNotFoundError(
            f"{out_dir} holds no NAME.labels.csv; expected the --out folder of `framelabel "
            "label`. Run framelabel label VIDEO --out that folder first."
        )
    return names


def write_reports(
    out_dir: Path, gt: Path | None = None, options: ReportOptions | None = None
) -> list[Path]:
    """A page per labelled video in `out_dir`, then OUT_DIR/index.html; returns every path."""
    out_dir = check_out_dir(out_dir)
    options = options or ReportOptions()
    reports = [report_video(out_dir, n, gt, options) for n in labelled_names(out_dir)]
    index = write_index(out_dir / INDEX_NAME, reports)
    return [r.page for r in reports] + [index]

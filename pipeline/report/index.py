"""OUT_DIR/index.html: one row per labelled video, linking to its report page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from pipeline.io.atomic import atomic_output
from pipeline.outputs.layout import relative_url
from pipeline.report.page import asset
from pipeline.report.sections import fmt_num, fmt_time, share_bar
from pipeline.report.truth import VideoReport

METRIC_COLUMNS = (
    ("frame acc", "frame_accuracy", 3),
    ("macro-F1", "macro_f1", 3),
    ("edit", "edit", 1),
    ("F1@50", "f1@50", 1),
)


def _metrics(report: VideoReport) -> dict:
    """Scores from --gt, else the metrics.json `label --gt` wrote, else nothing."""
    if report.truth is not None:
        return report.truth.summary
    return report.video.metrics_json or {}


def _row(report: VideoReport, folder: Path) -> str:
    video = report.video
    metrics = _metrics(report)
    cells = [
        f'<td><a href="{escape(relative_url(report.page, folder))}">{escape(video.name)}</a></td>',
        f"<td>{fmt_time(video.media.end_s)}</td>",
        f"<td>{len(video.track)}</td>",
        f"<td>{len(video.segments)}</td>",
        f"<td>{share_bar(video.track.labels, video.classes)}</td>",
        *(f"<td>{fmt_num(metrics.get(key), d)}</td>" for _, key, d in METRIC_COLUMNS),
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def plural(count: int, noun: str) -> str:
    """`1 video`, `2 videos`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def index_html(reports: Sequence[VideoReport], folder: Path) -> str:
    head = ["video", "duration", "frames", "segments", "labels"]
    head += [name for name, _, _ in METRIC_COLUMNS]
    ths = "".join(f"<th>{h}</th>" for h in head)
    rows = "".join(_row(r, folder) for r in reports)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        '<link rel="icon" href="data:,"><title>framelabel reports</title>'
        f"<style>{asset('report.css')}</style></head><body>"
        f'<header><h1>framelabel reports</h1><p class="summary">{plural(len(reports), "video")} in '
        f"<code>{escape(folder.resolve().name)}</code></p></header>"
        f'<section style="margin:12px 18px"><table id="videos" class="scores">'
        f"<thead><tr>{ths}</tr></thead><tbody>{rows}</tbody></table></section></body></html>"
    )


def write_index(path: Path, reports: Sequence[VideoReport]) -> Path:
    """Write the batch index (replacing an earlier one) and return its path."""
    text = index_html(reports, path.parent)
    with atomic_output(path, overwrite=True) as fh:
        fh.write(text)
    return path

"""Fill the page template: static sections, the data JSON, the inline CSS and script.

The template and its script and style live in `pipeline/report/assets/`; everything is inlined,
so the page is one file that needs nothing but the video it links to.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.report.data import LabelledVideo
from pipeline.version import __version__

NO_GATES = '<p class="muted" id="no-gates">no gate trace (run label with --gates)</p>'


@dataclass(frozen=True)
class PageParts:
    """The HTML of each section, ready to drop into the template."""

    summary: str
    review: str
    segments: str
    truth: str
    model_card: str


@cache
def asset(name: str) -> str:
    """Text of pipeline/report/assets/NAME."""
    return (resources.files("pipeline.report") / "assets" / name).read_text(encoding="utf-8")


def script_json(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: no `</` can end the element early."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def relative_url(target: Path, page_dir: Path) -> str:
    """`target` as a URL relative to the page's folder (the page and video move together)."""
    rel = os.path.relpath(target.resolve(), page_dir.resolve())
    return quote(Path(rel).as_posix())


def player_html(video: LabelledVideo, page_dir: Path) -> str:
    """The <video> element for the annotated video (or the source), or a note that there is none."""
    media = video.media
    if media.player is None:
        return (
            '<div class="novideo">No video found: neither '
            f"<code>{escape(video.name)}.annotated.mp4</code> nor the source video is beside "
            "this page (re-run label without --no-video, or pass --videos DIR).</div>"
        )
    src = relative_url(media.player, page_dir)
    return (
        f'<video id="player" controls preload="auto" src="{escape(src)}" '
        f'data-kind="{media.kind}"></video>'
    )


def gates_html(has_gates: bool) -> str:
    return '<div id="gates" class="gates"></div>' if has_gates else NO_GATES


def render_page(
    video: LabelledVideo, parts: PageParts, data: dict[str, Any], page_dir: Path
) -> str:
    """The complete page as one string."""
    slots = {
        "title": escape(f"{video.name} — framelabel report"),
        "css": asset("report.css"),
        "summary": parts.summary,
        "player": player_html(video, page_dir),
        "gates": gates_html(data.get("gates") is not None),
        "review": parts.review,
        "segments": parts.segments,
        "truth": parts.truth,
        "model_card": parts.model_card,
        "version": escape(__version__),
        "data": script_json(data),
        "js": asset("report.js"),
    }
    page = asset("report.html")
    for key, value in slots.items():
        page = page.replace(f"<!--slot:{key}-->", value)
    return page

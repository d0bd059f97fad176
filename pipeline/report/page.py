"""Fill the page template: static sections, the data JSON, the inline CSS and script.

The template and its script and style live in `pipeline/report/assets/`; everything is inlined,
so the page is one file that needs nothing but the video it links to.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.errors import ConfigError
from pipeline.outputs.layout import relative_url
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


# How the page names its video: a path relative to the page (the default), the video itself
# inside the page (`report --embed`), or its bare file name (the page beside it in a zip).
VIDEO_LINKS = ("relative", "embed", "beside")
EMBED_MAX_MB = 64  # larger videos make a page browsers are slow to open: --zip instead


def video_src(video: LabelledVideo, page_dir: Path, link: str) -> str:
    """The <video src> for `link` (VIDEO_LINKS); ConfigError when a video is too big to embed."""
    player = video.media.player
    if link == "embed":
        size_mb = player.stat().st_size / 2**20
        if size_mb > EMBED_MAX_MB:
            raise ConfigError(
                f"{player.name} is {size_mb:.0f} MB; --embed takes videos up to {EMBED_MAX_MB} "
                "MB. Use --zip to share the page with its video, or label with --scale 0.5."
            )
        return "data:video/mp4;base64," + base64.b64encode(player.read_bytes()).decode("ascii")
    if link == "beside":
        return quote(player.name)
    return relative_url(player, page_dir)


def player_html(video: LabelledVideo, page_dir: Path, link: str = "relative") -> str:
    """The <video> element (annotated video, else the source) with the page's own control bar
    under it: the browser's controls would cover the ribbon burned into the picture's bottom
    whenever it is paused, which is when one reviews. A note when there is no video at all."""
    media = video.media
    if media.player is None:
        return (
            '<div class="novideo" id="novideo">No video found: neither '
            f"<code>{escape(video.name)}.annotated.mp4</code> nor the source video is beside "
            "this page (re-run label without --no-video, or pass --videos DIR).</div>"
        )
    src = video_src(video, page_dir, link)
    return (
        f'<video id="player" preload="auto" src="{escape(src)}" data-kind="{media.kind}" '
        f'data-link="{link}"></video>' + MISSING_VIDEO + CONTROLS
    )


# Shown when the linked video cannot be loaded (the page was moved without it): the script
# tries the source video recorded in segments.json, then offers a local file.
MISSING_VIDEO = (
    '<div class="missing" id="missing" hidden><b>The video could not be loaded</b>: '
    '<code id="missing-src"></code>. Keep this page beside its video, or '
    '<label class="pick">choose the video file <input type="file" id="pick-video" '
    'accept="video/*"></label>.</div>'
)
CONTROLS = (
    '<div class="controls" id="controls">'
    '<button type="button" id="play" title="play / pause (space)">&#9654;</button>'
    '<button type="button" data-frame="-1" title="one frame back (,)">&#8249;</button>'
    '<button type="button" data-frame="1" title="one frame forward (.)">&#8250;</button>'
    '<span id="clock" class="clock"></span>'
    '<select id="rate" title="playback speed">'
    '<option value="0.25">0.25x</option><option value="0.5">0.5x</option>'
    '<option value="1" selected>1x</option><option value="2">2x</option></select>'
    '<label title="the segments as subtitles (NAME.vtt)"><input type="checkbox" id="subs"> '
    "subtitles</label>"
    '<button type="button" id="mute" title="sound on / off">sound on</button>'
    '<span class="zoom">zoom <button type="button" id="zoom-out" title="zoom out (-)">&minus;'
    '</button><button type="button" id="zoom-in" title="zoom in (+)">+</button>'
    '<button type="button" id="zoom-all" title="whole video (0)">all</button></span>'
    "</div>"
)


def gates_html(has_gates: bool) -> str:
    return '<div id="gates" class="gates"></div>' if has_gates else NO_GATES


FOOTER = {
    "relative": "the video is linked, not embedded: keep the page beside it.",
    "embed": "the video is inside this page.",
    "beside": "the video is linked by its name: keep the page beside it.",
}


def render_page(
    video: LabelledVideo,
    parts: PageParts,
    data: dict[str, Any],
    page_dir: Path,
    link: str = "relative",
) -> str:
    """The complete page as one string; `link`: how it names its video (VIDEO_LINKS)."""
    slots = {
        "footer": FOOTER[link],
        "title": escape(f"{video.name} — framelabel report"),
        "css": asset("report.css"),
        "summary": parts.summary,
        "player": player_html(video, page_dir, link),
        "gates": gates_html(data.get("gates") is not None),
        "review": parts.review,
        "segments": parts.segments,
        "truth": parts.truth,
        "model_card": parts.model_card,
        "version": escape(__version__),
        "data": script_json(data),
        "js": asset("edit.js") + asset("report.js"),  # the editor first: report.js starts it
    }
    page = asset("report.html")
    for key, value in slots.items():
        page = page.replace(f"<!--slot:{key}-->", value)
    return page

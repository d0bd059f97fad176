"""The page's static sections as HTML strings: summary, review cards, segment table, scores
against the truth, model card. Every value from a file is escaped; elements with `data-t`
(seconds on the player's clock) seek when clicked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from pipeline.report.data import LabelledVideo
from pipeline.report.payload import hex_colors, row_time
from pipeline.report.review import ReviewItem
from pipeline.report.thumbnails import jpeg_data_uri
from pipeline.report.truth import TruthScores


def fmt_time(seconds: float) -> str:
    """`m:ss.ss` (`h:mm:ss.ss` past an hour)."""
    if not math.isfinite(seconds):
        return "-"
    minutes, sec = divmod(max(0.0, seconds), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    head = f"{hours}:{minutes:02d}" if hours else f"{minutes}"
    return f"{head}:{sec:05.2f}"


def fmt_num(value: float | None, digits: int = 3) -> str:
    """A number with `digits` decimals; "-" for None/NaN (nothing to measure)."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    return f"{float(value):.{digits}f}"


def chip(name: str, color: str) -> str:
    """A class name with its colour swatch."""
    return f'<span class="chip"><i style="background:{color}"></i>{escape(name)}</span>'


def shares(labels: np.ndarray, classes: Sequence[str]) -> list[tuple[int, float]]:
    """(class id, share of rows) for the classes present, largest first."""
    counts = np.bincount(labels, minlength=len(classes)) / max(1, len(labels))
    return [(int(k), float(counts[k])) for k in np.argsort(-counts, kind="stable") if counts[k]]


def share_bar(labels: np.ndarray, classes: Sequence[str]) -> str:
    """A thin stacked bar of label shares with a text legend."""
    colors = hex_colors(len(classes))
    parts = shares(labels, classes)
    bar = "".join(
        f'<i style="width:{share * 100:.2f}%;background:{colors[k]}" '
        f'title="{escape(classes[k])} {share:.1%}"></i>'
        for k, share in parts
    )
    legend = ", ".join(f"{escape(classes[k])} {share:.1%}" for k, share in parts)
    return f'<span class="sharebar">{bar}</span> <span class="muted">{legend}</span>'


def summary_html(video: LabelledVideo) -> str:
    """One line: duration, frames, segments, label shares, and which video plays."""
    track, media = video.track, video.media
    playing = escape(media.player.name) if media.player is not None else "no video found"
    return (
        f'<p class="summary">{fmt_time(media.end_s)} &middot; {len(track)} labelled frames '
        f"&middot; {len(video.segments)} segments &middot; playing "
        f'<code id="playing">{playing}</code></p>'
        f'<p class="summary">{share_bar(track.labels, video.classes)}</p>'
    )


MAX_PAIRS = 2  # label pairs named on a review card


def _card(item: ReviewItem, video: LabelledVideo, thumb: str | None) -> str:
    classes, colors = video.classes, hex_colors(len(video.classes))
    t0 = row_time(video.media, item.start)
    t1 = row_time(video.media, item.end)
    img = (
        f'<img src="{thumb}" alt="frame {item.thumb_row}">'
        if thumb
        else '<span class="nothumb"></span>'
    )
    named = [(chip(classes[p], colors[p]), t) for p, t in item.pairs[:MAX_PAIRS]]
    if item.kind == "disagreement":
        what = "; ".join(f"{p} where truth is {chip(classes[t], colors[t])}" for p, t in named)
    else:
        what = ", ".join(p for p, _ in named)
    start_s = float(video.track.pts_s[item.start])
    frames = item.end - item.start
    return (
        f'<a class="card" href="#t={t0}" data-t="{t0}" data-kind="{escape(item.kind)}">{img}'
        f'<span class="kind">{escape(item.kind)}</span>'
        f"<span>{fmt_time(start_s)} &middot; {frames} frame{'s' if frames != 1 else ''} "
        f"({t1 - t0:.2f} s) &middot; conf {item.mean_confidence:.2f}</span>"
        f'<span class="what">{what}</span></a>'
    )


def review_html(items: Sequence[ReviewItem], video: LabelledVideo, thumbs: dict[int, str]) -> str:
    """Cards, in ranked order, each a seek link with its thumbnail."""
    if not items:
        return '<p class="muted">Nothing stands out: no low-confidence stretch and no disagreement.</p>'
    return (
        '<div class="cards">'
        + "".join(_card(it, video, thumbs.get(it.thumb_row)) for it in items)
        + "</div>"
    )


def _segment_row(
    i: int,
    video: LabelledVideo,
    colors: list[str],
    ids: dict[str, int],
    thumbs: dict[int, str] | None = None,
) -> str:
    seg = video.segments[i]
    t0 = row_time(video.media, seg.rows[0])
    dur = seg.end_s - seg.start_s
    color = colors[ids[seg.label]] if seg.label in ids else "#888"
    cells = [
        (i, str(i + 1)),
        (seg.start_s, fmt_time(seg.start_s)),
        (seg.end_s, fmt_time(seg.end_s)),
        (dur, f"{dur:.2f}"),
        (seg.label, chip(seg.label, color)),
        (seg.mean_confidence, f"{seg.mean_confidence:.3f}"),
        (seg.start_frame, str(seg.start_frame)),
        (seg.rows[1] - seg.rows[0], str(seg.rows[1] - seg.rows[0])),
    ]
    if thumbs is not None:
        img = f'<img class="shot" src="{thumbs[i]}" alt="">' if i in thumbs else ""
        cells.append((i, img))
    tds = "".join(f'<td data-v="{escape(str(v))}">{text}</td>' for v, text in cells)
    return f'<tr data-t="{t0}" data-i="{i}">{tds}</tr>'


SEGMENT_HEADERS = ("#", "start", "end", "seconds", "label", "mean conf", "first frame", "frames")


def split_thumbnails(video: LabelledVideo) -> dict[int, str]:
    """{segment index: data URI} of the JPEGs `framelabel split --thumbnails` left beside the
    outputs (one per piece, shown on the segment the piece is named by)."""
    from pipeline.outputs.split import pieces_from_segments

    thumbs = {}
    for piece in pieces_from_segments(video.segments):
        path = video.out_dir / piece.file_name(video.name, ".jpg")
        named = [
            i
            for i, seg in enumerate(video.segments)
            if piece.start_frame <= seg.start_frame < piece.end_frame and seg.label == piece.label
        ]
        if path.is_file() and named:
            thumbs[named[0]] = jpeg_data_uri(path.read_bytes())
    return thumbs


def segments_html(video: LabelledVideo) -> str:
    """The segment table: click a header to sort, a row to seek; with the split's thumbnails
    when there are some."""
    colors = hex_colors(len(video.classes))
    ids = {name: i for i, name in enumerate(video.classes)}
    thumbs = split_thumbnails(video)
    headers = SEGMENT_HEADERS + (("shot",) if thumbs else ())
    head = "".join(f'<th data-col="{k}">{h}</th>' for k, h in enumerate(headers))
    rows = "".join(
        _segment_row(i, video, colors, ids, thumbs if thumbs else None)
        for i in range(len(video.segments))
    )
    return (
        f'<div class="tablewrap"><table id="segments" class="sortable">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _tiles(summary: dict[str, float], labelled: int) -> str:
    names = [("frame accuracy", "frame_accuracy", 3), ("macro-F1", "macro_f1", 3)]
    names += [("edit", "edit", 1), ("F1@10", "f1@10", 1), ("F1@25", "f1@25", 1)]
    names += [("F1@50", "f1@50", 1)]
    tiles = "".join(
        f'<div class="tile"><b>{fmt_num(summary.get(key), d)}</b><span>{label}</span></div>'
        for label, key, d in names
    )
    return f'<div class="tiles">{tiles}<div class="tile"><b>{labelled}</b><span>labelled frames</span></div></div>'


def per_class_html(truth: TruthScores, classes: Sequence[str]) -> str:
    colors = hex_colors(len(classes))
    pc = truth.per_class
    rows = "".join(
        f"<tr><td>{chip(name, colors[k])}</td><td>{fmt_num(pc['precision'][k])}</td>"
        f"<td>{fmt_num(pc['recall'][k])}</td><td>{fmt_num(pc['f1'][k])}</td>"
        f"<td>{int(pc['support'][k])}</td></tr>"
        for k, name in enumerate(classes)
    )
    head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    return f'<table class="scores"><thead>{head}</thead><tbody>{rows}</tbody></table>'


# A cell shaded above this share gets light text: dark text on it falls under 4.5:1 contrast.
DARK_CELL = 0.45


def confusion_html(cm: np.ndarray, classes: Sequence[str]) -> str:
    """Counts, rows = truth, columns = prediction; cells shaded by the share of their row."""
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)
    head = "".join(f"<th>{escape(c)}</th>" for c in classes)
    body = ""
    for i, name in enumerate(classes):
        cells = "".join(
            f'<td class="{"diag" if i == j else "off"}{" dark" if share[i, j] > DARK_CELL else ""}" '
            f'style="--a:{share[i, j]:.3f}" '
            f'title="{share[i, j]:.1%} of true {escape(name)}">{int(cm[i, j])}</td>'
            for j in range(len(classes))
        )
        body += f"<tr><th>{escape(name)}</th>{cells}</tr>"
    return (
        f'<table class="confusion"><thead><tr><th class="corner">truth \\ predicted</th>{head}'
        f"</tr></thead><tbody>{body}</tbody></table>"
    )


def boundary_html(truth: TruthScores) -> str:
    if not truth.boundaries:
        return '<p class="muted">No boundary classes (the truth has a single class).</p>'
    rows = "".join(
        f"<tr><td>{escape(b.name)}</td><td>{fmt_num(b.precision)}</td><td>{fmt_num(b.recall)}</td>"
        f"<td>{fmt_num(b.f1)}</td><td>{b.tp}</td><td>{b.fp}</td><td>{b.fn}</td></tr>"
        for b in truth.boundaries
    )
    head = "<tr><th>onsets of</th><th>P</th><th>R</th><th>F1</th><th>tp</th><th>fp</th><th>fn</th></tr>"
    note = (
        f'<p class="muted">A predicted onset (first frame of a run of the class) matches one '
        f"true onset within &plusmn;{truth.tolerance} frames.</p>"
    )
    return f'<table class="scores"><thead>{head}</thead><tbody>{rows}</tbody></table>{note}'


def truth_html(truth: TruthScores | None, classes: Sequence[str]) -> str:
    """Scores against the truth, or how to get them."""
    if truth is None:
        return (
            '<p class="muted">No truth given: run <code>framelabel report OUT --gt FILE</code>.</p>'
        )
    return (
        f'<p class="muted">Truth: <code>{escape(truth.path.name)}</code></p>'
        + _tiles(truth.summary, truth.labelled_rows)
        + '<div class="cols"><div><h3>Per class (frames)</h3>'
        + per_class_html(truth, classes)
        + "</div><div><h3>Confusion matrix</h3>"
        + confusion_html(truth.confusion, classes)
        + "</div></div><h3>Boundaries</h3>"
        + boundary_html(truth)
    )


def metrics_json_html(metrics: dict | None) -> str:
    """NAME.metrics.json as `label --gt` wrote it, when present."""
    if not metrics:
        return ""
    shown = {
        k: fmt_num(v) if v is None or isinstance(v, float) else str(v) for k, v in metrics.items()
    }
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(v)}</td></tr>" for k, v in shown.items()
    )
    return (
        f'<h3>metrics.json (from label)</h3><table class="scores kv"><tbody>{rows}</tbody></table>'
    )


def model_card_html(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>"
        if k == "command"
        else f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
        for k, v in rows
    )
    return f'<table class="kv"><tbody>{body}</tbody></table>'

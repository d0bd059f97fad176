"""The annotated-video overlay: label + confidence, timecode, legend and timeline ribbons.

Drawing runs once per output frame and the annotated writer is the end-to-end bottleneck, so
everything that does not change is prepared in `Overlay.__init__` (layout, legend and ribbon
tags pre-rendered as sprites, the ground-truth ribbon painted in full), and `draw` touches only
the small regions it owns: the ribbons live in small persistent images updated by one column
per frame and copied into the frame; the translucent boxes darken only their own pixels.

Layout (all sizes scale with the frame height, so it reads at 176x144 and at 1080p):

    +-------------------------------+
    | label 87%  |                  |   info box: label, confidence bar, timecode, frame number
    | [=====   ] |                  |
    | 00:00:01.0 |                  |
    |                               |
    | [#] walk [#] run [#] sit      |   legend (wraps; "+k" when classes do not fit)
    | pred  ||||||||||||||||||||    |   prediction ribbon, filling as the video plays, playhead
    | truth |||||||||||||||||||||||||   ground truth (only with gt_labels), known in full
    +-------------------------------+
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.outputs.colors import (
    FONT,
    UNLABELED_RGB,
    WHITE,
    Sprite,
    class_colors,
    fit_text,
    render_legend,
    style_for,
    text_width,
)

__all__ = ["Overlay", "class_colors", "format_timecode"]

_BAR_BG = (90, 90, 90)  # the unfilled part of the confidence bar


def _darken(view: np.ndarray) -> None:
    """Scale `view` to 3/8 brightness in place (two shifts: far cheaper than a float blend)."""
    np.right_shift(view, 1, out=view)
    np.subtract(view, view >> 2, out=view)


def format_timecode(t_s: float) -> str:
    """`HH:MM:SS.mmm` (a leading '-' for negative pts, `--:--:--.---` when unknown)."""
    if not math.isfinite(t_s):
        return "--:--:--.---"
    sign = "-" if t_s < 0 else ""
    total_ms = round(abs(t_s) * 1000.0)
    hours, rem = divmod(total_ms, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    seconds, ms = divmod(rem, 1000)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


class _Ribbon:
    """The prediction (and optional ground-truth) ribbons as small persistent images.

    Timeline mode (`total_frames` known): position p owns columns [p*w//N, (p+1)*w//N) (at
    least one; with more frames than columns the last frame drawn into a column wins), and
    columns left of the playhead keep their colour. Scroll mode (`total_frames` None): a ring
    buffer of the last `w` positions, one column each, shown oldest to newest.
    """

    def __init__(
        self, width: int, height: int, lut: np.ndarray, total_frames: int | None,
        gt_labels: np.ndarray | None,
    ) -> None:  # fmt: skip
        self.w, self.total = width, total_frames
        self.lut = lut  # (C + 1, 3) uint8 RGB; row C is "unlabeled"
        self.pred = np.zeros((height, width, 3), np.uint8)
        self.gt_labels = gt_labels
        self.gt: np.ndarray | None = None
        if gt_labels is not None:
            self.gt = np.zeros_like(self.pred)
            if total_frames is not None:  # known in full: paint it once
                # Column c shows the last position p with p*w//N <= c, as `update` leaves it.
                cols = np.arange(width, dtype=np.int64)
                owner = np.minimum(((cols + 1) * total_frames - 1) // width, total_frames - 1)
                self.gt[:] = self.lut[self._gt_ids(owner)][None]  # (1, w, 3) -> (h, w, 3)
        self.filled = 0  # timeline: columns [0, filled) hold predictions
        self.head = 0  # playhead column
        self.newest = -1  # scroll: newest position written

    def _gt_ids(self, positions: np.ndarray) -> np.ndarray:
        """LUT rows for the ground truth at `positions`: outside it or negative -> unlabeled."""
        gt, n_cls = self.gt_labels, len(self.lut) - 1
        ids = np.full(positions.shape, n_cls, np.int64)
        inside = positions < len(gt)
        vals = gt[positions[inside]]
        ids[inside] = np.where(vals >= 0, vals, n_cls)
        return ids

    def _col(self, position: int) -> int:
        """First column of `position` on the timeline (w when past the end)."""
        return min(self.w, position * self.w // self.total)

    def update(self, position: int, label: int) -> None:
        """Record `label` at `position`; skipped positions take the same label."""
        color = self.lut[label]
        if self.total is not None:
            x0 = min(self._col(position), self.w - 1)  # clamp: frame counts can be wrong
            x1 = min(max(x0 + 1, self._col(position + 1)), self.w)
            start = min(self.filled, x0)  # fills the gap left by skipped positions
            self.pred[:, start:x1] = color
            self.filled, self.head = max(self.filled, x1), x1
            return
        if position > self.newest:
            new = np.arange(max(self.newest + 1, position - self.w + 1), position + 1)
            self.pred[:, new % self.w] = color
            if self.gt is not None:
                self.gt[:, new % self.w] = self.lut[self._gt_ids(new)]
            self.newest = position
        elif position > self.newest - self.w:  # a re-drawn position still in the window
            self.pred[:, position % self.w] = color
        self.head = min(self.newest + 1, self.w)

    def blit(self, pred_view: np.ndarray, gt_view: np.ndarray | None) -> None:
        """Copy the ribbons into the frame views; the not-yet-played part is darkened."""
        if self.total is not None:
            pred_view[:, : self.filled] = self.pred[:, : self.filled]
            _darken(pred_view[:, self.filled :])
            if gt_view is not None:
                gt_view[...] = self.gt
            return
        n = self.newest + 1
        for view, img in ((pred_view, self.pred), (gt_view, self.gt)):
            if view is None:
                continue
            if n <= self.w:
                view[:, :n] = img[:, :n]
                _darken(view[:, n:])
            else:  # ring buffer: oldest column sits at n % w
                k = n % self.w
                view[:, : self.w - k] = img[:, k:]
                view[:, self.w - k :] = img[:, :k]


class Overlay:
    """Draws the label overlay onto RGB uint8 frames of one video, in place.

    Build one per video (the layout, legend and ground-truth ribbon are prepared here), then
    call `draw` once per output frame in presentation order. `regions` names every rectangle
    `draw` may touch as `(x0, y0, x1, y1)`, end exclusive; pixels outside them are never written.

    Args:
        width: frame width in px.
        height: frame height in px.
        class_names: the model's classes; class id i is drawn in `class_colors(C)[i]`.
        total_frames: frames the output will have (positions 0..total_frames-1): the ribbon
            is a timeline of the whole video. None when unknown: the ribbon scrolls and shows
            the most recent frames, one column each.
        fps: frame rate, used for the timecode only when a frame has no finite pts.
        gt_labels: optional (total_frames,) ground-truth class ids by position (negative =
            unlabeled): drawn as a second ribbon, "truth", under the prediction ribbon "pred".
    """

    def __init__(
        self,
        width: int,
        height: int,
        class_names: Sequence[str],
        total_frames: int | None,
        fps: float,
        gt_labels: np.ndarray | None = None,
    ) -> None:
        if width < 1 or height < 1:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        if not class_names:
            raise ValueError("class_names is empty; expected at least one class")
        if total_frames is not None and total_frames < 1:
            raise ValueError(f"total_frames must be >= 1 or None, got {total_frames}")
        self.width, self.height = int(width), int(height)
        self.class_names = [str(n) for n in class_names]
        self.fps = float(fps) if fps is not None and math.isfinite(fps) and fps > 0 else None
        self._lut = np.array([*class_colors(len(class_names)), UNLABELED_RGB], np.uint8)
        self._style = style_for(self.height)
        self.regions: dict[str, tuple[int, int, int, int]] = {}
        self._layout_info(total_frames)
        ribbon_top = self._layout_ribbons(total_frames, self._checked_gt(gt_labels))
        self._legend = self._layout_legend(ribbon_top)

    def _checked_gt(self, gt_labels: np.ndarray | None) -> np.ndarray | None:
        """Ground truth as (T,) int64; ValueError for ids past the class list."""
        if gt_labels is None:
            return None
        gt = np.asarray(gt_labels)
        if gt.ndim != 1 or (gt.size and not np.issubdtype(gt.dtype, np.integer)):
            raise ValueError(f"gt_labels must be (T,) integers, got {gt.shape} {gt.dtype}")
        if gt.size and gt.max() >= len(self.class_names):
            raise ValueError(
                f"gt_labels holds class id {gt.max()}; expected ids < {len(self.class_names)} "
                "(the number of classes)"
            )
        return gt.astype(np.int64)

    def _layout_info(self, total_frames: int | None) -> None:
        """Top-left box: `label 87%`, a confidence bar, then `HH:MM:SS.mmm #frame`."""
        st = self._style
        self._time_scale = max(0.3, st.scale * 0.8)  # secondary text: smaller, still legible
        self._time_thick = max(1, round(self._time_scale * 1.6))
        digits = len(str(total_frames)) if total_frames else 6
        time_w = text_width(f"00:00:00.000 #{'0' * digits}", self._time_scale, self._time_thick)
        pct_w = text_width(" 100%", st.scale, st.thick)
        label_w = max(text_width(n, st.scale, st.thick) for n in self.class_names) + pct_w
        want_w = max(label_w, time_w, 6 * st.text_h)
        content_w = max(1, min(want_w, self.width - 4 * st.pad))
        self._names_fit = [
            fit_text(n, max(1, content_w - pct_w), st.scale, st.thick) for n in self.class_names
        ]
        x0 = y0 = st.pad
        tx = x0 + st.pad
        self._label_org = (tx, y0 + st.pad + st.text_h)
        bar_y0 = self._label_org[1] + st.baseline
        self._bar = (tx, bar_y0, tx + content_w, bar_y0 + max(2, st.text_h // 3))
        (_, time_h), time_base = cv2.getTextSize("0", FONT, self._time_scale, self._time_thick)
        self._time_org = (tx, self._bar[3] + st.pad + time_h)
        # Text that does not fit is cut by the frame edge: then the box reaches that edge.
        x1 = self.width if content_w < want_w else min(tx + content_w + st.pad, self.width)
        y1 = min(self._time_org[1] + time_base + st.pad, self.height)
        self.regions["info"] = (x0, y0, x1, y1)

    def _layout_ribbons(self, total_frames: int | None, gt: np.ndarray | None) -> int:
        """Bottom ribbons (pred, and truth under it) with their tags; returns the top y used."""
        st = self._style
        rh = st.ribbon_h
        tag_scale = max(0.25, st.scale * min(1.0, rh / st.text_h))
        tag_w = 0 if gt is None else text_width("truth", tag_scale, st.thick) + 2 * st.pad
        x0 = st.pad + tag_w
        rw = self.width - st.pad - x0 - st.playhead_w  # the playhead may sit right of the data
        gap = max(1, rh // 6)
        bottom = self.height - st.pad
        top = bottom - (rh if gt is None else 2 * rh + gap)
        self._ribbon = None
        if rw < 1 or top < 0:
            return self.height - st.pad  # too small for a ribbon
        self._ribbon = _Ribbon(rw, rh, self._lut, total_frames, gt)
        self.regions["ribbon_pred"] = (x0, top, x0 + rw, top + rh)
        if gt is not None:
            self.regions["ribbon_truth"] = (x0, bottom - rh, x0 + rw, bottom)
        ext = min(st.pad, max(1, rh // 4))  # the playhead overhangs the ribbons a little
        self._playhead_y = (max(0, top - ext), bottom + ext)
        self.regions["playhead"] = (x0, self._playhead_y[0], x0 + rw + st.playhead_w, bottom + ext)
        self._tags = None
        if gt is not None:
            self._tags = Sprite(tag_w, bottom - top, st.pad, top)
            tag_h = cv2.getTextSize("Ag", FONT, tag_scale, st.thick)[0][1]
            for name, y in (("pred", 0), ("truth", rh + gap)):
                self._tags.text(name, (st.pad, y + (rh + tag_h) // 2), tag_scale, st.thick)
            self.regions["tags"] = self._tags.rect_xyxy
        return self._playhead_y[0]

    def _layout_legend(self, ribbon_top: int) -> Sprite | None:
        """Legend rows just above the ribbons, below the info box, at most 3 rows / 25% height."""
        st = self._style
        row_h = st.text_h + st.baseline + st.pad
        room_h = min(ribbon_top - st.pad - (self.regions["info"][3] + st.pad), self.height // 4)
        max_rows = min(3, (room_h - st.pad) // row_h)
        colors = [tuple(int(v) for v in c) for c in self._lut[:-1]]
        sprite = render_legend(
            self.class_names, colors, st, self.width - 2 * st.pad, max_rows, ribbon_top - st.pad
        )
        if sprite is not None:
            self.regions["legend"] = sprite.rect_xyxy
        return sprite

    def _checked_frame(self, rgb: np.ndarray) -> np.ndarray:
        """The frame itself when drawable in place, else a contiguous writable copy."""
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"frame must be ({self.height}, {self.width}, 3) uint8 as this Overlay was built "
                f"for, got {rgb.shape} {rgb.dtype}"
            )
        if rgb.flags.c_contiguous and rgb.flags.writeable:
            return rgb
        return np.array(rgb, order="C")  # a writable, contiguous copy cv2 can draw into

    def draw(
        self,
        rgb: np.ndarray,
        position: int,
        frame_index: int,
        pts_s: float,
        label: int,
        confidence: float,
    ) -> np.ndarray:
        """Draw the overlay for one frame; returns `rgb` (drawn in place), or a drawn copy when
        `rgb` is read-only or not C-contiguous.

        Args:
            rgb: (H, W, 3) uint8 RGB frame of the size given to the constructor.
            position: 0-based position of this frame in the output (the ribbon's x axis).
            frame_index: decoded-frame number shown as `#n`.
            pts_s: presentation time in seconds shown as `HH:MM:SS.mmm`.
            label: predicted class id for this frame.
            confidence: probability of `label`, 0..1.
        """
        frame = self._checked_frame(rgb)
        if not 0 <= label < len(self.class_names):
            raise ValueError(f"label {label} is not a class id in [0, {len(self.class_names)})")
        if position < 0:
            raise ValueError(f"position must be >= 0, got {position}")
        if self._legend is not None:
            self._legend.blit(frame)
        if self._ribbon is not None:
            self._ribbon.update(int(position), int(label))
            self._draw_ribbons(frame)
        self._draw_info(frame, int(frame_index), float(pts_s), int(label), float(confidence))
        return frame

    def _draw_ribbons(self, frame: np.ndarray) -> None:
        """Ribbons, tags and playhead."""
        x0, y0, x1, y1 = self.regions["ribbon_pred"]
        gt_view = None
        if "ribbon_truth" in self.regions:
            gx0, gy0, gx1, gy1 = self.regions["ribbon_truth"]
            gt_view = frame[gy0:gy1, gx0:gx1]
        self._ribbon.blit(frame[y0:y1, x0:x1], gt_view)
        if self._tags is not None:
            self._tags.blit(frame)
        px, (py0, py1) = x0 + self._ribbon.head, self._playhead_y
        frame[py0:py1, px : px + self._style.playhead_w] = WHITE

    def _draw_info(
        self, frame: np.ndarray, frame_index: int, pts_s: float, label: int, confidence: float
    ) -> None:
        """The top-left box: darkened backdrop, label + percent, confidence bar, timecode."""
        st = self._style
        x0, y0, x1, y1 = self.regions["info"]
        _darken(frame[y0:y1, x0:x1])
        conf = min(max(confidence, 0.0), 1.0) if math.isfinite(confidence) else 0.0
        text = f"{self._names_fit[label]} {int(conf * 100.0 + 0.5)}%"
        cv2.putText(frame, text, self._label_org, FONT, st.scale, WHITE, st.thick, cv2.LINE_AA)
        bx0, by0, bx1, by1 = self._bar
        frame[by0:by1, bx0:bx1] = _BAR_BG
        frame[by0:by1, bx0 : bx0 + round(conf * (bx1 - bx0))] = self._lut[label]
        if not math.isfinite(pts_s) and self.fps is not None:
            pts_s = frame_index / self.fps
        text = f"{format_timecode(pts_s)} #{frame_index}"
        cv2.putText(
            frame, text, self._time_org, FONT, self._time_scale, WHITE, self._time_thick,
            cv2.LINE_AA,
        )  # fmt: skip

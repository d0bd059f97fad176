"""The annotated-video overlay: what lands where, what stays untouched, sizes, speed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from pipeline.outputs.colors import UNLABELED_RGB, class_colors
from pipeline.outputs.overlay import Overlay, format_timecode

CLASSES = ["walk", "run", "sit_down_slowly", "stand"]
COLORS = class_colors(len(CLASSES))


def _photo(width: int, height: int) -> np.ndarray:
    """A real photo at the requested size, (H, W, 3) uint8 RGB."""
    return np.ascontiguousarray(cv2.resize(skimage.data.astronaut(), (width, height)))


def _darkened(rgb: np.ndarray) -> np.ndarray:
    """What the overlay's translucent backdrop does to a pixel: 3/8 brightness."""
    half = rgb >> 1
    return half - (half >> 2)


def _outside_mask(ov: Overlay) -> np.ndarray:
    """(H, W) True where no overlay region lies."""
    mask = np.ones((ov.height, ov.width), bool)
    for x0, y0, x1, y1 in ov.regions.values():
        mask[y0:y1, x0:x1] = False
    return mask


def test_class_colors_fixed_and_distinct() -> None:
    assert class_colors(0) == []
    assert class_colors(1) == [(31, 119, 180)]  # tab10 blue
    many = class_colors(60)
    assert class_colors(7) == many[:7]  # a class keeps its colour whatever the class count
    assert len(set(many)) == 60 and UNLABELED_RGB not in many
    assert all(isinstance(v, int) and 0 <= v <= 255 for c in many for v in c)
    with pytest.raises(ValueError):
        class_colors(-1)


def test_format_timecode() -> None:
    assert format_timecode(1.04) == "00:00:01.040"
    assert format_timecode(3725.0071) == "01:02:05.007"
    assert format_timecode(-0.5) == "-00:00:00.500"
    assert format_timecode(float("nan")) == "--:--:--.---"


@pytest.mark.parametrize("size", [(65, 49), (176, 144), (333, 187), (1920, 1080)])
@pytest.mark.parametrize("with_gt", [False, True])
@pytest.mark.parametrize("total_frames", [40, None])
def test_draws_only_inside_its_regions(
    size: tuple[int, int], with_gt: bool, total_frames: int | None
) -> None:
    width, height = size
    gt = np.arange(40) // 10 % len(CLASSES) if with_gt else None
    ov = Overlay(width, height, CLASSES, total_frames, 25.0, gt)
    assert {"info", "ribbon_pred", "playhead"} <= set(ov.regions)
    assert ("ribbon_truth" in ov.regions) == with_gt
    for x0, y0, x1, y1 in ov.regions.values():
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    photo, outside = _photo(width, height), _outside_mask(ov)
    for p in range(0, 40, 3):
        frame = photo.copy()
        out = ov.draw(frame, p, p, p / 25.0, p // 10 % len(CLASSES), 0.7)
        assert out is frame  # drawn in place
        changed = (frame != photo).any(axis=2)  # (H, W)
        assert not (changed & outside).any(), np.argwhere(changed & outside)[:5]
        for name, (x0, y0, x1, y1) in ov.regions.items():
            assert (frame[y0:y1, x0:x1] != photo[y0:y1, x0:x1]).any(), name


def test_timeline_ribbon_colours_at_expected_x() -> None:
    total = 100
    gt = np.where(np.arange(total) < 50, 3, 1)
    gt[10:20] = -1  # unlabeled stretch
    ov = Overlay(1280, 720, CLASSES, total, 25.0, gt)
    x0, y0, x1, y1 = ov.regions["ribbon_pred"]
    gx0, gy0, gx1, gy1 = ov.regions["ribbon_truth"]
    width = x1 - x0

    def col(p: int) -> int:
        return x0 + p * width // total

    photo = _photo(1280, 720)
    # The ground truth is known in full from the first frame on.
    frame = ov.draw(photo.copy(), 0, 0, 0.0, 0, 0.9)
    for p in (0, 15, 49, 50, 99):
        expected = UNLABELED_RGB if 10 <= p < 20 else COLORS[gt[p]]
        assert (frame[gy0:gy1, col(p) - x0 + gx0] == expected).all(), p
    for p in range(1, 60):  # the prediction ribbon fills as the video plays
        frame = ov.draw(photo.copy(), p, p, p / 25.0, p // 20, 0.9)
    for p in range(60):
        assert (frame[y0:y1, col(p)] == COLORS[p // 20]).all(), p
    head = col(60)
    assert (frame[y0:y1, head] == 255).all()  # the playhead
    np.testing.assert_array_equal(
        frame[y0:y1, head + 2 : x1], _darkened(photo[y0:y1, head + 2 : x1])
    )  # the future is only darkened: the footage shows through


def test_skipped_positions_leave_no_gaps() -> None:
    ov = Overlay(640, 360, CLASSES, 300, 25.0)
    x0, y0, x1, y1 = ov.regions["ribbon_pred"]
    photo = _photo(640, 360)
    for p in range(0, 300, 7):  # e.g. a labeler that samples every 7th frame
        frame = ov.draw(photo.copy(), p, p, p / 25.0, 2, 0.5)
    filled = x0 + 294 * (x1 - x0) // 300
    assert (frame[y0:y1, x0:filled] == COLORS[2]).all()


def test_scrolling_ribbon_without_total_frames() -> None:
    ov = Overlay(176, 144, CLASSES, None, 25.0, gt_labels=np.arange(500) // 7 % 4)
    x0, y0, x1, y1 = ov.regions["ribbon_pred"]
    gx0, gy0, gx1, gy1 = ov.regions["ribbon_truth"]
    width = x1 - x0
    photo = _photo(176, 144)

    def label(p: int) -> int:
        return p // 5 % len(CLASSES)

    for p in range(6):
        frame = ov.draw(photo.copy(), p, p, p / 25.0, label(p), 0.5)
    assert all((frame[y0:y1, x0 + p] == COLORS[label(p)]).all() for p in range(6))
    assert (frame[y0:y1, x0 + 6] == 255).all()  # the playhead follows the newest frame
    for p in range(6, width + 30):
        frame = ov.draw(photo.copy(), p, p, p / 25.0, label(p), 0.5)
    newest = width + 29
    for j in range(width):  # oldest on the left, newest on the right, truth aligned
        p = newest - width + 1 + j
        assert (frame[y0:y1, x0 + j] == COLORS[label(p)]).all(), j
        assert (frame[gy0:gy1, gx0 + j] == COLORS[p // 7 % 4]).all(), j
    assert (frame[y0:y1, x1] == 255).all()


def _bar_pixels(frame: np.ndarray, ov: Overlay, color: tuple[int, int, int]) -> int:
    """Length of the longest row run of `color` pixels in the info box (the confidence bar)."""
    x0, y0, x1, y1 = ov.regions["info"]
    return int((frame[y0:y1, x0:x1] == color).all(axis=2).sum(axis=1).max())


def test_info_box_label_confidence_and_timecode() -> None:
    ov = Overlay(1280, 720, CLASSES, None, 25.0)
    photo = _photo(1280, 720)
    full = _bar_pixels(ov.draw(photo.copy(), 0, 0, 0.0, 1, 1.0), ov, COLORS[1])
    half = _bar_pixels(ov.draw(photo.copy(), 1, 1, 0.04, 1, 0.5), ov, COLORS[1])
    assert full > 50 and abs(half - full / 2) <= 1
    assert _bar_pixels(ov.draw(photo.copy(), 2, 2, 0.08, 1, 0.0), ov, COLORS[1]) == 0
    x0, y0, x1, y1 = ov.regions["info"]
    a = ov.draw(photo.copy(), 3, 3, 1.0, 0, 0.5)[y0:y1, x0:x1]
    b = ov.draw(photo.copy(), 3, 3, 1.0, 3, 0.5)[y0:y1, x0:x1]
    c = ov.draw(photo.copy(), 3, 3, 2.0, 3, 0.5)[y0:y1, x0:x1]
    assert (a != b).any() and (b != c).any()  # the label text and the timecode are drawn
    assert a.max() == 255  # white text on the darkened box


def test_many_classes_legend_is_capped() -> None:
    names = [f"class_{i:02d}" for i in range(48)]
    ov = Overlay(1280, 720, names, 100, 25.0)
    x0, y0, x1, y1 = ov.regions["legend"]
    assert y1 - y0 <= 720 // 4
    frame = ov.draw(_photo(1280, 720), 0, 0, 0.0, 47, 0.5)
    swatches = [c for c in class_colors(48) if (frame[y0:y1, x0:x1] == c).all(axis=2).any()]
    assert 5 < len(swatches) < 48  # some shown, the rest summarised as "+k"


def test_rejects_bad_input_and_copies_read_only_frames() -> None:
    ov = Overlay(64, 48, CLASSES, 10, 25.0)
    with pytest.raises(ValueError, match=r"\(48, 64, 3\) uint8"):
        ov.draw(np.zeros((48, 65, 3), np.uint8), 0, 0, 0.0, 0, 0.5)
    with pytest.raises(ValueError, match="class id"):
        ov.draw(np.zeros((48, 64, 3), np.uint8), 0, 0, 0.0, 4, 0.5)
    with pytest.raises(ValueError, match="expected ids < 4"):
        Overlay(64, 48, CLASSES, 10, 25.0, gt_labels=np.array([0, 4]))
    frozen = np.zeros((48, 64, 3), np.uint8)
    frozen.flags.writeable = False
    out = ov.draw(frozen, 0, 0, float("nan"), 0, float("nan"))
    assert out is not frozen and out.any() and not frozen.any()

"""Framing: constant borders found over time and cropped, a region of interest cut out."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data as photos

from pipeline.core.frames import Frame
from pipeline.errors import ConfigError
from pipeline.io.framing import (
    WARMUP_FRAMES,
    WINDOW_FRAMES,
    BorderTracker,
    Box,
    FramingSpec,
    decode_size,
    frame_bars,
    parse_roi,
)

ANALYSIS = (128, 72)
MODEL = (64, 36)


def _picture(w: int, h: int, photo=None) -> np.ndarray:
    img = photos.astronaut() if photo is None else photo
    return cv2.resize(np.ascontiguousarray(img[..., :3]), (w, h), interpolation=cv2.INTER_AREA)


def _boxed(inner: tuple[int, int, int, int], colour=(0, 0, 0), photo=None) -> np.ndarray:
    x, y, w, h = inner
    frame = np.empty((ANALYSIS[1], ANALYSIS[0], 3), np.uint8)
    frame[:] = colour
    frame[y : y + h, x : x + w] = _picture(w, h, photo)
    return frame


@pytest.mark.parametrize(
    ("inner", "bars"),
    [
        ((16, 0, 96, 72), (16, 0)),  # 4:3 pillarboxed in 16:9
        ((0, 10, 128, 52), (0, 10)),  # letterbox
        ((12, 8, 104, 56), (12, 8)),  # windowbox
        ((0, 0, 128, 72), (0, 0)),  # no border
    ],
)
@pytest.mark.parametrize("colour", [(0, 0, 0), (30, 60, 160)])
def test_bars_of_every_kind_and_colour(inner, bars, colour):
    found = frame_bars(_boxed(inner, colour))
    assert (found.x, found.y) == bars


def test_blank_frames_and_titles_on_black_are_no_evidence():
    assert frame_bars(np.zeros((72, 128, 3), np.uint8)).x is None
    assert frame_bars(np.full((72, 128, 3), 200, np.uint8)).x is None
    title = np.zeros((72, 128, 3), np.uint8)
    cv2.putText(title, "THE END", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    assert frame_bars(title).x is None


def _frames(images: list[np.ndarray]) -> list[Frame]:
    return [Frame(i, i / 25, img, img) for i, img in enumerate(images)]


def _track(images: list[np.ndarray], spec=None) -> tuple[list[Frame], BorderTracker]:
    tracker = BorderTracker(spec or FramingSpec(borders=True), MODEL, (1280, 720))
    return list(tracker.reframe(_frames(images))), tracker


def test_the_pillarboxed_picture_is_what_the_encoder_sees():
    pillar = _boxed((16, 0, 96, 72))
    out, tracker = _track([pillar] * 30)
    assert len(out) == 30 and [f.index for f in out] == list(range(30))
    expected = cv2.resize(pillar[:, 16:112], MODEL, interpolation=cv2.INTER_AREA)
    assert all(np.array_equal(f.model_rgb, expected) for f in out)
    assert [c.box for c in tracker.changes] == [Box(160, 0, 960, 720)]  # source pixels


def test_a_dark_opening_and_a_fade_to_black_do_not_move_the_crop():
    pillar = _boxed((16, 0, 96, 72))
    black = np.zeros_like(pillar)
    fade = [(pillar * a).astype(np.uint8) for a in np.linspace(1, 0, 20)]
    out, tracker = _track([black] * 5 + [pillar] * 40 + fade + [black] * 80 + [pillar] * 30)
    assert len(out) == 175
    assert [c.box for c in tracker.changes] == [Box(160, 0, 960, 720)]


def test_a_framing_change_is_followed():
    """4:3 archive clip inside a 16:9 programme: full frame, then bars, then full again."""
    full = _picture(128, 72, photos.coffee())
    pillar = _boxed((16, 0, 96, 72))
    out, tracker = _track([full] * 60 + [pillar] * 100 + [full] * 40)
    starts = [(c.frame, c.box) for c in tracker.changes]
    assert starts[0] == (0, Box(0, 0, 1280, 720))
    # bars that appear are cropped once a whole window shows them
    assert starts[1][1] == Box(160, 0, 960, 720)
    assert 60 < starts[1][0] <= 60 + WINDOW_FRAMES
    # a picture that fills the frame again is seen whole at once
    assert starts[2] == (160, Box(0, 0, 1280, 720))
    assert len(starts) == 3


def test_the_warm_up_decides_the_first_frames():
    pillar = _boxed((16, 0, 96, 72))
    out, tracker = _track([pillar] * (WARMUP_FRAMES + 5))
    assert tracker.changes[0].frame == 0 and tracker.changes[0].box.w == 960
    short, tracker = _track([pillar] * 3)  # a stream shorter than the warm-up: still framed
    assert len(short) == 3 and tracker.changes[0].box.w == 960


def test_region_of_interest_is_cut_first():
    full = _picture(128, 72)
    spec = FramingSpec(borders=False, roi=Box(0, 0, 1280, 360))  # the top half
    out, tracker = _track([full] * 5, spec)
    expected = cv2.resize(full[:36], MODEL, interpolation=cv2.INTER_AREA)
    assert np.array_equal(out[0].model_rgb, expected)
    assert tracker.changes[0].box == Box(0, 0, 1280, 360)


def test_roi_parsing_names_the_fix():
    assert parse_roi("10, 20,300,200") == Box(10, 20, 300, 200)
    for bad in ("10,20,300", "a,b,c,d", "0,0,0,10", "-1,0,5,5"):
        with pytest.raises(ConfigError, match="x,y,w,h"):
            parse_roi(bad)


def test_decode_size():
    assert decode_size(MODEL, False) == MODEL
    assert decode_size(MODEL, True) == ANALYSIS
    with pytest.raises(ConfigError, match="framing"):
        FramingSpec.from_mode("crop")

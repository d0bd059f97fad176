"""Fixing labels in the report page, in headless Chromium: each edit action, undo and redo,
corrections that survive a reload, and the NAME.corrected.csv the page downloads."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from pipeline.report import write_report
from tests.report.browser import _open, _press
from tests.report.conftest import FRAMES, Labelled

FPS = 25.0
ESCAPE = "\ue00c"  # selenium's Keys.ESCAPE (the word itself would be typed letter by letter)


@pytest.fixture(scope="module")
def page(labelled_master: Labelled) -> Path:
    return write_report(labelled_master.out, "clip")


@pytest.fixture
def fresh(browser, page: Path, tmp_path: Path):
    """The page with no corrections saved, and downloads going to a folder of the test's."""
    _open(browser, page)
    browser.execute_script("localStorage.clear()")
    _open(browser, page)
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.downloads = tmp_path
    yield browser
    browser.execute_script("localStorage.clear()")  # the next test's pages start unedited


def _edit(driver) -> dict:
    return driver.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).edit"
    )


def _at(driver, row: int) -> None:
    """Put the playhead on track row `row` (the annotated video plays row r at r / fps)."""
    driver.execute_script(f"location.hash = '#t={row / FPS:.4f}'")
    driver.execute_script("return new Promise(r => setTimeout(r, 60))")


def _csv(driver, reviewed_only: bool = False) -> list[dict]:
    """Press "Download corrections" and read the file the browser saved."""
    box = driver.find_element("id", "edit-reviewed-only")
    if box.is_selected() != reviewed_only:
        box.click()
    target = driver.downloads / "clip.corrected.csv"
    target.unlink(missing_ok=True)
    driver.find_element("css selector", "[data-action='\"download\"']").click()
    deadline = time.monotonic() + 10
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)  # the rename from .crdownload is the last step
    return list(csv.DictReader(io.StringIO(target.read_text())))


def _segments(rows: list[dict]) -> list[tuple[int, int, str]]:
    return [(int(r["start_frame"]), int(r["end_frame"]), r["label"]) for r in rows]


def _predicted(driver) -> list[list]:
    classes = driver.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).classes"
    )
    return [[a, b, classes[k]] for a, b, k in _edit(driver)["segments"]]


def test_the_editor_starts_from_the_prediction_and_downloads_segments_fit_reads(fresh) -> None:
    rows = _csv(fresh)
    assert list(rows[0]) == ["start_frame", "end_frame", "start_s", "end_s", "label"]
    assert [list(s) for s in _segments(rows)] == _predicted(fresh)
    assert rows[-1]["end_frame"] == str(FRAMES)
    for r in rows:  # seconds: each frame's pts on the 25 fps source
        assert float(r["start_s"]) == pytest.approx(int(r["start_frame"]) / FPS, abs=1e-6)


def test_relabel_split_cut_undo_reload_and_download(fresh, page: Path) -> None:
    """A whole round: relabel, split, add a cut, undo once, reload, download."""
    predicted = _predicted(fresh)
    _at(fresh, 5)
    _press(fresh, "3")  # the segment under the playhead becomes class 3 (gradual)
    _at(fresh, 60)
    _press(fresh, "s")
    _at(fresh, 10)
    _press(fresh, "c")
    assert (10, 11, "cut") in _segments(_csv(fresh))
    _press(fresh, "u")  # undo the cut
    _open(fresh, page)  # a reload: the corrections come back from localStorage
    expected = [list(s) for s in predicted]
    first = next(s for s in expected if s[0] <= 5 < s[1])
    first[2] = "gradual"
    i, split = next((i, s) for i, s in enumerate(expected) if s[0] <= 60 < s[1])
    expected[i : i + 1] = [[split[0], 60, split[2]], [60, split[1], split[2]]]
    assert [list(s) for s in _segments(_csv(fresh))] == expected


def test_each_edit_action_and_redo(fresh) -> None:
    predicted = [tuple(s) for s in _predicted(fresh)]
    long = max(predicted, key=lambda s: s[1] - s[0])
    mid = (long[0] + long[1]) // 2
    markers = "return document.querySelectorAll('#gates g.gate line.marker').length"
    before = fresh.execute_script(markers)
    _at(fresh, mid)
    _press(fresh, "s")
    assert (long[0], mid, long[2]) in _segments(_csv(fresh))
    assert fresh.execute_script(markers) == before + 4  # the gates panel marks the new start
    _press(fresh, "[")  # the new segment's start one frame earlier; the playhead follows
    assert (mid - 1, long[1], long[2]) in _segments(_csv(fresh))
    _press(fresh, "]")
    _press(fresh, "]")
    assert (mid + 1, long[1], long[2]) in _segments(_csv(fresh))
    _press(fresh, "M")  # merge back with the previous segment
    assert _segments(_csv(fresh)) == predicted
    _press(fresh, "u")
    _press(fresh, "U")  # redo the merge
    assert _segments(_csv(fresh)) == predicted
    # a selection relabels exactly its frames
    _at(fresh, mid - 2)
    _press(fresh, "i")
    _at(fresh, mid + 2)
    _press(fresh, "o")
    _press(fresh, "2")
    assert (mid - 2, mid + 3, "cut") in _segments(_csv(fresh))
    _press(fresh, ESCAPE)
    # remove it again: its neighbours, both the long segment's class, close over it
    _at(fresh, mid)
    _press(fresh, "x")
    assert _segments(_csv(fresh)) == predicted
    fresh.find_element("css selector", "[data-action='\"discard\"']").click()
    assert _segments(_csv(fresh)) == predicted
    assert fresh.execute_script("return localStorage.length") == 0


def test_a_false_cut_removed_and_a_missed_one_added(fresh) -> None:
    predicted = [tuple(s) for s in _predicted(fresh)]
    cut = next(s for s in predicted if s[2] == "cut")
    _at(fresh, cut[0])
    _press(fresh, "x")
    after = _segments(_csv(fresh))
    assert not any(s[0] == cut[0] and s[2] == "cut" for s in after)
    assert len(after) == len(predicted) - 2  # the two shots around it are one now
    _at(fresh, cut[0])
    _press(fresh, "c")
    assert _segments(_csv(fresh)) == predicted


def test_partial_review_downloads_only_the_reviewed_stretches(fresh) -> None:
    _at(fresh, 3)
    _press(fresh, "2")  # an edit marks the segment it touched reviewed
    first = _segments(_csv(fresh))[0]
    assert _segments(_csv(fresh, reviewed_only=True)) == [first]
    _at(fresh, 80)
    _press(fresh, "i")
    _at(fresh, 90)
    _press(fresh, "o")
    _press(fresh, "v")
    part = _segments(_csv(fresh, reviewed_only=True))
    assert part[0] == first and part[-1][1] == 91 and part[1][0] == 80
    status = fresh.execute_script("return document.getElementById('edit-diff').textContent")
    assert "reviewed" in status and "changed" in status

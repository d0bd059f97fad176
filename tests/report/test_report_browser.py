"""The report page in a real browser: headless Chromium driven by Selenium, network disabled.

Uses the system Chromium and chromedriver (Debian: apt-get install chromium chromium-driver);
nothing is downloaded. Without them, or without selenium, these tests skip with the reason.
A screenshot of each page goes to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.report import write_report
from tests.report.browser import (
    ARTIFACTS,
    _click_timeline,
    _now,
    _open,
    _press,
    _segment_starts,
)
from tests.report.conftest import Labelled


@pytest.fixture(scope="module")
def page(labelled_master: Labelled) -> Path:
    return write_report(labelled_master.out, "clip", gt=labelled_master.truth)


def test_page_loads_offline_with_no_console_error(browser, page: Path) -> None:
    _open(browser, page)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    state = browser.execute_script(
        "const v = document.getElementById('player'); return [v.readyState, v.error && v.error.code, v.duration]"
    )
    assert state[1] is None and state[0] >= 1 and state[2] > 3.0  # the annotated video plays
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_ribbons_traces_and_gates_are_drawn(browser, page: Path) -> None:
    _open(browser, page)
    count = browser.execute_script(
        "return (sel) => document.querySelectorAll(sel).length".replace("return ", "window.__c = ")
        + "; return [__c('#timeline g.pred rect'), __c('#timeline g.truth rect'),"
        " __c('#timeline g.prob polyline'), __c('#timeline g.conf polyline'),"
        " __c('#gates g.gate polyline'), __c('#timeline line.playhead')]"
    )
    segments = len(_segment_starts(browser))
    pred, truth, probs, conf, gates, playhead = count
    assert pred == segments and truth >= 7 and probs == 3 and conf == 1
    assert gates == 4 and playhead == 1
    width = browser.execute_script(
        "return document.querySelector('#timeline svg').getBoundingClientRect().width"
    )
    assert width > 300


def test_clicking_a_row_or_the_timeline_seeks_and_keys_step(browser, page: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, page)
    starts = _segment_starts(browser)
    assert len(starts) >= 5, "the fixture video should give several segments"
    row = browser.find_element(By.CSS_SELECTOR, '#segments tbody tr[data-i="2"]')
    row.click()
    assert _now(browser) == pytest.approx(starts[2], abs=0.002)
    assert "current" in row.get_attribute("class")
    _press(browser, "n")
    assert _now(browser) == pytest.approx(starts[3], abs=0.002)
    _press(browser, "p")
    _press(browser, "p")
    assert _now(browser) == pytest.approx(starts[1], abs=0.002)
    duration = browser.execute_script("return document.getElementById('player').duration")
    _click_timeline(browser, duration * 0.4)  # inside a shot, far from any transition
    assert _now(browser) == pytest.approx(duration * 0.4, abs=0.05)
    _click_timeline(browser, starts[3], dx=2)  # 2 px beside a transition: lands on it
    assert _now(browser) == pytest.approx(starts[3], abs=0.002)


def test_review_cards_seek_and_the_table_sorts(browser, page: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, page)
    card = browser.find_element(By.CSS_SELECTOR, "#review .card")
    card.click()
    assert _now(browser) == pytest.approx(float(card.get_attribute("data-t")), abs=0.002)
    header = browser.find_element(By.CSS_SELECTOR, '#segments th[data-col="5"]')  # mean conf
    header.click()
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('#segments tbody tr td:nth-child(6)')).map(td => +td.dataset.v)"
    )
    assert values == sorted(values)
    header.click()
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('#segments tbody tr td:nth-child(6)')).map(td => +td.dataset.v)"
    )
    assert values == sorted(values, reverse=True)

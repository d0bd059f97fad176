"""The report page in a real browser: headless Chromium driven by Selenium, network disabled.

Uses the system Chromium and chromedriver (Debian: apt-get install chromium chromium-driver);
nothing is downloaded. Without them, or without selenium, these tests skip with the reason.
A screenshot of each page goes to test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.report import write_report
from tests.report.conftest import Labelled

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Every host resolves to nothing and every request goes to a closed proxy: the page must not
# need the network, and any attempt shows up as a console error.
OFFLINE_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--window-size=1400,1000",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def _browser_paths() -> tuple[str, str]:
    """(chromium binary, chromedriver), or skip naming what is missing."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
    binary = next((p for name in BROWSERS if (p := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = "chromium" if binary is None else "chromedriver"
        pytest.skip(f"{missing} not found (apt-get install chromium chromium-driver)")
    return binary, driver


@pytest.fixture(scope="session")  # session: set up (or skipped) before the labelled folder
def browser() -> Iterator:
    binary, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in OFFLINE_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    yield driver
    driver.quit()


def _open(driver, page: Path) -> None:
    """Load `page` from file:// and wait until its script has run and the video has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.resolve().as_uri())
    driver.get_log("browser")  # drop entries from earlier pages
    driver.refresh()
    wait = WebDriverWait(driver, 20)
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    wait.until(
        lambda d: d.execute_script(
            "const v = document.getElementById('player'); return !v || v.readyState >= 1 || v.error"
        )
    )


def _now(driver) -> float:
    return driver.execute_script("return document.getElementById('player').currentTime")


def _press(driver, key: str) -> None:
    """One key press on the page (a fresh chain each time: a chain replays its history)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


def _click_timeline(driver, t_s: float, dx: int = 0) -> None:
    """Click the timeline where time `t_s` is drawn (86 px name gutter, 4 px right margin)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    svg = driver.find_element(By.CSS_SELECTOR, "#timeline svg")
    width, duration = driver.execute_script(
        "return [arguments[0].getBoundingClientRect().width,"
        " document.getElementById('player').duration]",
        svg,
    )
    x = 86 + t_s / duration * (width - 90) + dx
    # offsets are from the element's centre; y: the prediction ribbon near the top
    height = svg.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        svg, round(x - width / 2), round(10 - height / 2)
    ).click().perform()


def _segment_starts(driver) -> list[float]:
    return driver.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).pred.map(r => r[0])"
    )


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

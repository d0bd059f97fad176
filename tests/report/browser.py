"""Headless Chromium for the report's browser tests, driven by Selenium with the network off.

Uses the system Chromium and chromedriver (Debian: apt-get install chromium chromium-driver);
nothing is downloaded. Without them, or without selenium, the tests that use `browser` skip
with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

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

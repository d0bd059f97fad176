"""The report's player and timeline in headless Chromium: frame stepping, links to a moment,
zoom, the control bar, subtitles, the gates panel, and a page whose video is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.report import write_report
from tests.report.browser import _now, _open, _press, _segment_starts
from tests.report.conftest import FRAMES, Labelled


@pytest.fixture(scope="module")
def page(labelled_master: Labelled) -> Path:
    return write_report(labelled_master.out, "clip", gt=labelled_master.truth)


def _row(driver) -> int:
    """The track row under the playhead, as the payload's row rule gives it."""
    return driver.execute_script(
        "const R = JSON.parse(document.getElementById('report-data').textContent).rows;"
        "const t = document.getElementById('player').currentTime;"
        "return Math.floor((t - R.t0) * R.rate + 1e-6)"
    )


def _readout(driver) -> str:
    return driver.execute_script("return document.getElementById('readout').textContent")


def test_frame_steps_move_exactly_one_frame_each_way(browser, page: Path) -> None:
    _open(browser, page)
    rows = []
    for _ in range(FRAMES + 3):  # past the last frame: it stays there
        _press(browser, ".")
        rows.append(_row(browser))
    assert rows == [*range(1, FRAMES), FRAMES - 1, FRAMES - 1, FRAMES - 1, FRAMES - 1]
    assert f"frame {FRAMES - 1}" in _readout(browser)
    back = []
    for _ in range(FRAMES - 1):
        _press(browser, ",")
        back.append(_row(browser))
    assert back == list(range(FRAMES - 2, -1, -1))


def test_seeking_writes_the_moment_into_the_address_and_a_new_address_seeks(
    browser, page: Path
) -> None:
    _open(browser, page)
    starts = _segment_starts(browser)
    _press(browser, "n")
    assert browser.execute_script("return location.hash") == f"#t={starts[1]:g}"
    browser.execute_script("location.hash = '#t=2.5'")
    browser.execute_script("return new Promise(r => setTimeout(r, 100))")
    assert _now(browser) == pytest.approx(2.5, abs=0.002)
    assert _readout(browser).startswith("0:02.50  ")  # m:ss.ss, no trailing unit


def test_zoom_keeps_clicks_on_the_frame_under_the_pointer(browser, page: Path) -> None:
    _open(browser, page)
    browser.execute_script("document.getElementById('player').currentTime = 1.0")
    for _ in range(3):
        _press(browser, "+")
    assert browser.execute_script("return +document.body.dataset.zoom") == pytest.approx(8)
    # a click a quarter of the way into the zoomed stretch lands on the start of a frame
    before = _now(browser)
    _click_timeline_at_share(browser, 0.25)
    landed = _now(browser)
    rate = browser.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).rows.rate"
    )
    assert landed != pytest.approx(before, abs=1e-3)
    assert (landed - 0.0005) * rate == pytest.approx(round((landed - 0.0005) * rate), abs=1e-3)
    _press(browser, "0")
    assert browser.execute_script("return +document.body.dataset.zoom") == pytest.approx(1)


def _click_timeline_at_share(driver, share: float) -> None:
    """Click the prediction ribbon `share` of the way across the plot area."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    svg = driver.find_element(By.CSS_SELECTOR, "#timeline svg")
    width = driver.execute_script("return arguments[0].getBoundingClientRect().width", svg)
    x = 86 + share * (width - 90)
    ActionChains(driver).move_to_element_with_offset(
        svg, round(x - width / 2), round(10 - svg.size["height"] / 2)
    ).click().perform()


def test_the_page_has_its_own_controls_and_the_subtitle_track(browser, page: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, page)
    # the browser's own bar would cover the ribbon burned into the bottom of the picture
    assert browser.execute_script("return document.getElementById('player').controls") is False
    browser.find_element(By.ID, "play").click()
    assert browser.execute_script("return document.getElementById('player').paused") is False
    browser.find_element(By.ID, "play").click()
    assert browser.execute_script("return document.getElementById('player').paused") is True
    cues, mode = browser.execute_script(
        "const t = document.getElementById('player').textTracks[0];return [t.cues.length, t.mode]"
    )
    assert cues == len(_segment_starts(browser)) and mode == "hidden"
    browser.find_element(By.ID, "subs").click()
    mode = browser.execute_script("return document.getElementById('player').textTracks[0].mode")
    assert mode == "showing"
    legend = browser.execute_script(
        "return Array.from(document.querySelectorAll('#legend .chip')).map(c => c.textContent)"
    )
    # numbered: the number keys relabel with these classes
    assert legend[:3] == ["1 shot", "2 cut", "3 gradual"] and "differs from the truth" in legend


def test_gates_panel_draws_bands_and_markers_above_its_backdrop(browser, page: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, page)
    order = browser.execute_script(
        "return Array.from(document.querySelectorAll('#gates g.gate > g')).map(g =>"
        " Array.from(g.children).map(c => c.getAttribute('class') || c.tagName))"
    )
    assert len(order) == 4
    for row in order:  # backdrop first: what comes after it (bands, markers) is drawn on top
        assert row[0] == "backdrop" and row.count("backdrop") == 1 and "marker" in row
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('#gates text.yval')).map(t => +t.textContent)"
    )
    assert len(values) == 8 and all(0 <= v <= 4 for v in values)
    top, bottom = values[0], values[1]  # forget: its range fits the data (0.3..0.9 in the fixture)
    assert 0.85 < top < 1.0 and 0.2 < bottom < 0.35
    svg = browser.find_element(By.CSS_SELECTOR, "#gates svg")
    ActionChains(driver := browser).move_to_element(svg).perform()
    assert "forget 0." in _readout(driver)


def test_source_video_pages_number_frames(browser, tmp_path: Path, labelled_master) -> None:
    out = tmp_path / "novideo"
    out.mkdir()
    shutil.copy(labelled_master.video, out / "clip.mp4")
    assert main(["label", str(out / "clip.mp4"), "--out", str(out), "--quiet", "--no-video"]) == 0
    _open(browser, write_report(out, "clip"))
    assert browser.execute_script("return document.getElementById('player').dataset.kind") == (
        "source"
    )
    _press(browser, ".")
    _press(browser, ".")
    assert " frame 2 " in f" {_readout(browser)} ".replace("\u00b7", " ")


def test_a_missing_video_says_so_and_falls_back_to_the_source(browser, labelled: Labelled) -> None:
    page = write_report(labelled.out, "clip")
    (labelled.out / "clip.annotated.mp4").unlink()  # the page still links it
    _open(browser, page)
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    state = browser.execute_script(
        "const v = document.getElementById('player');"
        "return [decodeURIComponent(v.src).endsWith('/clip.mp4'), v.readyState,"
        " document.getElementById('playing').textContent, document.getElementById('missing').hidden]"
    )
    assert state[0] and state[1] >= 1 and state[2] == "clip.mp4" and state[3] is True
    (labelled.out / "clip.mp4").unlink()  # now neither: a visible message and a file picker
    _open(browser, page)
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    hidden, text, playing = browser.execute_script(
        "const m = document.getElementById('missing');"
        "return [m.hidden, m.textContent, document.getElementById('playing').textContent]"
    )
    assert hidden is False and "could not be loaded" in text and "clip.annotated.mp4" in text
    assert playing == "no video loaded"
    assert browser.execute_script("return !!document.getElementById('pick-video')")


def _plays(driver) -> bool:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const v = document.getElementById('player'); return v.readyState >= 1 || v.error"
        )
    )
    return driver.execute_script(
        "const v = document.getElementById('player'); return !v.error && v.duration > 3"
    )


def test_an_embedded_page_plays_alone_with_the_network_off(
    browser, labelled: Labelled, tmp_path: Path
) -> None:
    assert main(["report", str(labelled.out), "--embed", "--no-editorial"]) == 0
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    page = shutil.copy(labelled.out / "clip.report.html", alone / "clip.report.html")
    _open(browser, Path(page))
    assert _plays(browser)
    assert browser.execute_script("return document.getElementById('player').src").startswith(
        "data:video/mp4;base64,"
    )
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_zip_holds_the_page_its_video_and_the_tracks(
    browser, labelled: Labelled, tmp_path: Path
) -> None:
    import zipfile

    assert main(["report", str(labelled.out), "--zip"]) == 0
    with zipfile.ZipFile(labelled.out / "clip.report.zip") as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unzipped")
    assert {"clip.report.html", "clip.annotated.mp4", "clip.labels.csv", "clip.segments.csv"} <= (
        names
    )
    assert {"clip.vtt", "clip.otio", "clip.fcpxml"} <= names
    _open(browser, tmp_path / "unzipped" / "clip.report.html")
    assert _plays(browser)


def test_embedding_a_video_too_big_is_one_line_with_the_fix(
    labelled: Labelled, monkeypatch, capsys
) -> None:
    monkeypatch.setattr("pipeline.report.page.EMBED_MAX_MB", 0.001)
    assert main(["report", str(labelled.out), "--embed"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--embed takes videos up to" in err[0] and "--zip" in err[0]


def test_no_column_scrolls_on_its_own_and_the_video_stays_in_view(browser, page: Path) -> None:
    _open(browser, page)
    overflow = browser.execute_script(
        "return ['.left', '.right'].map(s => getComputedStyle(document.querySelector(s)).overflowY)"
    )
    assert overflow == ["visible", "visible"]
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    top = browser.execute_script(
        "return document.getElementById('video-panel').getBoundingClientRect().top"
    )
    assert 0 <= top < 5  # sticky at the top of the window while the page scrolls


def test_the_model_card_wraps_between_words(browser, page: Path) -> None:
    _open(browser, page)
    styles = browser.execute_script(
        "const td = document.querySelector('#model-card .kv td'); const s = getComputedStyle(td);"
        "return [s.wordBreak, s.overflowWrap]"
    )
    assert styles == ["normal", "anywhere"]  # long paths may break, words do not

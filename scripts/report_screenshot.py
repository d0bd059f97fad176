"""Screenshot a report page in headless Chromium (offline), e.g. for docs/report.png.

    python scripts/report_screenshot.py demo_out/demo.report.html docs/report.png --t 4.2

Needs selenium (the dev extra) and the system chromium + chromedriver. `--t` seeks the player
first (the page reads `#t=SECONDS`); `--colors` quantises the PNG to keep it small.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--mute-audio",
    "--hide-scrollbars",
    "--proxy-server=http://127.0.0.1:9",  # no network: the page must not need it
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def screenshot(page: Path, out: Path, t_s: float | None, size: tuple[int, int]) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("google-chrome") or ""
    for flag in [*FLAGS, f"--window-size={size[0]},{size[1]}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        url = page.resolve().as_uri() + (f"#t={t_s}" if t_s is not None else "")
        driver.get(url)
        WebDriverWait(driver, 20).until(
            lambda d: d.execute_script(
                "const v = document.getElementById('player');"
                "return document.body.dataset.ready === '1' && (!v || (v.readyState >= 2 && !v.seeking))"
            )
        )
        time.sleep(2.0)  # let the seeked frame paint and the controls settle
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--t", type=float, help="seek the player to this time (seconds)")
    parser.add_argument("--size", default="1280x900", help="window WIDTHxHEIGHT")
    parser.add_argument("--colors", type=int, default=256, help="PNG palette size (0: full)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(args.page, args.out, args.t, (width, height))
    if args.colors:
        Image.open(args.out).convert("RGB").quantize(args.colors).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Debian's Chromium, headless, driven by Selenium: the explorer's browser tests and its
benchmark (benchmarks/bench_explore.py) start it the same way.

The flags are those this machine needs (/work/.library/env/machines/python.md): no
sandbox as root, no GPU, and no background networking (its connections would be
refused by the closed network), with a fresh profile each time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1200",
)


def available() -> bool:
    """Whether Chromium and its driver are installed (`make test` installs them)."""
    return shutil.which(CHROMIUM) is not None and shutil.which(DRIVER) is not None


@contextmanager
def chromium(script_timeout: float = 60) -> Iterator[Any]:
    """A Selenium driver of headless Chromium with a fresh profile, quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="coordspec-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console_errors
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(script_timeout)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: Any) -> list[str]:
    """The page's console messages of level SEVERE since the last call (a script error,
    a failed request)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]

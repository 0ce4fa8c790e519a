"""The browser the dashboard tests drive: Debian's chromium through Playwright, one per test module.

Per module, not per run: Playwright's sync API keeps an event loop running in the main thread
while it is open, and every later ``asyncio.run()`` in the suite would then fail.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags, chromium's own connections are refused by this
# machine's closed network, many at a time.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()

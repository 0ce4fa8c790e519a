"""In real chromium: a session whose messages nest thousands deep renders, and ids with path
segments link to their own page, never out of ``/sessions/``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no browser: {CHROMIUM} is missing (apt-get install chromium)")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

NESTED = "[" * 3000 + "]" * 3000
TRICKY = ["../../api/sessions", "../../../traces", "a/b?c=d#e", ".."]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def server(tmp_path: Path):
    from http_client import http
    from otlp_bodies import protobuf_body, turn_spans

    from neatlogs_cli.ui import DashboardServer

    spans = turn_spans("nested", 0, "[" * 3000, NESTED)
    for i, session_id in enumerate(TRICKY):
        spans += turn_spans(session_id, i + 1, f"said in {session_id}", "ok")
    with DashboardServer(str(tmp_path / "traces.db")) as running:
        reply = http("POST", running.url + "/v1/traces", protobuf_body(spans), {"content-type": "application/x-protobuf"})
        assert reply.status == 200, reply.text
        yield running


def test_a_deeply_nested_message_renders(server, page) -> None:
    response = page.goto(server.url + "/sessions/nested")
    assert response is not None and response.status == 200
    assert page.locator(".bubble.user .text").inner_text() == "[" * 3000
    assert page.locator(".bubble.reply .text").inner_text() == NESTED
    page.locator("details.spans > summary").click()
    page.locator("details.span-row").first.locator("summary").click()
    assert "[[[[" in page.locator("details.span-row").first.inner_text()
    page.locator("a.trace-link").first.click()
    page.wait_for_url("**/traces/**")
    assert "[[[[" in page.locator("main").inner_text()


@pytest.mark.parametrize("session_id", TRICKY)
def test_a_session_id_with_path_segments_links_to_its_own_page(server, page, session_id: str) -> None:
    page.goto(server.url + "/")
    page.get_by_role("link", name=session_id, exact=True).click()
    page.wait_for_load_state()
    url = page.url[len(server.url):]
    assert url.startswith("/sessions/"), url
    assert page.locator(".bubble.user .text").first.inner_text() == f"said in {session_id}"

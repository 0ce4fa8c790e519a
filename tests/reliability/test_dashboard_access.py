"""Who reaches what on the dashboard: the Host check, id links, and throttled key guesses.

* ``--host 127.0.0.2`` answers its own Host header (and still refuses foreign names).
* Session and trace ids are one encoded path segment in every link: an id like
  ``../../api/sessions`` links to its own page under ``/sessions/``, never elsewhere.
* Wrong keys (the login form, the ``x-api-key`` header) are throttled per client: a burst
  of guesses is mostly answered 429 with ``Retry-After``, before the key is compared.
"""

from __future__ import annotations

import html
import re
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from http_client import http  # noqa: E402
from otlp_bodies import protobuf_body, turn_spans  # noqa: E402

from neatlogs_cli.ui import DashboardServer  # noqa: E402

PROTOBUF = {"content-type": "application/x-protobuf"}
TRICKY_IDS = ["../../api/sessions", "a/b?c=d#e", "..", ".", "50%25 off", "/leading-slash", "sp ace"]


def test_the_host_check_accepts_the_address_given_to_host(tmp_path: Path) -> None:
    with DashboardServer(str(tmp_path / "traces.db"), host="127.0.0.2") as server:
        assert server.url.startswith("http://127.0.0.2:")
        assert http("GET", server.url + "/").status == 200  # Host: 127.0.0.2:PORT
        assert http("GET", server.url + "/api/sessions").status == 200
        rebound = http("GET", server.url + "/", headers={"Host": "evil.example"})
        assert rebound.status == 400


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_every_link_keeps_an_id_inside_its_own_page(tmp_path: Path) -> None:
    with DashboardServer(str(tmp_path / "traces.db")) as server:
        spans = [s for i, sid in enumerate(TRICKY_IDS) for s in turn_spans(sid, i, f"hello from {sid}", "hi")]
        assert http("POST", server.url + "/v1/traces", protobuf_body(spans), PROTOBUF).status == 200
        listing = http("GET", server.url + "/").text
        session_links = [h for h in _links(listing) if h.startswith("/sessions/")]
        assert len(session_links) == len(TRICKY_IDS)
        for link in session_links:
            # One segment after /sessions/ (or the query form for dot ids): nothing a browser resolves away.
            target = urllib.parse.urljoin(server.url + "/", link)
            path = urllib.parse.urlsplit(target).path
            assert path.startswith("/sessions/") and "/" not in path[len("/sessions/"):], link
            page = http("GET", target)
            assert page.status == 200, (link, page.status)
            shown = re.search(r"hello from ([^<]*)<", page.text)
            assert shown is not None, link
            # Its download links and delete URL name this session too.
            actions = [a for a in _links(page.text) if a.startswith("/api/")]
            actions += [html.unescape(u) for u in re.findall(r'data-delete-url="([^"]+)"', page.text)]
            assert len(actions) == 3, actions
            for action in actions:
                exported = http("GET", urllib.parse.urljoin(server.url, action))
                assert exported.status == 200, (action, exported.status)
                assert f"hello from {html.unescape(shown.group(1))}" in exported.text
        said = {re.search(r"hello from ([^<]*)<", http("GET", urllib.parse.urljoin(server.url, link)).text)
                .group(1) for link in session_links}
        assert {html.unescape(s) for s in said} == set(TRICKY_IDS)
        traces = http("GET", server.url + "/traces").text
        for link in _links(traces):
            if link.startswith(("/traces/", "/sessions/")):
                assert http("GET", urllib.parse.urljoin(server.url, link)).status == 200, link
        # The live page's poll URL is encoded the same way.
        page = http("GET", server.url + session_links[0]).text
        summary = html.unescape(re.search(r'data-summary-url="([^"]+)"', page).group(1))
        assert summary.startswith("/api/sessions/") and http("GET", server.url + summary).status == 200


def _guess(server: DashboardServer, key: str) -> int:
    return http("POST", server.url + "/login", f"key={key}&next=/".encode(),
                {"content-type": "application/x-www-form-urlencoded"}).status


def test_login_guesses_are_throttled(tmp_path: Path) -> None:
    with DashboardServer(str(tmp_path / "traces.db"), api_key="right-key") as server:
        answers = [_guess(server, f"guess-{i}") for i in range(40)]
        assert set(answers) <= {401, 429}
        assert answers[:3] == [401, 401, 401]  # a typo or two costs nothing
        assert answers.count(429) >= 25, answers  # most of a burst is refused unchecked
        # While throttled even the right key is refused: a 429 tells a guesser nothing.
        throttled = http("POST", server.url + "/login", b"key=right-key&next=/",
                         {"content-type": "application/x-www-form-urlencoded"})
        if throttled.status == 429:
            wait = int(throttled.headers["retry-after"])
            assert 1 <= wait <= 30
            time.sleep(wait + 0.1)
        right = http("POST", server.url + "/login", b"key=right-key&next=/",
                     {"content-type": "application/x-www-form-urlencoded"})
        assert right.status == 303


@pytest.mark.parametrize("path", ["/api/sessions", "/v1/traces"])
def test_key_header_guesses_are_throttled(tmp_path: Path, path: str) -> None:
    with DashboardServer(str(tmp_path / "traces.db"), api_key="right-key") as server:
        method, body = ("POST", protobuf_body(turn_spans("s", 0, "a", "b"))) if path == "/v1/traces" else ("GET", None)
        answers = [http(method, server.url + path, body, {**PROTOBUF, "x-api-key": f"guess-{i}"}).status
                   for i in range(40)]
        assert set(answers) <= {401, 429} and answers.count(429) >= 25, answers
        refused = next(a for a in answers if a == 429)
        assert refused == 429

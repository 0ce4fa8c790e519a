"""The JSON API and the HTML pages over real HTTP: order, search, 404s, escaping, the key gate."""

from __future__ import annotations

import html
import json
import time

from http_client import http
from otlp_bodies import protobuf_body, turn_spans

from neatlogs import semconv

PROTOBUF = {"content-type": "application/x-protobuf"}
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def seed(server, session_id: str, turns: list[tuple[str, str]], base: int = 0, headers=None) -> None:
    spans = [s for i, (user, reply) in enumerate(turns) for s in turn_spans(session_id, base + i, user, reply)]
    reply = http("POST", server.url + "/v1/traces", protobuf_body(spans), {**PROTOBUF, **(headers or {})})
    assert reply.status == 200, reply.text


def test_sessions_are_listed_newest_first_with_totals(server):
    seed(server, "older", [("hi", "hello")], base=0)
    seed(server, "newer", [("a", "b"), ("c", "d")], base=10)
    sessions = http("GET", server.url + "/api/sessions").json()["sessions"]
    assert [s["session_id"] for s in sessions] == ["newer", "older"]
    assert (sessions[0]["trace_count"], sessions[0]["span_count"], sessions[0]["token_count"]) == (2, 6, 60)
    assert sessions[0]["service_name"] == "support-chatbot"
    limited = http("GET", server.url + "/api/sessions?limit=1").json()["sessions"]
    assert [s["session_id"] for s in limited] == ["newer"]


def test_search_by_id_and_by_text(server):
    seed(server, "alpha-1", [("where is my parcel", "on its way")], base=0)
    seed(server, "beta-2", [("reset my password", "done")], base=5)

    def found(query: str) -> list[str]:
        reply = http("GET", server.url + "/api/sessions?q=" + query)
        return [s["session_id"] for s in reply.json()["sessions"]]

    assert found("alpha") == ["alpha-1"]
    assert found("PASSWORD") == ["beta-2"]  # case does not matter
    assert found("on%20its") == ["alpha-1"]  # replies are searched too
    assert found("nothing-like-this") == []
    assert found("%25") == []  # LIKE wildcards are literal
    page = http("GET", server.url + "/?q=parcel").text
    assert "alpha-1" in page and "beta-2" not in page


def test_bad_limit_is_a_400_naming_it(server):
    reply = http("GET", server.url + "/api/sessions?limit=lots")
    assert (reply.status, reply.json()) == (400, {"error": "limit: expected a whole number, got 'lots'"})


def test_session_and_trace_api(server):
    seed(server, "s-1", [("first", "one"), ("second", "two")])
    session = http("GET", server.url + "/api/sessions/s-1").json()
    assert [t["spans"][0]["attributes"][semconv.OUTPUT_VALUE] for t in session["traces"]] == ["one", "two"]
    trace_id = session["traces"][1]["trace_id"]
    trace = http("GET", server.url + f"/api/traces/{trace_id}").json()
    assert [s["name"] for s in trace["spans"]] == ["chatbot_turn", "respond", "chat gpt-4o"]
    summary = http("GET", server.url + "/api/sessions/s-1/summary").json()
    assert summary["span_count"] == 6 and "traces" not in summary
    for path in ("/api/sessions/nope", "/api/sessions/nope/summary", "/api/traces/" + "0" * 32):
        reply = http("GET", server.url + path)
        assert reply.status == 404 and reply.json()["error"].startswith("no ")


def test_session_page_shows_turns_in_order_as_bubbles(server):
    seed(server, "chat-1", [("Hello there", "General Kenobi"), ("How are you?", "Fine, thanks")])
    page = http("GET", server.url + "/sessions/chat-1")
    assert page.status == 200
    text = page.text
    assert text.index("Hello there") < text.index("General Kenobi") < text.index("How are you?") < text.index("Fine, thanks")
    assert text.count('<li class="turn') == 2
    assert 'data-span-kind="CLIENT"' in text and "chat gpt-4o" in text
    assert "llm.prompt_template.template" in text and "You are {{tone}}" in text
    trace_id = f"{1:032x}"
    trace_page = http("GET", server.url + f"/traces/{trace_id}").text
    assert "Hello there" in trace_page and "/sessions/chat-1" in trace_page


def test_every_program_value_is_escaped(server):
    session_id = "<b>sess</b>"
    seed(server, session_id, [(HOSTILE, HOSTILE)])
    for path in ("/", "/sessions/%3Cb%3Esess%3C/b%3E", f"/traces/{1:032x}"):
        page = http("GET", server.url + path)
        assert page.status == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>sess" not in page.text
        assert html.escape(session_id) in page.text or "&lt;b&gt;sess" in page.text
    page = http("GET", server.url + "/sessions/%3Cb%3Esess%3C/b%3E")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_unknown_pages_are_404(server):
    assert http("GET", server.url + "/sessions/missing").status == 404
    assert http("GET", server.url + "/traces/" + "ab" * 16).status == 404


def test_a_running_session_page_refreshes_itself(server):
    now = time.time_ns()
    spans = turn_spans("live", 0, "hi", "hello")
    for span in spans:
        span["start"] += now - spans[0]["start"]
        span["end"] += now - turn_spans("live", 0, "", "")[0]["start"]
    assert http("POST", server.url + "/v1/traces", protobuf_body(spans), PROTOBUF).status == 200
    seed(server, "done", [("hi", "hello")])  # ended in 2023: not running
    live = http("GET", server.url + "/sessions/live").text
    assert 'data-running="1"' in live and 'data-summary-url="/api/sessions/live/summary"' in live
    assert 'data-running' not in http("GET", server.url + "/sessions/done").text
    script = http("GET", server.url + "/static/app.js")
    # It fetches the server-rendered new turns (no reload), and never writes markup of its own.
    assert script.status == 200 and "fragment=1" in script.text and "innerHTML" not in script.text


def test_pages_and_api_ask_for_the_key_when_set(keyed_server):
    seed(keyed_server, "secret-session", [("hi", "hello")], headers={"x-api-key": "s3cret"})
    assert http("GET", keyed_server.url + "/api/sessions").status == 401
    assert http("GET", keyed_server.url + "/api/sessions", headers={"x-api-key": "s3cret"}).status == 200
    form = http("GET", keyed_server.url + "/sessions/secret-session")
    assert form.status == 401
    assert 'name="key"' in form.text and "secret-session" not in form.text.split("<form")[0]
    wrong = http("POST", keyed_server.url + "/login", b"key=nope&next=/sessions/secret-session",
                 {"content-type": "application/x-www-form-urlencoded"})
    assert wrong.status == 401 and "not the one" in wrong.text
    right = http("POST", keyed_server.url + "/login", b"key=s3cret&next=/sessions/secret-session",
                 {"content-type": "application/x-www-form-urlencoded"})
    assert right.status == 303 and right.headers["location"] == "/sessions/secret-session"
    cookie = right.headers["set-cookie"]
    assert "s3cret" not in cookie and "httponly" in cookie.lower()
    page = http("GET", keyed_server.url + "/sessions/secret-session", headers={"cookie": cookie.split(";")[0]})
    assert page.status == 200 and "hello" in page.text
    # The form never redirects off-site.
    off = http("POST", keyed_server.url + "/login", b"key=s3cret&next=//evil.example/",
               {"content-type": "application/x-www-form-urlencoded"})
    assert off.headers["location"] == "/"


def test_loopback_server_refuses_foreign_host_headers(server):
    """A page on another site cannot reach us by rebinding its name to 127.0.0.1."""
    assert http("GET", server.url + "/api/sessions", headers={"host": "evil.example"}).status == 400
    assert http("GET", server.url + "/api/sessions", headers={"host": f"localhost:{server.port}"}).status == 200


def test_api_json_is_plain_json(server):
    seed(server, "j", [("q", "a")])
    reply = http("GET", server.url + "/api/sessions/j")
    assert reply.headers["content-type"].startswith("application/json")
    assert json.loads(reply.body)["session_id"] == "j"


def test_session_page_window_parameters_are_checked(server):
    seed(server, "paged", [("hi", "hello"), ("again", "sure")])
    assert http("GET", server.url + "/sessions/paged?before=yesterday").status == 400
    fragment = http("GET", server.url + "/sessions/paged?after=0&from=1&fragment=1")
    assert fragment.status == 200 and fragment.text.count('<li class="turn') == 2
    assert "<html" not in fragment.text and fragment.headers.get("x-neatlogs-earlier") == ""


def test_deletes_need_the_confirming_header_and_downloads_name_their_file(server):
    seed(server, "to-go", [("hi", "hello")])
    refused = http("DELETE", server.url + "/api/sessions/to-go")
    assert refused.status == 403 and "x-neatlogs-confirm" in refused.json()["error"]
    csv_reply = http("GET", server.url + "/api/sessions.csv")
    assert csv_reply.status == 200 and csv_reply.text.splitlines()[0].startswith("session_id,service_name,")
    assert any(line.startswith("to-go,") for line in csv_reply.text.splitlines())
    export = http("GET", server.url + "/api/sessions/to-go/export?format=otlp")
    assert export.headers["content-disposition"] == 'attachment; filename="neatlogs-session-to-go.otlp.json"'
    assert "resourceSpans" in export.json()
    assert http("GET", server.url + "/api/sessions/to-go/export?format=xml").status == 400
    deleted = http("DELETE", server.url + "/api/sessions/to-go", headers={"x-neatlogs-confirm": "delete"})
    assert deleted.status == 200 and deleted.json()["deleted"] == "session"
    assert http("GET", server.url + "/api/sessions/to-go").status == 404
    assert http("DELETE", server.url + "/api/sessions/to-go", headers={"x-neatlogs-confirm": "delete"}).status == 404

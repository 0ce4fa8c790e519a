"""Any text renders: every dashboard page, the JSON API and `neatlogs show` take any attribute value.

The values a program may record are fed through the real collector (OTLP protobuf) into a
real store: a message that looks like deeply nested JSON (``"[" * 3000``), JSON nested 3,000
deep (as an input value, chat messages and invocation parameters), a 2 MB value, binary-looking
text, control characters and terminal escapes. A foreign writer's rows are added with plain
SQL: invalid UTF-8, an escaped lone surrogate, and an attributes column nested past the
recursion limit. Every page answers 200, and the terminal views exit 0 with no traceback and
no raw escape character.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from http_client import http  # noqa: E402
from otlp_bodies import BASE_NS, protobuf_body  # noqa: E402

from neatlogs import semconv  # noqa: E402
from neatlogs_cli.ui import DashboardServer  # noqa: E402

SESSION = "hostile-values"
FOREIGN_SESSION = "foreign-writer"
BRACKETS = "[" * 3000
NESTED = "[" * 3000 + "]" * 3000
NESTED_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
HUGE = "lorem ipsum " * 175_000  # about 2 MB
BINARY = "".join(chr(c) for c in range(32)) + "\x7f\x80\x9f\u00ff\ufffe"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07 cleared? \x1b[31mred\x1b[0m"
PROTOBUF = {"content-type": "application/x-protobuf"}


def _turn(turn: int, user: str, reply: str, **extra: object) -> list[dict]:
    trace_id = f"{turn + 1:032x}"
    start = BASE_NS + turn * 10**9
    common = {semconv.SESSION_ID: SESSION}
    return [
        {"trace_id": trace_id, "span_id": f"{turn * 2 + 1:016x}", "parent": None, "name": f"turn {user[:20]}",
         "kind": 1, "start": start, "end": start + 300_000_000,
         "attributes": {**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT", semconv.INPUT_VALUE: user,
                        semconv.OUTPUT_VALUE: reply, **extra}},
        {"trace_id": trace_id, "span_id": f"{turn * 2 + 2:016x}", "parent": f"{turn * 2 + 1:016x}",
         "name": "chat model", "kind": 3, "start": start + 1000, "end": start + 200_000_000,
         "attributes": {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM",
                        semconv.LLM_INVOCATION_PARAMETERS: NESTED,
                        semconv.GEN_AI_INPUT_MESSAGES: NESTED, semconv.GEN_AI_OUTPUT_MESSAGES: BRACKETS,
                        semconv.GEN_AI_SYSTEM_INSTRUCTIONS: NESTED_OBJECT,
                        semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "user",
                        semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): user,
                        semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "assistant",
                        semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): reply}},
    ]


def _spans() -> list[dict]:
    json_input = {semconv.INPUT_MIME_TYPE: semconv.MIME_JSON, semconv.OUTPUT_MIME_TYPE: semconv.MIME_JSON}
    return [
        *_turn(0, BRACKETS, BRACKETS),
        *_turn(1, NESTED, NESTED_OBJECT, **json_input),
        *_turn(2, HUGE, HUGE),
        *_turn(3, BINARY, BINARY),
        *_turn(4, ESCAPES, ESCAPES),
    ]


def _foreign_rows(db_path: str) -> None:
    """Rows another writer left: invalid UTF-8, an escaped lone surrogate, attributes nested too deep."""
    conn = sqlite3.connect(db_path)
    deep_attributes = '{"input.value": ' + "[" * 5000 + "]" * 5000 + "}"
    rows = [
        (f"{90:032x}", f"{90:016x}", "CAST(X'666f6fff' AS TEXT)", json.dumps({
            semconv.SESSION_ID: FOREIGN_SESSION, semconv.INPUT_VALUE: "ok"})),
        (f"{91:032x}", f"{91:016x}", "'lone'", '{"session.id": "foreign-writer", "input.value": "a\\ud800b"}'),
        (f"{92:032x}", f"{92:016x}", "'deep'", deep_attributes),
    ]
    for trace_id, span_id, name_sql, attributes in rows:
        conn.execute(
            f"""INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, span_kind, start_time_ns,
                                   end_time_ns, status_code, session_id, service_name, attributes, events, resource)
                VALUES (?, ?, NULL, {name_sql}, 'AGENT', 'INTERNAL', ?, ?, 'UNSET', ?, 'x', ?, '[]', '{{}}')""",
            (trace_id, span_id, BASE_NS + 10**12, BASE_NS + 10**12 + 5, FOREIGN_SESSION, attributes))
    conn.execute("""INSERT INTO sessions (session_id, service_name, first_start_ns, last_end_ns, span_count,
                                          trace_count, turn_count) VALUES (?, 'x', ?, ?, 3, 3, 3)""",
                 (FOREIGN_SESSION, BASE_NS + 10**12, BASE_NS + 10**12 + 5))
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    db_path = str(tmp_path_factory.mktemp("hostile") / "traces.db")
    with DashboardServer(db_path) as server:
        reply = http("POST", server.url + "/v1/traces", protobuf_body(_spans()), PROTOBUF)
        assert reply.status == 200, reply.text
    _foreign_rows(db_path)
    return db_path


def test_every_page_and_the_api_render_any_value(hostile_store: str) -> None:
    with DashboardServer(hostile_store) as server:
        pages = ["/", "/traces", f"/sessions/{SESSION}", f"/sessions/{FOREIGN_SESSION}",
                 "/api/sessions", f"/api/sessions/{SESSION}", f"/api/sessions/{SESSION}/summary",
                 f"/api/sessions/{FOREIGN_SESSION}", "/api/traces", "/?q=" + quote(BRACKETS[:50])]
        pages += [f"/traces/{n + 1:032x}" for n in range(5)] + [f"/api/traces/{n + 1:032x}" for n in range(5)]
        pages += [f"/traces/{n:032x}" for n in (90, 91, 92)] + [f"/api/traces/{n:032x}" for n in (90, 91, 92)]
        for path in pages:
            reply = http("GET", server.url + path)
            assert reply.status == 200, (path, reply.status, reply.body[:300])
        session_page = http("GET", server.url + f"/sessions/{SESSION}").text
        assert BRACKETS[:200] in session_page  # the nested-looking message shows, as text
        assert "lorem ipsum " * 50 in session_page
        detail = http("GET", server.url + f"/api/sessions/{SESSION}").json()
        values = [s["attributes"].get(semconv.INPUT_VALUE) for t in detail["traces"] for s in t["spans"]]
        assert NESTED in values and BINARY in values  # the API gives the values back exactly
        foreign = http("GET", server.url + f"/api/sessions/{FOREIGN_SESSION}").json()
        names = {s["name"] for t in foreign["traces"] for s in t["spans"]}
        assert "foo\ufffd" in names  # invalid UTF-8 repaired, not a failed read
        inputs = {s["attributes"].get(semconv.INPUT_VALUE) for t in foreign["traces"] for s in t["spans"]}
        assert "a\ufffdb" in inputs  # the lone surrogate became U+FFFD


def neatlogs(db: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", *args, "--db", db], capture_output=True,
                          env=dict(os.environ), timeout=120)


@pytest.mark.parametrize("args", [("show", SESSION), ("show", SESSION, "--json"), ("show", FOREIGN_SESSION),
                                  ("show", FOREIGN_SESSION, "--json"), ("show", f"{92:032x}"), ("sessions",),
                                  ("traces",), ("sessions", "--json"), ("traces", "--json")])
def test_the_terminal_views_render_any_value(hostile_store: str, args: tuple[str, ...]) -> None:
    result = neatlogs(hostile_store, *args)
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in err
    assert "\x1b" not in out and "\x00" not in out  # no escape reaches the terminal raw
    if "--json" in args:
        json.loads(out)
    elif args[0] == "show" and args[1] == SESSION:
        assert "[[[[" in out and "\\x1b[2J" in out  # shown, escaped

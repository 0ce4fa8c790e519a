"""MCP: a real stdio server (``MCPServer``) under ``neatlogs run``, called by a real ``ClientSession``.

Each ``call_tool`` is a TOOL span with the tool, the server's name, arguments and result; an
erroring tool ends it with ERROR; the server's spans (the SDK's server span and the tool's own
``neatlogs.span``) are in the client's trace, beneath the client's span.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

import neatlogs  # noqa: E402
from neatlogs import semconv, store  # noqa: E402

SERVER = Path(__file__).parent / "programs" / "mcp_weather_server.py"
NEATLOGS = os.path.join(os.path.dirname(sys.executable), "neatlogs")


async def _session_calls(calls: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[Any]:
    """Start the server under ``neatlogs run`` over stdio and make ``calls``; their results or exceptions."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    params = StdioServerParameters(command=NEATLOGS, args=["run", "--", sys.executable, str(SERVER)], env=env)
    out: list[Any] = []
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            for name, arguments, options in calls:
                try:
                    out.append(await session.call_tool(name, arguments, **options))
                except Exception as error:  # noqa: BLE001 - the test looks at what the call raised
                    out.append(error)
    return out


def _spans() -> list[store.SpanRecord]:
    """Every span in the local store (client's and server's), waiting for the server's to land."""
    conn = store.connect(os.path.join(os.environ["NEATLOGS_HOME"], "traces.db"))
    try:
        # list_traces has a row for each root of a process (schema 6), so a trace the server's
        # spans joined is listed once per process: read each trace once.
        trace_ids = dict.fromkeys(t.trace_id for t in store.list_traces(conn, limit=100))
        traces = [store.get_trace(conn, trace_id) for trace_id in trace_ids]
    finally:
        conn.close()
    return [s for t in traces if t is not None for s in t.spans]


def _client_tool_span(spans: list[store.SpanRecord], tool: str) -> store.SpanRecord:
    [span] = [s for s in spans if s.name == f"tools/call {tool}" and s.span_kind == "INTERNAL"]
    return span


def test_a_tool_call_is_a_tool_span_and_the_server_joins_its_trace():
    neatlogs.init(auto_session=True)
    [result] = asyncio.run(_session_calls([("forecast", {"city": "Paris"}, {})]))
    assert not result.is_error
    assert neatlogs.flush()
    spans = _spans()

    tool = _client_tool_span(spans, "forecast")
    assert tool.kind == "TOOL"
    assert tool.status_code == "OK"
    assert tool.attributes[semconv.TOOL_NAME] == "forecast"
    assert tool.attributes[semconv.GEN_AI_TOOL_NAME] == "forecast"
    assert tool.attributes[semconv.MCP_METHOD_NAME] == "tools/call"
    assert tool.attributes[semconv.NEATLOGS_MCP_SERVER_NAME] == "weather-server"
    assert json.loads(tool.attributes[semconv.INPUT_VALUE]) == {"city": "Paris"}
    assert "sunny in Paris" in tool.attributes[semconv.OUTPUT_VALUE]

    # The server process's spans: same trace, beneath the client's tool span.
    trace = [s for s in spans if s.trace_id == tool.trace_id]
    by_id = {s.span_id: s for s in trace}
    server_side = [s for s in trace if s.service_name == "mcp_weather_server"]
    assert {s.name for s in server_side} >= {"tools/call forecast", "read forecast table"}
    step = next(s for s in server_side if s.name == "read forecast table")
    chain = []
    current: store.SpanRecord | None = step
    while current is not None:
        chain.append(current.name)
        current = by_id.get(current.parent_span_id or "")
    assert chain[0] == "read forecast table" and chain[-1] == "tools/call forecast"
    assert chain[-1] == tool.name and len(chain) >= 3  # tool step < server span < ... < client span
    assert by_id[step.parent_span_id or ""].span_kind == "SERVER"


def test_an_erroring_tool_and_a_raising_call_end_their_spans_with_error():
    neatlogs.init()
    failed, timed_out = asyncio.run(_session_calls([
        ("explode", {"reason": "storm"}, {}),
        ("forecast", {"city": "Oslo"}, {"read_timeout_seconds": 0.000001}),
    ]))
    assert failed.is_error
    assert isinstance(timed_out, Exception)
    assert neatlogs.flush()
    spans = _spans()
    explode = _client_tool_span(spans, "explode")
    assert explode.status_code == "ERROR"
    assert explode.attributes[semconv.ERROR_TYPE] == "tool_error"
    assert "explode" in (explode.status_message or "")
    oslo = _client_tool_span(spans, "forecast")
    assert oslo.status_code == "ERROR"
    assert oslo.attributes[semconv.ERROR_TYPE] == type(timed_out).__qualname__
    assert any(e["name"] == semconv.EXCEPTION_EVENT for e in oslo.events)


def test_capture_off_records_no_arguments_or_result(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, capture_content=False)
    asyncio.run(_session_calls([("forecast", {"city": "Paris"}, {})]))
    assert neatlogs.flush()
    [tool] = [s for s in otlp_receiver.spans() if s["name"] == "tools/call forecast" and s["scope"] == "neatlogs"]
    assert tool["attributes"][semconv.TOOL_NAME] == "forecast"
    assert "Paris" not in json.dumps(tool["attributes"])
    assert semconv.INPUT_VALUE not in tool["attributes"] and semconv.OUTPUT_VALUE not in tool["attributes"]


def test_without_the_sdks_own_propagation_traceparent_goes_in_meta():
    """mcp 1.x sends no trace context itself: the ``meta`` our wrapper passes on carries the current one."""
    from opentelemetry import trace as trace_api

    from neatlogs.instrumentation.mcp import _with_trace_context

    neatlogs.init()
    kwargs: dict[str, Any] = {"meta": {"progressToken": 7}}
    with neatlogs.trace("client step"):
        _with_trace_context(kwargs)
        context = trace_api.get_current_span().get_span_context()
    assert context.is_valid
    trace_id, span_id = format(context.trace_id, "032x"), format(context.span_id, "016x")
    flags = format(int(context.trace_flags), "02x")
    assert kwargs["meta"] == {"progressToken": 7, "traceparent": f"00-{trace_id}-{span_id}-{flags}"}


def test_a_frameworks_own_tool_span_gets_the_mcp_attributes_instead_of_a_second_span():
    from opentelemetry import trace as trace_api

    neatlogs.init()

    async def framework_tool_step() -> Any:
        tracer = trace_api.get_tracer("some.agent.framework")
        with tracer.start_as_current_span("execute_tool forecast", attributes={
                semconv.GEN_AI_OPERATION_NAME: "execute_tool", semconv.GEN_AI_TOOL_NAME: "forecast"}):
            return await _session_calls([("forecast", {"city": "Rome"}, {})])

    asyncio.run(framework_tool_step())
    assert neatlogs.flush()
    spans = _spans()
    tools = [s for s in spans if s.kind == "TOOL" and s.span_kind == "INTERNAL"]
    assert [s.name for s in tools] == ["execute_tool forecast"]
    assert tools[0].attributes[semconv.MCP_METHOD_NAME] == "tools/call"
    assert tools[0].attributes[semconv.NEATLOGS_MCP_SERVER_NAME] == "weather-server"
    assert any(s.name == "tools/call forecast" and s.span_kind == "SERVER" and s.trace_id == tools[0].trace_id
               for s in spans)


CLIENT = """
    import asyncio, sys
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def main():
        # env=None: the mcp client gives the server only its short list of inherited variables;
        # an env of the program's own is merged over that list (its PYTHONPATH replacing ours).
        params = StdioServerParameters(command=sys.executable, args=[{server!r}], env={env!r})
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("forecast", {{"city": "Lisbon"}})
                print("Tool:", result.content[0].text)

    asyncio.run(main())
"""


OWN_PATH_SERVER = """
import runpy

import weather_units  # found only on the PYTHONPATH the program gives the server

runpy.run_path({server!r}, run_name="__main__")
"""


def _server_needing_its_own_path(tmp_path: Path) -> tuple[Path, str]:
    """A server that imports a module found only on its own PYTHONPATH (two folders), then runs SERVER."""
    first, second = tmp_path / "own-libs", tmp_path / "more-libs"
    first.mkdir()
    second.mkdir()
    (second / "weather_units.py").write_text("UNIT = 'celsius'\n")
    script = tmp_path / "own_path_server.py"
    script.write_text(OWN_PATH_SERVER.format(server=str(SERVER)))
    return script, os.pathsep.join([str(first), str(second)])


@pytest.mark.parametrize("own_env", [False, True], ids=["env-None", "env-with-own-PYTHONPATH"])
def test_a_server_the_client_starts_under_neatlogs_run_is_traced_in_its_session_and_trace(tmp_path, own_env):
    from adopted_support import neatlogs_run

    server, env = str(SERVER), None
    if own_env:
        script, own_path = _server_needing_its_own_path(tmp_path)
        server, env = str(script), {"PYTHONPATH": own_path, "WEATHER_REGION": "south"}
    done, detail, _turns = neatlogs_run(CLIENT.format(server=server, env=env), tmp_path, "http://127.0.0.1:9/unused",
                                        session="mcp-run")
    assert "Tool: sunny in Lisbon" in done.stdout
    spans = [s for t in detail["traces"] for s in t["spans"]]
    assert {s["session_id"] for s in spans} == {"mcp-run"}
    [tool] = [s for s in spans if s["name"] == "tools/call forecast" and s["span_kind"] == "INTERNAL"]
    # The server's spans are in the session (it was traced), in the client's trace, beneath its tool span.
    [step] = [s for s in spans if s["name"] == "read forecast table"]
    by_id = {s["span_id"]: s for s in spans}
    chain = [step]
    while chain[-1]["parent_span_id"] in by_id:
        chain.append(by_id[chain[-1]["parent_span_id"]])
    assert step["trace_id"] == tool["trace_id"]
    assert tool in chain and by_id[step["parent_span_id"]]["span_kind"] == "SERVER"


def test_outside_a_run_the_servers_environment_is_mcps_own():
    import mcp.client.stdio

    neatlogs.init()
    assert "PYTHONPATH" not in mcp.client.stdio.get_default_environment()
    assert not any(key.startswith("NEATLOGS_") for key in mcp.client.stdio.get_default_environment())


def test_inside_a_run_the_server_gets_the_bootstrap_folder_and_the_settings_only(monkeypatch, tmp_path):
    from neatlogs.instrumentation.mcp.stdio_environment import BOOTSTRAP_FOLDER_NAME, run_environment

    bootstrap = tmp_path / BOOTSTRAP_FOLDER_NAME
    bootstrap.mkdir()
    (bootstrap / "sitecustomize.py").write_text("")
    environ = {"PYTHONPATH": os.pathsep.join([str(bootstrap), "/the/clients/own/libs"]),
               "NEATLOGS_SESSION_ID": "s-1", "NEATLOGS_HOME": "/h", "SECRET_TOKEN": "x", "OPENAI_API_KEY": "sk"}
    monkeypatch.setattr(sys, "_neatlogs_bootstrapped", True, raising=False)
    assert run_environment(environ) == {"PYTHONPATH": str(bootstrap), "NEATLOGS_SESSION_ID": "s-1",
                                        "NEATLOGS_HOME": "/h"}
    assert run_environment({**environ, "PYTHONPATH": "/the/clients/own/libs"}) == {}  # bootstrap taken off


def test_a_servers_own_pythonpath_gets_the_bootstrap_first_and_keeps_its_entries(monkeypatch, tmp_path):
    from neatlogs.instrumentation.mcp.stdio_environment import BOOTSTRAP_FOLDER_NAME, with_bootstrap_first

    bootstrap = tmp_path / BOOTSTRAP_FOLDER_NAME
    bootstrap.mkdir()
    (bootstrap / "sitecustomize.py").write_text("")
    environ = {"PYTHONPATH": os.pathsep.join([str(bootstrap), "/the/clients/own/libs"]), "NEATLOGS_HOME": "/h"}
    own = os.pathsep.join(["/server/libs", "/more/libs"])
    server_env = {"PYTHONPATH": own, "HOME": "/home/x"}
    assert with_bootstrap_first(server_env, environ) == server_env  # outside a run: as the program gave it
    monkeypatch.setattr(sys, "_neatlogs_bootstrapped", True, raising=False)
    assert with_bootstrap_first(server_env, environ) == {
        "PYTHONPATH": os.pathsep.join([str(bootstrap), "/server/libs", "/more/libs"]), "HOME": "/home/x"}
    assert with_bootstrap_first({"HOME": "/home/x", "PYTHONPATH": ""}, environ)["PYTHONPATH"] == str(bootstrap)
    already = {"PYTHONPATH": os.pathsep.join(["/server/libs", str(bootstrap)])}
    assert with_bootstrap_first(already, environ) == already  # the program put it there itself: not twice

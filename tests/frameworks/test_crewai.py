"""CrewAI traced by OpenInference's instrumentor on neatlogs' provider (``neatlogs[crewai]``).

A real one-agent, one-task crew with a tool, its ``LLM("openai/...")`` pointed at the stand-in
model (which calls the tool, then answers): the kickoff (WORKFLOW) is the root, the task runs
as an AGENT span named after the agent's role, the tool is a TOOL span, and the model calls
neatlogs traces through the client CrewAI drives sit under the task. CrewAI's telemetry is
off here (``CREWAI_DISABLE_TELEMETRY``): it has a provider of its own and reaches the internet.
"""

from __future__ import annotations

import os

import pytest
from adopted_support import OFFLINE_ENV, block_internet, neatlogs_run, records, scopes, turns_of

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

crewai = pytest.importorskip("crewai", reason="CrewAI is not installed (extra frameworks-openai2: it pins openai<3)")
pytest.importorskip("openinference.instrumentation.crewai", reason="neatlogs[crewai] is not installed")

import neatlogs  # noqa: E402
from neatlogs import _testing  # noqa: E402
from neatlogs import semconv as sc  # noqa: E402

SCOPE = "openinference.instrumentation.crewai"
QUESTION = "Where is my order?"
ROLE = "Support agent"

CREW = """
from crewai import LLM, Agent, Crew, Task
from crewai.tools import tool


@tool("lookup")
def lookup(query: str) -> str:
    \"\"\"Look an order up.\"\"\"
    return f"order {query}: shipped on Monday"


def build_crew(base_url):
    llm = LLM(model="openai/gpt-4o-mini", base_url=base_url, api_key="sk-test")
    agent = Agent(role="Support agent", goal="Answer order questions", backstory="Patient and brief.",
                  llm=llm, tools=[lookup], verbose=False)
    task = Task(description="Answer the customer: {question}", expected_output="One sentence", agent=agent)
    return Crew(agents=[agent], tasks=[task], verbose=False)
"""
_namespace: dict = {}
exec(CREW, _namespace)  # the same crew the ``neatlogs run`` program builds
build_crew = _namespace["build_crew"]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    return block_internet(monkeypatch)


def _kind(span) -> str | None:
    return (span.attributes or {}).get(sc.OPENINFERENCE_SPAN_KIND)


@pytest.fixture(scope="module")
def crew_run(standin_model):
    """One kickoff, traced in memory (a crew is slow to build and run: the tests share it)."""
    with pytest.MonkeyPatch.context() as patch:
        block_internet(patch)
        memory = _testing.init_in_memory(instrumentations=["crewai", "litellm", "openai"], session_id="crew-session")
        try:
            output = build_crew(standin_model.base_url).kickoff(inputs={"question": QUESTION})
            spans = list(memory.get_finished_spans())
        finally:
            _testing.reset()
    return output, spans


def test_the_kickoff_is_a_workflow_over_the_task_agent_tool_and_llm_calls(crew_run):
    output, spans = crew_run
    assert scopes(spans) == {SCOPE, "neatlogs"}
    assert all(s.attributes[sc.SESSION_ID] == "crew-session" for s in spans)
    by_id = {s.context.span_id: s for s in spans}
    [root] = [s for s in spans if s.parent is None]
    assert _kind(root) == "WORKFLOW" and root.name.endswith(".kickoff")
    assert all(s.context.trace_id == root.context.trace_id for s in spans)
    [task] = [s for s in spans if _kind(s) == "AGENT"]
    assert by_id[task.parent.span_id] is root
    assert task.name == f"{ROLE}._execute_core" and task.attributes[sc.GRAPH_NODE_ID] == ROLE
    assert "Answer order questions" in task.attributes[sc.INPUT_VALUE]  # the agent's goal
    [tool] = [s for s in spans if _kind(s) == "TOOL"]
    assert tool.attributes[sc.TOOL_NAME] == "lookup" and by_id[tool.parent.span_id] is task
    assert tool.attributes[sc.OUTPUT_VALUE] == "order stand-in: shipped on Monday"
    calls = [s for s in spans if _kind(s) == "LLM"]
    assert len(calls) == 2 and all(s.instrumentation_scope.name == "neatlogs" for s in calls)
    assert all(by_id[s.parent.span_id] is task for s in calls)
    first, second = sorted(calls, key=lambda s: s.start_time)
    assert first.attributes[f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}"] \
        == "lookup"
    assert second.end_time <= root.end_time and str(output) in second.attributes[sc.OUTPUT_VALUE]


def test_no_header_of_ours_reaches_the_models_requests(crew_run, standin_model):
    assert standin_model.requests
    assert not {"traceparent", "tracestate", "baggage"} & {k.lower() for r in standin_model.requests for k in r["headers"]}


def test_the_turn_says_the_crews_input_and_answers_with_its_output(crew_run):
    output, spans = crew_run
    [turn] = turns_of(records(spans))
    assert turn.user_text == QUESTION
    assert turn.reply_text == str(output)
    assert turn.tokens == sum(s.attributes[sc.LLM_TOKEN_COUNT_TOTAL] for s in spans if _kind(s) == "LLM") > 0


def test_capture_off_leaves_no_content_on_the_wire(standin_model, otlp_receiver):
    from wire import Wire

    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["crewai", "litellm", "openai"],
                  capture_content=False, session_id="crew-private")
    build_crew(standin_model.base_url).kickoff(inputs={"question": "my secret order 4411"})
    assert neatlogs.flush()
    spans = otlp_receiver.spans()
    assert {s["scope"] for s in spans} == {SCOPE, "neatlogs"}
    assert {s["attributes"][sc.OPENINFERENCE_SPAN_KIND] for s in spans} == {"WORKFLOW", "AGENT", "TOOL", "LLM"}
    text = Wire(otlp_receiver).raw_text()
    for secret in ("my secret order", "4411", "shipped on Monday", "Answer order questions", "Patient and brief"):
        assert secret not in text
    [tool] = [s for s in spans if s["attributes"][sc.OPENINFERENCE_SPAN_KIND] == "TOOL"]
    assert tool["attributes"][sc.TOOL_NAME] == "lookup"  # what ran is kept; what it was given and gave is not
    assert all(s["attributes"][sc.SESSION_ID] == "crew-private" for s in spans)


def test_init_twice_is_one_instrumentor(standin_model):
    from openinference.instrumentation.crewai import CrewAIInstrumentor

    memory = _testing.init_in_memory(instrumentations=["crewai", "openai"])
    neatlogs.init(instrumentations=["crewai"])
    assert CrewAIInstrumentor().is_instrumented_by_opentelemetry
    build_crew(standin_model.base_url).kickoff(inputs={"question": QUESTION})
    assert [_kind(s) for s in memory.get_finished_spans()].count("WORKFLOW") == 1


PROGRAM = CREW + """
import os

print("Bot:", build_crew(os.environ["STANDIN_URL"]).kickoff(inputs={"question": "Where is my order?"}))
"""


def test_under_neatlogs_run_the_session_shows_the_crew_as_one_turn(standin_model, tmp_path):
    done, detail, turns = neatlogs_run(PROGRAM, tmp_path, standin_model.base_url)
    assert "Bot: [stand-in model]" in done.stdout
    [turn] = turns
    assert turn.user_text == QUESTION and turn.reply_text and turn.reply_text.startswith("[stand-in model]")
    assert detail["turn_count"] == 1 and detail["token_count"] == turn.tokens > 0
    spans = [s for t in detail["traces"] for s in t["spans"]]
    assert sorted(s["kind"] for s in spans) == ["AGENT", "LLM", "LLM", "TOOL", "WORKFLOW"]
    ids = {s["span_id"] for s in spans}
    assert all(s["parent_span_id"] is None or s["parent_span_id"] in ids for s in spans)  # no foreign parents

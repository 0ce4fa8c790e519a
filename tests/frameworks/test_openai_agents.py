"""The OpenAI Agents SDK under neatlogs: its runs, agents, model calls, tools, handoffs and guardrails as spans.

Real ``agents.Agent`` runs (``Runner.run``, ``run_sync``, ``run_streamed``) against the
loopback stand-in model, through the real openai client, which neatlogs traces too: its span
must sit under the SDK's model-call span, in the one trace of the run. The SDK's own export to
OpenAI is replaced by our processor alone, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from typing import Any, Callable

import pytest

import neatlogs
from neatlogs import _testing, semconv

agents = pytest.importorskip("agents")

KIND = semconv.OPENINFERENCE_SPAN_KIND


# --- fixtures --------------------------------------------------------------------------------------
def _offline_sdk() -> None:
    """Only neatlogs' processor receives the SDK's traces: its default exporter would post to OpenAI."""
    agents.set_trace_processors([neatlogs.openai_agents_processor()])


@pytest.fixture
def memory() -> Any:
    """neatlogs with every instrumentation (the Agents SDK's among them), exporting to memory."""
    exporter = _testing.init_in_memory()
    _offline_sdk()
    return exporter


@pytest.fixture
def in_loop(standin_model: Any) -> Callable[..., Any]:
    """``in_loop(coroutine_function)``: run it in a fresh event loop with the SDK's default client on the stand-in."""
    from openai import AsyncOpenAI

    def run(main: Callable[[], Any]) -> Any:
        async def with_client() -> Any:
            client = AsyncOpenAI(base_url=standin_model.base_url, api_key="sk-test", max_retries=0)
            agents.set_default_openai_client(client, use_for_tracing=False)
            try:
                return await main()
            finally:
                await client.close()

        return asyncio.run(with_client())

    return run


@agents.function_tool
def lookup_order(query: str) -> str:
    """Look an order up."""
    return f"order for {query}: shipped"


@agents.function_tool
def broken_tool(query: str) -> str:
    """A tool that fails."""
    raise RuntimeError("the warehouse is down")


def _helper(**options: Any) -> Any:
    options.setdefault("tools", [lookup_order])
    options.setdefault("instructions", "You help with orders.")
    return agents.Agent(name="Helper", model="gpt-4o-mini", **options)


# --- reading spans -------------------------------------------------------------------------------------
class Tree:
    """Finished spans with their parents, by name."""

    def __init__(self, spans: list[Any]) -> None:
        self.spans = sorted(spans, key=lambda s: s.start_time)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def named(self, name: str) -> list[Any]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str) -> Any:
        (found,) = self.named(name)
        return found

    def kind(self, kind: str) -> list[Any]:
        return [s for s in self.spans if s.attributes.get(KIND) == kind]

    def parent(self, span: Any) -> Any:
        return self.by_id.get(span.parent.span_id) if span.parent is not None else None

    def ancestors(self, span: Any) -> list[str]:
        names = []
        while (span := self.parent(span)) is not None:
            names.append(span.name)
        return names

    def roots(self) -> list[Any]:
        return [s for s in self.spans if s.parent is None]

    def client_calls(self) -> list[Any]:
        """The openai client's own spans (``responses gpt-4o-mini``, ``chat ...``)."""
        return [s for s in self.spans if s.instrumentation_scope.name != "agents" and s.kind.name == "CLIENT"]


def _assert_well_parented(tree: Tree) -> None:
    """Every span but the roots has its parent among the spans, in the parent's trace."""
    for span in tree.spans:
        if span.parent is None:
            continue
        parent = tree.by_id.get(span.parent.span_id)
        assert parent is not None, f"{span.name} has a parent that was never exported"
        assert parent.context.trace_id == span.context.trace_id


# --- a tool-using agent, two user messages ---------------------------------------------------------------
def test_two_user_messages_are_two_traces_each_with_its_agent_model_calls_and_tool(memory, in_loop):
    agent = _helper()

    async def main() -> list[str]:
        first = await agents.Runner.run(agent, "Where is my order?")
        second = await agents.Runner.run(agent, "And the invoice?")
        return [first.final_output, second.final_output]

    outputs = in_loop(main)
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    roots = tree.roots()
    assert [r.name for r in roots] == ["Agent workflow", "Agent workflow"]
    assert len({r.context.trace_id for r in roots}) == 2
    assert [r.attributes[semconv.INPUT_VALUE] for r in roots] == ["Where is my order?", "And the invoice?"]
    assert [r.attributes[semconv.OUTPUT_VALUE] for r in roots] == outputs
    for root in roots:
        trace = Tree([s for s in tree.spans if s.context.trace_id == root.context.trace_id])
        agent_span = trace.one("Helper")
        assert agent_span.attributes[KIND] == "AGENT"
        assert agent_span.attributes[semconv.AGENT_NAME] == "Helper"
        assert json.loads(agent_span.attributes[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
            {"type": "text", "content": "You help with orders."}]
        assert list(agent_span.attributes[semconv.NEATLOGS_AGENT_TOOLS]) == ["lookup_order"]
        tool = trace.one("lookup_order")
        assert tool.attributes[KIND] == "TOOL"
        assert json.loads(tool.attributes[semconv.INPUT_VALUE]) == {"query": "stand-in"}
        assert tool.attributes[semconv.OUTPUT_VALUE] == "order for stand-in: shipped"
        assert "Helper" in trace.ancestors(tool)
        model_calls = trace.named("response gpt-4o-mini")
        assert len(model_calls) == 2  # the tool call, then the answer
        for call in model_calls:
            assert call.attributes[KIND] == "LLM"
            assert trace.ancestors(call)[-3:] == ["Helper", "task Agent workflow", "Agent workflow"]
            assert call.attributes[semconv.LLM_TOKEN_COUNT_TOTAL] > 0
        # One model call, one span: the SDK's carries what the openai client call inside it sent and where.
        assert trace.client_calls() == []
        for call in model_calls:
            assert call.attributes[semconv.SERVER_ADDRESS] == "127.0.0.1"
            assert call.attributes[f"{semconv.LLM_INPUT_MESSAGES}.0.{semconv.MESSAGE_CONTENT}"] == \
                "You help with orders."
            assert "lookup_order" in call.attributes[semconv.LLM_INVOCATION_PARAMETERS]  # the tools it was given
            assert semconv.GEN_AI_INPUT_MESSAGES in call.attributes
        assert all(s.status.status_code.name != "ERROR" for s in trace.spans)
    from opentelemetry import trace as trace_api

    assert not trace_api.get_current_span().get_span_context().is_valid  # no context left attached


def test_run_sync_and_run_streamed_give_the_same_tree(memory, standin_model, in_loop):
    from openai import AsyncOpenAI

    # run_sync keeps an event loop of its own: its client must not be used by another loop.
    agents.set_default_openai_client(AsyncOpenAI(base_url=standin_model.base_url, api_key="sk-test", max_retries=0),
                                     use_for_tracing=False)
    agent = _helper()
    result = agents.Runner.run_sync(agent, "Sync question")
    assert result.final_output

    async def streamed() -> str:
        run = agents.Runner.run_streamed(agent, "Streamed question")
        async for _event in run.stream_events():
            pass
        return run.final_output

    assert in_loop(streamed)
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    assert [r.attributes[semconv.INPUT_VALUE] for r in tree.roots()] == ["Sync question", "Streamed question"]
    for root in tree.roots():
        trace = Tree([s for s in tree.spans if s.context.trace_id == root.context.trace_id])
        assert len(trace.named("lookup_order")) == 1
        model_calls = trace.named("response gpt-4o-mini")
        assert len(model_calls) == 2 and trace.client_calls() == []
        assert all(call.attributes[semconv.LLM_TOKEN_COUNT_TOTAL] > 0 for call in model_calls)


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
def test_the_chat_completions_model_is_traced_as_generation_spans(memory, in_loop, standin_model, streamed):
    from openai import AsyncOpenAI

    async def main() -> str:
        client = AsyncOpenAI(base_url=standin_model.base_url, api_key="sk-test", max_retries=0)
        model = agents.OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)
        agent = agents.Agent(name="Chatty", instructions="Be brief.", model=model, tools=[lookup_order])
        if streamed:
            run = agents.Runner.run_streamed(agent, "Chat with me")
            async for _event in run.stream_events():
                pass
            output = run.final_output
        else:
            output = (await agents.Runner.run(agent, "Chat with me")).final_output
        await client.close()
        return output

    assert in_loop(main)
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    generations = tree.named("generation gpt-4o-mini")
    assert len(generations) == 2
    assert tree.client_calls() == [] and all(g.attributes[semconv.SERVER_ADDRESS] == "127.0.0.1" for g in generations)
    first = generations[0].attributes
    assert first[f"{semconv.LLM_INPUT_MESSAGES}.0.{semconv.MESSAGE_ROLE}"] == "system"
    assert first[f"{semconv.LLM_OUTPUT_MESSAGES}.0.{semconv.MESSAGE_TOOL_CALLS}.0.{semconv.TOOL_CALL_FUNCTION_NAME}"] \
        == "lookup_order"
    if streamed:  # the SDK asks for no usage in the stream: none reported, rather than zeros
        assert semconv.LLM_TOKEN_COUNT_TOTAL not in generations[1].attributes
    else:
        assert generations[1].attributes[semconv.LLM_TOKEN_COUNT_TOTAL] > 0
    assert json.loads(tree.one("Chatty").attributes[semconv.GEN_AI_SYSTEM_INSTRUCTIONS])[0]["content"] == "Be brief."
    assert tree.roots()[0].attributes[semconv.INPUT_VALUE] == "Chat with me"


# --- nesting: agent as tool, handoff, guardrails, errors ------------------------------------------------
def test_an_agent_used_as_a_tool_runs_under_its_tool_span(memory, in_loop):
    researcher = agents.Agent(name="Researcher", instructions="Research.", model="gpt-4o-mini")
    agent = _helper(tools=[researcher.as_tool(tool_name="ask_researcher", tool_description="Ask the researcher.")])
    in_loop(lambda: agents.Runner.run(agent, "Find out for me"))
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    assert len(tree.roots()) == 1  # one trace: the nested run is not a turn of its own
    nested = tree.one("Researcher")
    assert nested.attributes[KIND] == "AGENT"
    assert tree.ancestors(nested)[:3] == ["task Agent workflow", "ask_researcher", "turn 1 (Helper)"]
    assert tree.one("ask_researcher").attributes[KIND] == "TOOL"
    nested_call = [s for s in tree.named("response gpt-4o-mini") if "Researcher" in tree.ancestors(s)]
    assert len(nested_call) == 1
    assert tree.client_calls() == []
    assert json.loads(nested.attributes[semconv.GEN_AI_SYSTEM_INSTRUCTIONS])[0]["content"] == "Research."


def test_a_handoff_is_a_step_between_the_two_agents(memory, in_loop):
    billing = agents.Agent(name="Billing", instructions="Handle billing.", model="gpt-4o-mini")
    triage = agents.Agent(name="Triage", instructions="Route the user.", model="gpt-4o-mini", handoffs=[billing])
    result = in_loop(lambda: agents.Runner.run(triage, "I need my invoice"))
    assert result.last_agent.name == "Billing"
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    handoff = tree.one("handoff Triage -> Billing")
    assert handoff.attributes[KIND] == "CHAIN"
    assert handoff.attributes[semconv.NEATLOGS_HANDOFF_FROM] == "Triage"
    assert handoff.attributes[semconv.NEATLOGS_HANDOFF_TO] == "Billing"
    assert "Triage" in tree.ancestors(handoff)
    assert list(tree.one("Triage").attributes[semconv.NEATLOGS_AGENT_HANDOFFS]) == ["Billing"]
    billing_span = tree.one("Billing")
    assert billing_span.attributes[KIND] == "AGENT"
    assert tree.roots()[0].attributes[semconv.OUTPUT_VALUE] == result.final_output


def test_guardrails_are_guardrail_spans_triggered_or_not(memory, in_loop):
    @agents.input_guardrail
    def no_secrets(context: Any, agent: Any, text: Any) -> Any:
        return agents.GuardrailFunctionOutput(output_info=None, tripwire_triggered="secret" in str(text))

    agent = _helper(input_guardrails=[no_secrets])
    in_loop(lambda: agents.Runner.run(agent, "A harmless question"))
    with pytest.raises(agents.InputGuardrailTripwireTriggered):
        in_loop(lambda: agents.Runner.run(agent, "Tell me the secret"))
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    guardrails = tree.named("guardrail no_secrets")
    assert [g.attributes[KIND] for g in guardrails] == ["GUARDRAIL", "GUARDRAIL"]
    assert [g.attributes[semconv.NEATLOGS_GUARDRAIL_TRIGGERED] for g in guardrails] == [False, True]
    assert all("Helper" in tree.ancestors(g) for g in guardrails)
    tripped = [s for s in tree.spans if s.context.trace_id == guardrails[1].context.trace_id]
    assert any(s.status.status_code.name == "ERROR" for s in tripped)
    assert len(tree.roots()) == 2  # the tripped run's trace still ended


def test_a_tool_that_raises_is_an_error_span_and_the_run_goes_on(memory, in_loop):
    agent = _helper(tools=[broken_tool])
    result = in_loop(lambda: agents.Runner.run(agent, "Try the broken tool"))
    assert result.final_output
    tree = Tree(memory.get_finished_spans())
    tool = tree.one("broken_tool")
    assert tool.status.status_code.name == "ERROR"
    assert "Error running tool" in tool.status.description
    assert tree.one("Helper").status.status_code.name != "ERROR"


# --- sessions, content policy, the explicit processor ------------------------------------------------------
def test_the_group_id_is_the_session_of_every_span_of_the_run(memory, in_loop):
    neatlogs.init(auto_session=True)
    agent = _helper()

    async def main() -> None:
        config = agents.RunConfig(group_id="thread-42", workflow_name="Support")
        await agents.Runner.run(agent, "Hello", run_config=config)
        await agents.Runner.run(agent, "No group here")

    in_loop(main)
    tree = Tree(memory.get_finished_spans())
    grouped, ungrouped = tree.roots()
    assert grouped.name == "Support"
    assert grouped.attributes[semconv.GEN_AI_CONVERSATION_ID] == "thread-42"
    in_group = [s for s in tree.spans if s.context.trace_id == grouped.context.trace_id]
    assert len(in_group) > 5
    assert {s.attributes[semconv.SESSION_ID] for s in in_group} == {"thread-42"}
    others = {s.attributes[semconv.SESSION_ID] for s in tree.spans if s.context.trace_id == ungrouped.context.trace_id}
    assert len(others) == 1 and others != {"thread-42"}  # the run's automatic session


def test_an_sdk_session_is_the_session_of_its_runs(memory, in_loop):
    neatlogs.init(auto_session=True)
    agent = _helper()

    async def main() -> None:
        memory_session = agents.SQLiteSession("user-9")
        await agents.Runner.run(agent, "Remember me", session=memory_session)
        run = agents.Runner.run_streamed(agent, "Do you remember?", session=memory_session)
        async for _event in run.stream_events():
            pass
        await agents.Runner.run(agent, "A run of no session")

    in_loop(main)
    tree = Tree(memory.get_finished_spans())
    first, second, third = tree.roots()
    assert [r.attributes[semconv.INPUT_VALUE] for r in tree.roots()] == [
        "Remember me", "Do you remember?", "A run of no session"]  # the new message, not the history
    for root in (first, second):
        assert {s.attributes[semconv.SESSION_ID] for s in tree.spans
                if s.context.trace_id == root.context.trace_id} == {"user-9"}
    assert third.attributes[semconv.SESSION_ID] != "user-9"


def test_an_openai_conversation_a_run_continues_is_its_session(memory, in_loop):
    neatlogs.init(auto_session=True)
    agent = _helper()

    async def main() -> None:
        await agents.Runner.run(agent, "Continue our chat", conversation_id="conv_77")

    in_loop(main)
    tree = Tree(memory.get_finished_spans())
    (root,) = tree.roots()
    assert {s.attributes[semconv.SESSION_ID] for s in tree.spans} == {"conv_77"}  # the client call's too


def test_an_sdk_trace_around_two_runs_is_one_trace(memory, in_loop):
    agent = _helper()

    async def main() -> None:
        with agents.trace("Conversation", group_id="chat-7"):
            await agents.Runner.run(agent, "First")
            await agents.Runner.run(agent, "Second")

    in_loop(main)
    tree = Tree(memory.get_finished_spans())
    _assert_well_parented(tree)
    (root,) = tree.roots()
    assert root.name == "Conversation"
    assert root.attributes[semconv.INPUT_VALUE] == "First"
    assert len(tree.named("Helper")) == 2
    assert {s.attributes[semconv.SESSION_ID] for s in tree.spans} == {"chat-7"}


@pytest.mark.parametrize("mode", ["off", "masked"])
def test_capture_off_and_the_mask_hold_on_the_wire(otlp_receiver, in_loop, mode):
    from wire import Wire

    secret = "my-card-4242"
    settings: dict[str, Any] = {"capture_content": False} if mode == "off" else {
        "mask": lambda value: value.replace(secret, "[MASKED]") if isinstance(value, str) else value}
    neatlogs.init(endpoint=otlp_receiver.endpoint, **settings)
    _offline_sdk()
    researcher = agents.Agent(name="Researcher", instructions=f"Never say {secret}.", model="gpt-4o-mini")
    agent = _helper(instructions=f"Instructions mention {secret}.",
                    tools=[researcher.as_tool(tool_name="ask", tool_description="Ask.")])
    in_loop(lambda: agents.Runner.run(agent, f"My card is {secret}"))
    # The outer run (root, task, agent, 2 turns, 2 model calls, the tool) and the nested one (task, agent, turn,
    # model call): the client calls add to the model calls' spans, each under the policy of its run.
    spans = Wire(otlp_receiver).spans(8 + 4)
    assert {"Helper", "Researcher", "ask", "Agent workflow"} <= {s["name"] for s in spans}
    text = Wire(otlp_receiver).raw_text()
    assert secret not in text
    values = [s["attributes"].get(semconv.INPUT_VALUE) for s in spans]
    if mode == "off":
        assert values == [None] * len(values)
        assert not any(semconv.GEN_AI_SYSTEM_INSTRUCTIONS in s["attributes"] for s in spans)
    else:
        assert "[MASKED]" in text
        root = next(s for s in spans if s["name"] == "Agent workflow")
        assert root["attributes"][semconv.INPUT_VALUE] == "My card is [MASKED]"


def test_the_explicit_processor_is_the_auto_hooked_one_and_never_doubles_spans(memory, in_loop):
    agent = _helper()
    in_loop(lambda: agents.Runner.run(agent, "Once"))
    once = len(memory.get_finished_spans())
    memory.clear()
    processor = neatlogs.openai_agents_processor()
    assert processor is neatlogs.openai_agents_processor()
    agents.add_trace_processor(processor)  # as a program written for the explicit hook does
    in_loop(lambda: agents.Runner.run(agent, "Twice registered"))
    spans = memory.get_finished_spans()
    assert len(spans) == once
    assert len({s.context.span_id for s in spans}) == once


def test_a_program_replacing_the_sdks_processors_keeps_ours_and_its_own(memory, in_loop):
    seen: list[str] = []

    class ProgramsOwn(agents.TracingProcessor):
        def on_trace_start(self, trace: Any) -> None:
            seen.append(trace.name)

        def on_trace_end(self, trace: Any) -> None: ...
        def on_span_start(self, span: Any) -> None: ...
        def on_span_end(self, span: Any) -> None: ...
        def shutdown(self) -> None: ...
        def force_flush(self) -> None: ...

    agents.set_trace_processors([ProgramsOwn()])  # as programs on other providers do, to stop the export
    in_loop(lambda: agents.Runner.run(_helper(), "Still traced?"))
    assert seen == ["Agent workflow"]
    assert Tree(memory.get_finished_spans()).roots()[0].attributes[semconv.INPUT_VALUE] == "Still traced?"


def test_the_processor_records_nothing_without_init(in_loop):
    processor = neatlogs.openai_agents_processor()
    agents.set_trace_processors([processor])
    result = in_loop(lambda: agents.Runner.run(_helper(), "Untraced"))
    assert result.final_output  # the program runs as before; nothing to record into


# --- under `neatlogs run`, no code changes ------------------------------------------------------------------
PROGRAM = textwrap.dedent('''
    import asyncio
    import os

    from agents import Agent, Runner, function_tool, set_default_openai_client
    from openai import AsyncOpenAI


    @function_tool
    def lookup_order(query: str) -> str:
        """Look an order up."""
        return f"order for {query}: shipped"


    async def main():
        client = AsyncOpenAI(base_url=os.environ["STANDIN_URL"], api_key="sk-test", max_retries=0)
        set_default_openai_client(client, use_for_tracing=False)
        agent = Agent(name="Helper", instructions="You help.", model="gpt-4o-mini", tools=[lookup_order])
        for message in ("Where is my order?", "Thanks, and the invoice?"):
            result = await Runner.run(agent, message)
            print("Bot:", result.final_output)


    asyncio.run(main())
''')


def test_a_program_under_neatlogs_run_shows_two_turns_with_its_agent_and_tools(standin_model, tmp_path):
    program = tmp_path / "agent_bot.py"
    program.write_text(PROGRAM)
    home = tmp_path / "home"
    # No OPENAI_API_KEY: the SDK's own exporter then sends nothing (it has no key) and says so.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_", "OPENAI_"))}
    env.update(NEATLOGS_HOME=str(home), STANDIN_URL=standin_model.base_url)
    neatlogs_command = [sys.executable, "-m", "neatlogs_cli"]
    result = subprocess.run([*neatlogs_command, "run", "--", sys.executable, str(program)], capture_output=True,
                            text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Bot: ") == 2

    def shown(*args: str) -> Any:
        out = subprocess.run([*neatlogs_command, *args, "--json"], capture_output=True, text=True, timeout=60,
                             env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    (session,) = shown("sessions")
    assert session["turn_count"] == 2
    detail = shown("show", session["session_id"])
    traces = detail["traces"]
    assert len(traces) == 2  # one per Runner.run: the client calls are inside them, not traces of their own
    from neatlogs import store
    from neatlogs_cli.timeline import build_turns

    records = [store.TraceSpans(t["trace_id"], [store.SpanRecord(**{k: v for k, v in s.items()
                                                                    if k not in ("session_id", "service_name")})
                                                for s in t["spans"]]) for t in traces]
    turns = build_turns(records)
    assert [t.user_text for t in turns] == ["Where is my order?", "Thanks, and the invoice?"]
    assert all(t.reply_text and t.reply_text.startswith("[stand-in model]") for t in turns)
    for trace in records:
        kinds = [s.kind for s in trace.spans]
        assert kinds.count("AGENT") == 1 and kinds.count("TOOL") == 1
        ids = {s.span_id for s in trace.spans}
        assert [s.name for s in trace.spans if s.parent_span_id not in ids] == ["Agent workflow"]
        # Each model call's tokens count once: one span per model call, the SDK's.
        assert sum(s.attributes.get(semconv.LLM_TOKEN_COUNT_TOTAL, 0) for s in trace.spans
                   if s.name.startswith("response ")) > 0
    assert sum(t.tokens for t in turns) == session["token_count"] == sum(
        s.attributes.get(semconv.LLM_TOKEN_COUNT_TOTAL, 0) for t in records for s in t.spans)


def test_a_streamed_run_cancelled_midway_leaves_no_context_and_no_open_span(memory, in_loop, caplog):
    agent = _helper()

    async def main() -> None:
        run = agents.Runner.run_streamed(agent, "Stop me early")
        async for event in run.stream_events():
            if getattr(event, "type", None) == "raw_response_event":
                run.cancel()
                break
        await asyncio.sleep(0.05)  # the run's task winds down

    with caplog.at_level("ERROR"):
        in_loop(main)
    assert "Failed to detach context" not in caplog.text
    tree = Tree(memory.get_finished_spans())
    (root,) = tree.roots()
    assert root.name == "Agent workflow"
    assert not tree.named("lookup_order")  # cancelled during the first model call
    _assert_well_parented(tree)
    assert not neatlogs.openai_agents_processor()._open  # every span it started has ended
    from opentelemetry import trace as trace_api

    assert not trace_api.get_current_span().get_span_context().is_valid


def test_another_package_named_agents_is_left_alone(monkeypatch):
    import types

    from neatlogs.instrumentation import openai_agents

    impostor = types.ModuleType("agents")
    monkeypatch.setitem(sys.modules, "agents.tracing", types.ModuleType("agents.tracing"))  # no SDK names in it
    monkeypatch.setattr(openai_agents, "_registered", False)
    openai_agents.instrument(impostor)
    assert openai_agents._registered is False  # nothing added, nothing imported


def test_a_voice_pipelines_transcription_and_speech_are_model_calls_with_their_text_not_their_audio(memory):
    # The spans the SDK's VoicePipeline makes, through the SDK's own tracing API.
    with agents.trace("Voice Agent"):
        with agents.tracing.transcription_span(model="gpt-4o-transcribe", input="UklGRiQAAABXQVZF",
                                               input_format="pcm") as heard:
            heard.span_data.output = "Where is my order?"
        with agents.tracing.speech_group_span(input="It ships tomorrow."):
            with agents.tracing.speech_span(model="gpt-4o-mini-tts", input="It ships tomorrow.",
                                            output="AAAAAAAA", output_format="pcm"):
                pass
    tree = Tree(memory.get_finished_spans())
    transcription = tree.one("transcription gpt-4o-transcribe").attributes
    assert transcription[KIND] == "LLM" and transcription[semconv.LLM_MODEL_NAME] == "gpt-4o-transcribe"
    assert transcription[semconv.OUTPUT_VALUE] == "Where is my order?"
    assert transcription[semconv.INPUT_VALUE] == "(audio, pcm)"  # never the audio itself
    speech = tree.one("speech gpt-4o-mini-tts")
    assert speech.attributes[KIND] == "LLM" and speech.attributes[semconv.INPUT_VALUE] == "It ships tomorrow."
    assert speech.attributes[semconv.OUTPUT_VALUE] == "(audio, pcm)"
    assert tree.parent(speech).name == "speech_group"
    assert tree.parent(speech).attributes[semconv.INPUT_VALUE] == "It ships tomorrow."
    assert not any("UklGR" in str(v) or "AAAAAAAA" in str(v) for s in tree.spans for v in s.attributes.values())

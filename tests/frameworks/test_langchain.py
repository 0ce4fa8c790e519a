"""LangChain and LangGraph traced through their callbacks: real langchain-openai against the stand-in model."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_openai")
pytest.importorskip("langgraph")

from langchain.agents import create_agent  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from wire import Wire  # noqa: E402

import neatlogs  # noqa: E402
from neatlogs import _testing, semconv  # noqa: E402
from neatlogs.store.records import token_counts  # noqa: E402

KIND = semconv.OPENINFERENCE_SPAN_KIND
SECRET = "hunter2-secret"


@tool
def lookup(query: str) -> str:
    """Look an order up."""
    return f"order {query} ships tomorrow"


@tool
def broken(query: str) -> str:
    """A tool that always fails."""
    raise ValueError(f"no order {query}")


class Shelf(BaseRetriever):
    """A retriever over two fixed documents."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"about {query}", metadata={"source": "a.txt"}, id="doc-1"),
                Document(page_content="more", metadata={"source": "b.txt"})]


@pytest.fixture
def memory() -> Any:
    """neatlogs with every instrumentation (LangChain's hook included), exporting to memory."""
    return _testing.init_in_memory()


@pytest.fixture
def model(standin_model: Any) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o-mini", base_url=standin_model.base_url, api_key="sk-test", max_retries=0)


def _async_model(base_url: str) -> ChatOpenAI:
    """A model for one event loop: langchain-openai shares one async HTTP client across loops otherwise."""
    import httpx

    return ChatOpenAI(model="gpt-4o-mini", base_url=base_url, api_key="sk-test", max_retries=0,
                      http_async_client=httpx.AsyncClient())


def _by_id(spans: list[Any]) -> dict[int, Any]:
    return {s.context.span_id: s for s in spans}


def _parent(span: Any, spans: list[Any]) -> Any:
    return _by_id(spans).get(span.parent.span_id) if span.parent is not None else None


def _named(spans: list[Any], name: str) -> list[Any]:
    return [s for s in spans if s.name == name]


def _client_spans(spans: list[Any]) -> list[Any]:
    return [s for s in spans if s.name.startswith("chat ")]


def _assert_client_calls_under_the_model_runs(spans: list[Any], model_span: str = "ChatOpenAI") -> None:
    clients = _client_spans(spans)
    assert clients
    for client in clients:
        parent = _parent(client, spans)
        assert parent is not None and parent.name == model_span and parent.attributes[KIND] == "LLM"
        assert client.context.trace_id == parent.context.trace_id


def test_a_chain_is_a_trace_of_its_steps_with_the_model_call_beneath(memory, model):
    chain = ChatPromptTemplate.from_messages([("system", "You answer in one line."), ("user", "{question}")]) \
        | model | StrOutputParser()
    answer = chain.invoke({"question": "Where is my order?"})
    spans = memory.get_finished_spans()
    (root,) = [s for s in spans if s.parent is None]
    assert root.name == "RunnableSequence" and root.attributes[KIND] == "CHAIN"
    assert json.loads(root.attributes[semconv.INPUT_VALUE]) == {"question": "Where is my order?"}
    assert root.attributes[semconv.OUTPUT_VALUE] == answer
    steps = {s.name: s for s in spans if _parent(s, spans) is root}
    assert set(steps) == {"ChatPromptTemplate", "ChatOpenAI", "StrOutputParser"}
    llm = steps["ChatOpenAI"]
    attributes = llm.attributes
    assert attributes[KIND] == "LLM" and attributes[semconv.LLM_MODEL_NAME] == "gpt-4o-mini"
    assert attributes[semconv.LLM_PROVIDER] == "openai"
    assert attributes["llm.input_messages.0.message.role"] == "system"
    assert attributes["llm.input_messages.0.message.content"] == "You answer in one line."
    assert attributes["llm.input_messages.1.message.content"] == "Where is my order?"
    assert attributes["llm.output_messages.0.message.content"] == answer
    assert attributes[semconv.LLM_TOKEN_COUNT_PROMPT] > 0 and attributes[semconv.LLM_TOKEN_COUNT_TOTAL] > 0
    assert "stream" in json.loads(attributes[semconv.LLM_INVOCATION_PARAMETERS])
    _assert_client_calls_under_the_model_runs(spans)
    assert len(spans) == 5 and all(s.status.is_ok for s in spans)


def _agent_turns(agent: Any, thread: str) -> list[str]:
    replies = []
    for message in ("Where is my order?", "Thanks, and the invoice?"):
        state = agent.invoke({"messages": [{"role": "user", "content": message}]},
                             config={"configurable": {"thread_id": thread}})
        replies.append(state["messages"][-1].content)
    return replies


def test_a_two_turn_tool_agent_is_two_traces_in_the_threads_session(model):
    memory = _testing.init_in_memory(auto_session=True)  # the thread's id wins over the run's own session
    agent = create_agent(model, tools=[lookup], system_prompt="You track orders.", checkpointer=InMemorySaver())
    replies = _agent_turns(agent, "thread-42")
    spans = memory.get_finished_spans()
    roots = [s for s in spans if s.parent is None]
    assert [r.name for r in roots] == ["LangGraph", "LangGraph"]
    assert {r.attributes[KIND] for r in roots} == {"AGENT"}
    assert len({r.context.trace_id for r in roots}) == 2
    assert json.loads(roots[1].attributes[semconv.INPUT_VALUE])["messages"][-1]["content"] == "Thanks, and the invoice?"
    assert json.loads(roots[1].attributes[semconv.OUTPUT_VALUE])["messages"][-1]["content"] == replies[1]
    # every span of both turns, the openai client calls included, is in the thread's session
    assert {s.attributes.get(semconv.SESSION_ID) for s in spans} == {"thread-42"}
    assert {s.attributes.get(semconv.GEN_AI_CONVERSATION_ID) for s in spans} == {"thread-42"}
    tools = [s for s in spans if s.attributes.get(KIND) == "TOOL"]
    assert len(tools) == 2
    for span in tools:
        assert span.name == "lookup" and span.attributes[semconv.TOOL_NAME] == "lookup"
        assert json.loads(span.attributes[semconv.INPUT_VALUE]) == {"query": "stand-in"}
        assert span.attributes[semconv.OUTPUT_VALUE] == "order stand-in ships tomorrow"
        assert span.attributes[semconv.TOOL_CALL_ID] == "call_0"
        node = _parent(span, spans)
        assert node.name == "tools" and node.attributes[KIND] == "CHAIN" and _parent(node, spans) in roots
    for span in _named(spans, "model"):
        assert span.attributes[KIND] == "CHAIN" and _parent(span, spans) in roots
    for span in _named(spans, "ChatOpenAI"):
        assert _parent(span, spans).name == "model"
        assert span.attributes["llm.input_messages.0.message.content"] == "You track orders."
        assert json.loads(span.attributes[f"{semconv.LLM_TOOLS}.0.{semconv.TOOL_JSON_SCHEMA}"])["function"]["name"] \
            == "lookup"
    first_calls = [s for s in _named(spans, "ChatOpenAI") if tuple(s.attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) or ()) == ("tool_calls",)]
    assert len(first_calls) == 2
    assert first_calls[0].attributes["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] == "lookup"
    _assert_client_calls_under_the_model_runs(spans)
    # one model call, one count: the LangChain span and the client span beneath it agree
    for client in _client_spans(spans):
        assert token_counts(dict(client.attributes)) == token_counts(dict(_parent(client, spans).attributes))


def test_the_session_id_a_chain_is_configured_with_is_the_session_of_its_trace(model):
    """``RunnableWithMessageHistory`` is told its conversation in ``configurable``, not in metadata."""
    from langchain_core.chat_history import InMemoryChatMessageHistory
    from langchain_core.prompts import MessagesPlaceholder
    from langchain_core.runnables.history import RunnableWithMessageHistory

    memory = _testing.init_in_memory(auto_session=True)
    histories: dict[str, Any] = {}
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), MessagesPlaceholder("history"),
                                               ("human", "{question}")])
    chain = RunnableWithMessageHistory(prompt | model | StrOutputParser(),
                                       lambda sid: histories.setdefault(sid, InMemoryChatMessageHistory()),
                                       input_messages_key="question", history_messages_key="history")
    for session in ("alice", "bob"):
        chain.invoke({"question": "Hello"}, config={"configurable": {"session_id": session}})
    asyncio.run(chain.ainvoke({"question": "Again"}, config={"configurable": {"session_id": "alice"}}))
    spans = memory.get_finished_spans()
    by_trace: dict[int, set[Any]] = {}
    for span in spans:
        by_trace.setdefault(span.context.trace_id, set()).add(span.attributes.get(semconv.SESSION_ID))
    # each run's every span (the model call and the client call beneath it too) is in its own session
    assert sorted(sessions.pop() for sessions in by_trace.values() if len(sessions) == 1) == ["alice", "alice", "bob"]
    assert len(by_trace) == 3
    roots = [s for s in spans if s.parent is None]
    assert [r.attributes[semconv.GEN_AI_CONVERSATION_ID] for r in roots] == ["alice", "bob", "alice"]


def test_async_agent_runs_nest_the_same_and_leave_no_context_behind(memory, standin_model, caplog):
    async def main() -> None:
        agent = create_agent(_async_model(standin_model.base_url), tools=[lookup], system_prompt="You track orders.")
        await agent.ainvoke({"messages": [{"role": "user", "content": "Where is my order?"}]})
        from opentelemetry import trace

        assert not trace.get_current_span().get_span_context().is_valid  # nothing left attached

    with caplog.at_level(logging.ERROR, logger="opentelemetry.context"):
        asyncio.run(main())
    assert "Failed to detach context" not in caplog.text
    spans = memory.get_finished_spans()
    assert [s.name for s in spans if s.parent is None] == ["LangGraph"]
    _assert_client_calls_under_the_model_runs(spans)
    assert len(_named(spans, "lookup")) == 1 and len(_client_spans(spans)) == 2


def test_streaming_ends_each_span_once_under_its_run(memory, model, standin_model):
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | model
    chunks = [c.content for c in chain.stream({"question": "Stream it"})]
    assert "".join(chunks).startswith("[stand-in model]")
    spans = memory.get_finished_spans()
    (llm,) = _named(spans, "ChatOpenAI")
    assert llm.attributes[semconv.OUTPUT_VALUE] == "".join(chunks)
    _assert_client_calls_under_the_model_runs(spans)
    assert len(spans) == 4  # RunnableSequence, ChatPromptTemplate, ChatOpenAI, chat gpt-4o-mini
    # A streamed chain says its input only when it ends: the root keeps it, not the placeholder.
    (root,) = _named(spans, "RunnableSequence")
    assert json.loads(root.attributes[semconv.INPUT_VALUE]) == {"question": "Stream it"}

    async def consume() -> str:
        chunks = _async_model(standin_model.base_url).astream("Stream it async")
        return "".join([c.content async for c in chunks])

    assert asyncio.run(consume()).startswith("[stand-in model]")
    spans = memory.get_finished_spans()
    assert len(_named(spans, "ChatOpenAI")) == 2
    _assert_client_calls_under_the_model_runs(spans)


def test_a_stream_left_early_ends_its_span_once_not_as_an_error(memory, model):
    stream = model.stream("Stream it")
    next(stream)
    stream.close()
    del stream
    gc.collect()
    spans = memory.get_finished_spans()
    (llm,) = _named(spans, "ChatOpenAI")
    assert llm.attributes.get(semconv.NEATLOGS_STREAM_INCOMPLETE) is True
    assert llm.attributes.get(semconv.ERROR_TYPE) is None and not llm.events


def test_a_failing_tool_is_an_error_span_and_the_error_reaches_the_program_unchanged(memory):
    with pytest.raises(ValueError) as raised:
        broken.invoke({"query": "A-7"})
    assert str(raised.value) == "no order A-7"
    (span,) = memory.get_finished_spans()
    assert span.attributes[KIND] == "TOOL" and span.attributes[semconv.TOOL_NAME] == "broken"
    assert not span.status.is_ok and span.attributes[semconv.ERROR_TYPE] == "ValueError"
    (event,) = [e for e in span.events if e.name == semconv.EXCEPTION_EVENT]
    assert event.attributes["exception.message"] == "no order A-7"


def test_a_failing_tool_inside_an_agent_fails_its_spans_up_to_the_root(memory, model):
    agent = create_agent(model, tools=[broken])
    with pytest.raises(ValueError, match="no order stand-in"):
        agent.invoke({"messages": [{"role": "user", "content": "Where is my order?"}]})
    spans = memory.get_finished_spans()
    (tool_span,) = _named(spans, "broken")
    assert tool_span.attributes[semconv.ERROR_TYPE] == "ValueError"
    (root,) = [s for s in spans if s.parent is None]
    assert root.attributes[KIND] == "AGENT" and not root.status.is_ok
    assert len({s.context.span_id for s in spans}) == len(spans)  # each span ended once


def test_an_agent_used_as_a_tool_sits_under_its_tool_and_code_in_a_tool_under_the_tool(memory, model,
                                                                                        standin_model):
    import openai

    inner = create_agent(model, tools=[lookup], name="order_agent")
    client = openai.OpenAI(base_url=standin_model.base_url, api_key="sk-test", max_retries=0)

    @neatlogs.span(kind="CHAIN", name="note_question")
    def note_question(query: str) -> str:
        return query

    @tool
    def ask_orders(query: str) -> str:
        """Ask the order agent."""
        note_question(query)
        client.chat.completions.create(model="gpt-direct", messages=[{"role": "user", "content": query}])
        return inner.invoke({"messages": [{"role": "user", "content": query}]})["messages"][-1].content

    outer = create_agent(model, tools=[ask_orders], name="front_desk")
    outer.invoke({"messages": [{"role": "user", "content": "Where is my order?"}]})
    spans = memory.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1
    (tool_span,) = _named(spans, "ask_orders")
    (inner_root,) = _named(spans, "order_agent")
    (outer_root,) = _named(spans, "front_desk")
    assert outer_root.parent is None and outer_root.attributes[semconv.AGENT_NAME] == "front_desk"
    assert inner_root.attributes[KIND] == "AGENT" and inner_root.attributes[semconv.AGENT_NAME] == "order_agent"
    assert _parent(inner_root, spans) is tool_span
    assert _parent(_named(spans, "note_question")[0], spans) is tool_span
    assert _parent(_named(spans, "chat gpt-direct")[0], spans) is tool_span
    assert [s.attributes[KIND] for s in spans if s.name in ("model", "tools")] == ["CHAIN"] * 6


def test_a_retriever_is_a_retriever_span_with_its_documents(memory):
    documents = Shelf().invoke("shipping")
    assert len(documents) == 2
    (span,) = memory.get_finished_spans()
    assert span.attributes[KIND] == "RETRIEVER" and span.name == "Shelf"
    assert span.attributes[semconv.RETRIEVAL_QUERY] == "shipping"
    base = semconv.RETRIEVAL_DOCUMENTS
    assert span.attributes[f"{base}.0.{semconv.DOCUMENT_CONTENT}"] == "about shipping"
    assert span.attributes[f"{base}.0.{semconv.DOCUMENT_ID}"] == "doc-1"
    assert json.loads(span.attributes[f"{base}.1.{semconv.DOCUMENT_METADATA}"]) == {"source": "b.txt"}


def test_an_explicit_handler_beside_the_hook_does_not_double_the_spans(memory, model):
    agent = create_agent(model, tools=[lookup])
    question = {"messages": [{"role": "user", "content": "Where is my order?"}]}
    agent.invoke(question)
    hooked = len(memory.get_finished_spans())
    memory.clear()
    handler = neatlogs.langchain_handler()
    assert handler is neatlogs.langchain_handler()
    agent.invoke(question, config={"callbacks": [handler]})
    assert len(memory.get_finished_spans()) == hooked
    memory.clear()
    ChatOpenAI(model="gpt-4o-mini", base_url=model.openai_api_base, api_key="sk-test",
               callbacks=[handler]).invoke("hi")
    assert [s.name for s in memory.get_finished_spans()] == ["chat gpt-4o-mini", "ChatOpenAI"]


def test_init_twice_hooks_once_and_without_the_instrumentation_only_the_explicit_handler_traces(model):
    memory = _testing.init_in_memory(instrumentations=["openai"])
    model.invoke("hi")
    assert [s.name for s in memory.get_finished_spans()] == ["chat gpt-4o-mini"]  # no LangChain hook
    memory.clear()
    model.invoke("hi", config={"callbacks": [neatlogs.langchain_handler()]})
    assert [s.name for s in memory.get_finished_spans()] == ["chat gpt-4o-mini", "ChatOpenAI"]
    memory.clear()
    neatlogs.init(instrumentations=["langchain"])
    neatlogs.init(instrumentations=["langchain", "openai"])
    model.invoke("hi")
    assert [s.name for s in memory.get_finished_spans()] == ["chat gpt-4o-mini", "ChatOpenAI"]


@pytest.mark.parametrize("settings", [{"capture_content": False}, {"mask": "secret"}])
def test_capture_off_and_the_mask_hold_on_the_wire(otlp_receiver, model, settings):
    if settings.get("mask"):
        settings = {"mask": lambda v: v.replace(SECRET, "[masked]") if isinstance(v, str) else v}
    neatlogs.init(endpoint=otlp_receiver.endpoint, **settings)
    agent = create_agent(model, tools=[lookup], system_prompt=f"Never say {SECRET}.")
    agent.invoke({"messages": [{"role": "user", "content": f"My password is {SECRET}"}]},
                 config={"configurable": {"thread_id": "wire-thread"}})
    spans = Wire(otlp_receiver).spans(9)
    assert {s["name"] for s in spans} >= {"LangGraph", "model", "tools", "lookup", "ChatOpenAI", "chat gpt-4o-mini"}
    raw = Wire(otlp_receiver).raw_text()
    assert SECRET not in raw
    if "capture_content" in settings:
        for text in ("My password", "ships tomorrow", "stand-in model", "Never say"):
            assert text not in raw
    else:
        assert "[masked]" in raw and "ships tomorrow" in raw


PROGRAM = '''
import os
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

@tool
def lookup(query: str) -> str:
    """Look an order up."""
    return f"order {query} ships tomorrow"

model = ChatOpenAI(model="gpt-4o-mini", base_url=os.environ["STANDIN_URL"], api_key="sk-test")
agent = create_agent(model, tools=[lookup], system_prompt="You track orders.")
history = []
for message in ("Where is my order?", "Thanks, and the invoice?"):
    history.append({"role": "user", "content": message})
    history = agent.invoke({"messages": history})["messages"]
    print("Bot:", history[-1].content)
'''


def test_neatlogs_run_traces_an_unchanged_langchain_program_as_two_turns(standin_model, tmp_path):
    program = tmp_path / "agent_bot.py"
    program.write_text(textwrap.dedent(PROGRAM))
    neatlogs_command = str(Path(sys.executable).parent / "neatlogs")
    env = {**os.environ, "NEATLOGS_HOME": str(tmp_path / "home"), "STANDIN_URL": standin_model.base_url,
           "OPENAI_API_KEY": "sk-test", "LANGSMITH_TRACING": "false"}
    result = subprocess.run([neatlogs_command, "run", "--", sys.executable, str(program)], capture_output=True,
                            text=True, timeout=180, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Bot: ") == 2

    def neatlogs_json(*args: str) -> Any:
        shown = subprocess.run([neatlogs_command, *args, "--json"], capture_output=True, text=True, timeout=60,
                               env=env, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    (listed,) = neatlogs_json("sessions")
    assert (listed["trace_count"], listed["turn_count"]) == (2, 2)
    shown = neatlogs_json("show", listed["session_id"][:8])
    from neatlogs import store
    from neatlogs_cli.timeline import build_turns

    traces = [store.TraceSpans(t["trace_id"], [store.SpanRecord(**{k: v for k, v in s.items()
                                                                   if k not in ("session_id", "service_name")})
                                               for s in t["spans"]]) for t in shown["traces"]]
    turns = build_turns(traces)
    assert [t.user_text for t in turns] == ["Where is my order?", "Thanks, and the invoice?"]
    assert all(t.reply_text and t.reply_text.startswith("[stand-in model]") for t in turns)
    client_tokens = sum(s.attributes[semconv.LLM_TOKEN_COUNT_TOTAL] for t in traces for s in t.spans
                        if s.name.startswith("chat "))
    assert sum(t.tokens for t in turns) == listed["token_count"] == client_tokens > 0
    kinds = {s.name: s.kind for t in traces for s in t.spans}
    assert kinds == {"LangGraph": "AGENT", "model": "CHAIN", "tools": "CHAIN", "lookup": "TOOL",
                     "ChatOpenAI": "LLM", "chat gpt-4o-mini": "LLM"}

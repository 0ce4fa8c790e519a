"""LlamaIndex traced by OpenInference's instrumentor on neatlogs' provider (``neatlogs[llama_index]``).

A real query engine over in-memory documents, its LLM (``llama_index.llms.openai``) and its
embedding model (``OpenAIEmbedding``) both pointed at the stand-in model: the query, the
retriever with its documents, the synthesizer and the LLM call are spans of one trace, the
openai client call neatlogs traces sits under LlamaIndex's LLM span, tokens count once, and
the content policy holds on the wire.
"""

from __future__ import annotations

import json
import os

import pytest
from adopted_support import OFFLINE_ENV, block_internet, neatlogs_run, records, scopes, turns_of

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

pytest.importorskip("llama_index.core", reason="LlamaIndex is not installed (extra frameworks-openai2)")
pytest.importorskip("llama_index.llms.openai", reason="llama-index-llms-openai is not installed (extra frameworks-openai2: it pins openai<3)")
pytest.importorskip("llama_index.embeddings.openai", reason="llama-index-embeddings-openai is not installed")
pytest.importorskip("openinference.instrumentation.llama_index", reason="neatlogs[llama_index] is not installed")

import neatlogs  # noqa: E402
from neatlogs import _testing  # noqa: E402
from neatlogs import semconv as sc  # noqa: E402

SCOPE = "openinference.instrumentation.llama_index"
DOCUMENTS = ["Neatlogs traces LLM programs with no code changes.", "The sky over Lisbon is blue in June."]
QUESTION = "What does neatlogs do?"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    return block_internet(monkeypatch)


def _query(base_url: str, question: str = QUESTION) -> str:
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.embeddings.openai import OpenAIEmbedding
    from llama_index.llms.openai import OpenAI

    llm = OpenAI(model="gpt-4o-mini", api_base=base_url, api_key="sk-test", max_retries=0)
    embedding = OpenAIEmbedding(model="text-embedding-3-small", api_base=base_url, api_key="sk-test", max_retries=0)
    index = VectorStoreIndex.from_documents([Document(text=t) for t in DOCUMENTS], embed_model=embedding)
    engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    return str(engine.query(question))


def _kind(span) -> str | None:
    return (span.attributes or {}).get(sc.OPENINFERENCE_SPAN_KIND)


def test_a_query_is_one_trace_of_query_retriever_synthesizer_and_llm(standin_model):
    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"], session_id="li-session")
    answer = _query(standin_model.base_url)
    spans = memory.get_finished_spans()
    assert scopes(spans) == {SCOPE, "neatlogs"}
    assert all(s.attributes[sc.SESSION_ID] == "li-session" for s in spans)  # our processor stamps theirs
    by_id = {s.context.span_id: s for s in spans}
    [query] = [s for s in spans if s.name == "RetrieverQueryEngine.query"]
    assert query.parent is None and query.attributes[sc.INPUT_VALUE] == QUESTION
    trace = [s for s in spans if s.context.trace_id == query.context.trace_id]
    kinds = {_kind(s) for s in trace}
    assert {"CHAIN", "RETRIEVER", "EMBEDDING", "LLM"} <= kinds
    documents = {v for s in trace if _kind(s) == "RETRIEVER" for k, v in s.attributes.items()
                 if k.startswith(sc.RETRIEVAL_DOCUMENTS) and k.endswith(sc.DOCUMENT_CONTENT)}
    assert documents == set(DOCUMENTS)
    assert any("synthesize" in s.name for s in trace)
    # The openai call neatlogs traced is the child of LlamaIndex's LLM span, in the same trace.
    [client] = [s for s in trace if s.instrumentation_scope.name == "neatlogs" and _kind(s) == "LLM"]
    framework_llm = by_id[client.parent.span_id]
    assert framework_llm.instrumentation_scope.name == SCOPE and _kind(framework_llm) == "LLM"
    assert client.attributes[f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}"] == answer
    # Every span's parent is a span of the same trace (nothing dangles).
    assert all(s.parent is None or s.parent.span_id in by_id for s in trace)
    # Embedding vectors are never recorded.
    assert not any(k.endswith(sc.EMBEDDING_VECTOR) for s in spans for k in s.attributes)
    # No header of ours (trace context, baggage) reached the model's requests.
    assert not {"traceparent", "tracestate", "baggage"} & {k.lower() for r in standin_model.requests for k in r["headers"]}


def test_the_turn_says_the_query_and_counts_each_call_once(standin_model):
    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"], session_id="li-turns")
    answer = _query(standin_model.base_url)
    spans = records(memory.get_finished_spans())
    turns = turns_of(spans)
    [turn] = [t for t in turns if t.user_text == QUESTION]
    assert turn.reply_text == answer
    turn_spans = [r.span for r in turn.rows]
    innermost = [s for s in turn_spans if s.attributes.get(sc.LLM_TOKEN_COUNT_TOTAL) is not None
                 and not any(c.parent_span_id == s.span_id and c.attributes.get(sc.LLM_TOKEN_COUNT_TOTAL) is not None
                             for c in turn_spans)]
    assert turn.tokens == sum(s.attributes[sc.LLM_TOKEN_COUNT_TOTAL] for s in innermost) > 0
    # LlamaIndex's LLM span reports the same call's tokens as the client span under it: counted once.
    framework_llm = [s for s in turn_spans if s.kind == "LLM" and s.attributes.get(sc.LLM_TOKEN_COUNT_TOTAL)
                     and any(c.parent_span_id == s.span_id for c in turn_spans)]
    assert framework_llm and turn.tokens < sum(s.attributes.get(sc.LLM_TOKEN_COUNT_TOTAL, 0) for s in turn_spans)


def test_capture_off_leaves_no_content_on_the_wire(standin_model, otlp_receiver):
    from wire import Wire

    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["llama_index", "openai"],
                  capture_content=False, session_id="li-private")
    _query(standin_model.base_url, "my secret question about neatlogs")
    assert neatlogs.flush()
    spans = otlp_receiver.spans()
    assert {s["scope"] for s in spans} == {SCOPE, "neatlogs"}
    assert any(s["attributes"].get(sc.OPENINFERENCE_SPAN_KIND) == "RETRIEVER" for s in spans)
    text = Wire(otlp_receiver).raw_text()
    for secret in ("my secret question", "Lisbon", "Neatlogs traces", "stand-in model"):
        assert secret not in text
    for span in spans:
        assert sc.INPUT_VALUE not in span["attributes"] and sc.OUTPUT_VALUE not in span["attributes"]
        assert span["attributes"][sc.SESSION_ID] == "li-private"


def test_the_mask_reaches_the_frameworks_spans_too(standin_model):
    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"],
                                     mask=lambda value: value.replace("Lisbon", "[city]") if isinstance(value, str)
                                     else value)
    _query(standin_model.base_url)
    values = [v for s in memory.get_finished_spans() if s.instrumentation_scope.name == SCOPE
              for v in s.attributes.values() if isinstance(v, str)]
    assert any("[city]" in v for v in values)
    assert not any("Lisbon" in v for v in values)


def test_init_twice_adds_one_span_handler(standin_model):
    from llama_index.core.instrumentation import get_dispatcher
    from openinference.instrumentation.llama_index._handler import _SpanHandler

    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"])
    neatlogs.init(instrumentations=["llama_index"])
    assert sum(isinstance(h, _SpanHandler) for h in get_dispatcher().span_handlers) == 1
    _query(standin_model.base_url)
    names = [s.name for s in memory.get_finished_spans()]
    assert names.count("RetrieverQueryEngine.query") == 1


PROGRAM = """
    import os
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.embeddings.openai import OpenAIEmbedding
    from llama_index.llms.openai import OpenAI

    url = os.environ["STANDIN_URL"]
    llm = OpenAI(model="gpt-4o-mini", api_base=url, api_key="sk-test", max_retries=0)
    embedding = OpenAIEmbedding(model="text-embedding-3-small", api_base=url, api_key="sk-test", max_retries=0)
    index = VectorStoreIndex.from_documents([Document(text="Neatlogs traces LLM programs.")], embed_model=embedding)
    print("Bot:", index.as_query_engine(llm=llm).query("What does neatlogs do?"))
"""


def test_under_neatlogs_run_the_session_shows_the_query_as_the_turn(standin_model, tmp_path):
    done, detail, turns = neatlogs_run(PROGRAM, tmp_path, standin_model.base_url)
    assert "Bot: [stand-in model]" in done.stdout
    kinds = {s["kind"] for t in detail["traces"] for s in t["spans"]}
    assert {"CHAIN", "RETRIEVER", "EMBEDDING", "LLM"} <= kinds
    [turn] = [t for t in turns if t.user_text == "What does neatlogs do?"]
    assert turn.reply_text and turn.reply_text.startswith("[stand-in model]")
    assert detail["token_count"] == sum(t.tokens for t in turns) > 0
    # Building the index is a step of the query's turn (DESIGN "Turns"), not a turn of its own.
    assert detail["turn_count"] == len(turns) == 1
    assert json.dumps(detail).count("RetrieverQueryEngine.query") == 1
    [building] = [s for t in detail["traces"] for s in t["spans"] if s["name"] == "VectorStoreIndex.from_documents"]
    assert building["kind"] == "VECTOR_STORE" and building["parent_span_id"] is None
    assert building["trace_id"] in turns[0].trace_ids


def test_building_an_index_is_one_step_trace_of_splitting_and_embedding(standin_model):
    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"], session_id="li-index")
    _query(standin_model.base_url)
    spans = memory.get_finished_spans()
    [building] = [s for s in spans if s.name == "VectorStoreIndex.from_documents"]
    assert building.parent is None and _kind(building) == "VECTOR_STORE"
    assert building.attributes[sc.SESSION_ID] == "li-index"
    beneath = [s for s in spans if s.context.trace_id == building.context.trace_id and s is not building]
    assert {_kind(s) for s in beneath} == {"CHAIN", "EMBEDDING"}  # the node parser, the documents' embeddings
    assert any(s.name.startswith("SentenceSplitter") for s in beneath)
    assert not any(s.name == "RetrieverQueryEngine.query" for s in beneath)
    # Only the outermost entry point makes a span: from_documents builds through the constructor.
    assert [s.name for s in spans if _kind(s) == "VECTOR_STORE"] == ["VectorStoreIndex.from_documents"]
    [turn] = turns_of(records(spans))
    assert turn.user_text == QUESTION and len(turn.trace_ids) == 2


def test_a_function_agent_run_says_the_users_words_and_calls_its_tool_with_fitting_arguments(standin_model):
    import asyncio

    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.llms.openai import OpenAI

    def lookup(order_id: str, days: int) -> str:
        """Look an order up."""
        return f"order {order_id}: shipped {days} days ago"

    memory = _testing.init_in_memory(instrumentations=["llama_index", "openai"], session_id="li-agent")
    llm = OpenAI(model="gpt-4o-mini", api_base=standin_model.base_url, api_key="sk-test", max_retries=0)
    agent = FunctionAgent(tools=[lookup], llm=llm, system_prompt="You help with orders.")

    async def run() -> str:
        return str(await agent.run(user_msg="Where is my order?"))

    answer = asyncio.run(run())
    spans = memory.get_finished_spans()
    [tool] = [s for s in spans if _kind(s) == "TOOL"]
    assert json.loads(tool.attributes[sc.INPUT_VALUE]) == {"kwargs": {"order_id": "stand-in", "days": 1}}
    assert "order stand-in: shipped 1 days ago" in tool.attributes[sc.OUTPUT_VALUE]
    [turn] = turns_of(records(spans))
    assert turn.root.name == "FunctionAgent.run"
    assert turn.user_text == "Where is my order?"  # not the workflow's start event
    assert turn.reply_text == answer and answer.startswith("[stand-in model]")  # not its stop event

"""span_facts: a tool's, agent's, retriever's and reranker's details from either convention."""

from __future__ import annotations

import json

from neatlogs.store import SpanRecord
from neatlogs_cli.span_facts import Document, span_facts


def _span(kind, name="s", **attributes):
    return SpanRecord(trace_id="a" * 32, span_id="1" * 16, parent_span_id=None, name=name, start_time_ns=0,
                      end_time_ns=1, kind=kind, span_kind="INTERNAL", status_code="OK", attributes=attributes)


def test_a_tool_from_openinference_or_genai_keys():
    tool = span_facts(_span("TOOL", **{"tool.name": "lookup", "input.value": '{"id": 1}', "output.value": "ok"}))
    assert tool.facts == (("tool", "lookup"), ("arguments", '{"id": 1}'), ("result", "ok"))
    genai = span_facts(_span(None, "execute_tool lookup", **{"gen_ai.tool.name": "lookup",
                                                            "gen_ai.tool.call.arguments": '{"id": 2}'}))
    assert genai.facts == (("tool", "lookup"), ("arguments", '{"id": 2}'))


def test_a_tools_declared_parameters_show_before_its_arguments():
    # @span(kind="TOOL", tool_name=..., parameters={...}) in a program written for the neatlogs SDK
    tool = span_facts(_span("TOOL", **{"tool.name": "get_weather", "tool.parameters": '{"city": "string"}',
                                       "input.value": '{"city": "Paris"}'}))
    assert tool.facts == (("tool", "get_weather"), ("parameters", '{"city": "string"}'),
                          ("arguments", '{"city": "Paris"}'))


def test_an_agent_without_a_name_attribute_is_named_after_its_span():
    facts = span_facts(_span("AGENT", "planner", **{"neatlogs.agent.goal": "plan"}))
    assert facts.facts == (("agent", "planner"), ("goal", "plan"))


def test_reranker_documents_from_openinference_flattened_keys():
    attributes = {"reranker.query": "q", "reranker.top_k": 1,
                  "reranker.input_documents.0.document.content": "a",
                  "reranker.input_documents.1.document.content": "b",
                  "reranker.output_documents.0.document.content": "b",
                  "reranker.output_documents.0.document.score": 0.8,
                  "reranker.output_documents.0.document.id": "d2"}
    facts = span_facts(_span("RERANKER", **attributes))
    assert facts.facts == (("query", "q"), ("top k", "1"), ("input documents", "2"))
    assert facts.documents == (Document(content="b", score=0.8, id="d2"),)
    assert facts.documents_label == "reranked documents"


def test_retriever_documents_from_the_sdk_json_even_when_malformed():
    listed = span_facts(_span("RETRIEVER", **{"neatlogs.retrieval.documents": json.dumps(
        [{"id": 7, "text": "t", "relevance_score": "0.5", "metadata": {"src": "kb"}}])}))
    assert listed.documents == (Document(content="t", score=0.5, id="7", metadata='{"src": "kb"}'),)
    broken = span_facts(_span("RETRIEVER", **{"neatlogs.retrieval.documents": "[" * 3000}))
    assert broken.documents == (Document(content="[" * 3000),)
    assert not span_facts(_span("CHAIN"))


def test_what_a_span_printed_shows_last_on_any_kind():
    tool = span_facts(_span("TOOL", **{"tool.name": "printer", "neatlogs.stdout": "line one\nline two\n"}))
    assert tool.facts[-1] == ("printed", "line one\nline two")
    chain = span_facts(_span("CHAIN", **{"neatlogs.stdout": "hello\n"}))
    assert chain.facts == (("printed", "hello"),)
    assert not span_facts(_span("CHAIN"))

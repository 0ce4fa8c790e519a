"""What a tool, agent, retriever or reranker span did, read from whichever convention it carries.

The view model (``timeline.SpanRow``) shows these above a span's raw attributes, in the
dashboard and in ``neatlogs show``: a TOOL span's tool name, parameters and arguments, an AGENT span's
name, role and goal, a RETRIEVER or RERANKER span's query and documents (content, score, id),
and what any span's code printed when it was asked to capture that.
Documents come from OpenInference's flattened ``retrieval.documents.{i}.document.*`` /
``reranker.*_documents.{i}.document.*`` keys or from the neatlogs SDK's JSON attributes
(``neatlogs.retrieval.documents``, ``neatlogs.reranker.output_documents``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from neatlogs import semconv
from neatlogs.store import SpanRecord, bounded_json

__all__ = ["Document", "SpanFacts", "span_facts"]

_TOOL_KINDS = frozenset({"TOOL", "MCP_TOOL"})
_DOCUMENT_FIELDS = (
    ("id", semconv.DOCUMENT_ID),
    ("content", semconv.DOCUMENT_CONTENT),
    ("score", semconv.DOCUMENT_SCORE),
    ("metadata", semconv.DOCUMENT_METADATA),
)


@dataclass(frozen=True)
class Document:
    """One retrieved or reranked document."""

    content: str | None
    score: float | None = None
    id: str | None = None
    metadata: str | None = None


@dataclass(frozen=True)
class SpanFacts:
    """A span's labelled facts (tool, arguments, role, query...) and its documents, in reading order."""

    facts: tuple[tuple[str, str], ...] = ()
    documents: tuple[Document, ...] = ()
    documents_label: str = "documents"

    def __bool__(self) -> bool:
        return bool(self.facts or self.documents)


def span_facts(span: SpanRecord) -> SpanFacts:
    """The facts the views show for ``span``; empty for kinds that have none.

    Any span that captured what its code printed (``capture_stdout=True``) shows it last.
    """
    facts = _kind_facts(span)
    printed = _first(span.attributes, semconv.NEATLOGS_STDOUT)
    if printed is None:
        return facts
    return SpanFacts((*facts.facts, ("printed", printed.rstrip())), facts.documents, facts.documents_label)


def _kind_facts(span: SpanRecord) -> SpanFacts:
    kind = span.kind
    attributes = span.attributes
    if kind in _TOOL_KINDS or (kind is None and semconv.GEN_AI_TOOL_NAME in attributes):
        return SpanFacts(_facts(
            ("tool", _first(attributes, semconv.TOOL_NAME, semconv.GEN_AI_TOOL_NAME) or span.name),
            ("description", _first(attributes, semconv.TOOL_DESCRIPTION)),
            ("parameters", _first(attributes, semconv.TOOL_PARAMETERS)),
            ("arguments", _first(attributes, semconv.GEN_AI_TOOL_CALL_ARGUMENTS, semconv.INPUT_VALUE)),
            ("result", _first(attributes, semconv.GEN_AI_TOOL_CALL_RESULT, semconv.OUTPUT_VALUE)),
        ))
    if kind == "AGENT":
        return SpanFacts(_facts(
            ("agent", _first(attributes, semconv.AGENT_NAME, semconv.GEN_AI_AGENT_NAME) or span.name),
            ("role", _first(attributes, semconv.NEATLOGS_AGENT_ROLE)),
            ("goal", _first(attributes, semconv.NEATLOGS_AGENT_GOAL)),
            ("description", _first(attributes, semconv.NEATLOGS_DESCRIPTION)),
        ))
    if kind == "RETRIEVER":
        return SpanFacts(
            _facts(
                ("query", _first(attributes, semconv.RETRIEVAL_QUERY, semconv.NEATLOGS_RETRIEVAL_QUERY,
                                 semconv.INPUT_VALUE)),
                ("top k", _first(attributes, semconv.NEATLOGS_RETRIEVAL_TOP_K)),
            ),
            _documents(attributes, semconv.RETRIEVAL_DOCUMENTS, semconv.NEATLOGS_RETRIEVAL_DOCUMENTS),
        )
    if kind == "RERANKER":
        given = _documents(attributes, semconv.RERANKER_INPUT_DOCUMENTS, semconv.NEATLOGS_RERANKER_INPUT_DOCUMENTS)
        return SpanFacts(
            _facts(
                ("query", _first(attributes, semconv.RERANKER_QUERY, semconv.NEATLOGS_RERANKER_QUERY)),
                ("model", _first(attributes, semconv.RERANKER_MODEL_NAME, semconv.NEATLOGS_RERANKER_MODEL_NAME)),
                ("top k", _first(attributes, semconv.RERANKER_TOP_K, semconv.NEATLOGS_RERANKER_TOP_K)),
                ("input documents", str(len(given)) if given else None),
            ),
            _documents(attributes, semconv.RERANKER_OUTPUT_DOCUMENTS, semconv.NEATLOGS_RERANKER_OUTPUT_DOCUMENTS),
            "reranked documents",
        )
    return SpanFacts()


def _first(attributes: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return None


def _facts(*pairs: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in pairs if value is not None)


def _documents(attributes: dict[str, Any], prefix: str, json_key: str) -> tuple[Document, ...]:
    """Documents under OpenInference's flattened ``prefix``, else in the neatlogs SDK's JSON list."""
    flattened = _flattened_documents(attributes, prefix)
    if flattened:
        return flattened
    raw = attributes.get(json_key)
    if not isinstance(raw, str):
        return ()
    try:
        listed = bounded_json.loads(raw)  # a value nested thousands deep stays text
    except ValueError:
        return (Document(content=raw),)
    if isinstance(listed, dict):
        listed = next((v for v in listed.values() if isinstance(v, list)), [listed])
    if not isinstance(listed, list):
        return (Document(content=raw),)
    return tuple(_document(item) for item in listed)


def _flattened_documents(attributes: dict[str, Any], prefix: str) -> tuple[Document, ...]:
    found: list[Document] = []
    index = 0
    while True:
        base = f"{prefix}.{index}."
        values = {name: attributes.get(base + key) for name, key in _DOCUMENT_FIELDS}
        if all(v is None for v in values.values()):
            return tuple(found)
        found.append(Document(
            content=_text(values["content"]),
            score=_score(values["score"]),
            id=_text(values["id"]),
            metadata=_text(values["metadata"]),
        ))
        index += 1


def _document(item: Any) -> Document:
    if not isinstance(item, dict):
        return Document(content=_text(item))
    content = next((item[k] for k in ("content", "text", "page_content", "document") if k in item), None)
    metadata = item.get("metadata")
    return Document(
        content=_text(content),
        score=_score(item.get("score", item.get("relevance_score"))),
        id=_text(item.get("id")),
        metadata=_text(metadata) if metadata not in (None, {}) else None,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _score(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None

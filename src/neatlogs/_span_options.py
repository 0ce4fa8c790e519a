"""The neatlogs SDK's keyword arguments of ``span()`` and ``trace()``, turned into attributes and behaviour.

Programs written for the neatlogs SDK (``shared/NEATLOGS-SDK-API.md``) pass ``role=``,
``goal=``, ``tool_name=``, ``description=``, ``parameters=``, ``version=``, ``tags=``,
``mask=``, ``session_id=``, ``end_user_id=``, ``end_user_metadata=`` and ``capture_stdout=``.
:func:`split` maps the ones that are attributes to their keys (``role`` → ``agent.name`` and
``neatlogs.agent.role``, ``tool_name`` → ``tool.name``, ...) and returns the rest as
:class:`SpanBehaviour`: a mask of the span's own, the identity a root span gives its trace,
and whether the span is a retriever whose query and documents are recorded. Any other
keyword argument is an attribute set verbatim, as before.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from . import semconv

__all__ = ["SpanBehaviour", "retrieval_attributes", "split"]

_QUERY_ARGUMENTS = ("query", "question", "text")
_DOCUMENT_KEYS = ("documents", "docs", "results", "matches", "items", "data")
_MAX_DOCUMENTS = 100


class SpanBehaviour:
    """What a span does beyond its static attributes: its own mask, the identity it gives its trace."""

    __slots__ = ("mask", "session_id", "end_user_id", "end_user_metadata", "retriever", "capture_stdout")

    def __init__(self) -> None:
        self.mask: Callable[[Any], Any] | None = None
        self.session_id: str | None = None
        self.end_user_id: str | None = None
        self.end_user_metadata: Any = None
        self.retriever = False
        self.capture_stdout = False

    @property
    def identity(self) -> bool:
        """True when the span, as its trace's root, names the trace's session or end user."""
        return self.session_id is not None or self.end_user_id is not None or self.end_user_metadata is not None


def split(kind: str, options: dict[str, Any]) -> tuple[dict[str, Any], SpanBehaviour]:
    """Raw attribute values (not yet made OTLP values) and the behaviour the keyword ``options`` ask for."""
    options = dict(options)
    behaviour = SpanBehaviour()
    behaviour.mask = options.pop("mask", None)
    behaviour.session_id = _text(options.pop("session_id", None))
    behaviour.end_user_id = _text(options.pop("end_user_id", None))
    behaviour.end_user_metadata = options.pop("end_user_metadata", None)
    behaviour.retriever = kind == "RETRIEVER"
    behaviour.capture_stdout = bool(options.pop("capture_stdout", False))
    attributes: dict[str, Any] = {}
    role, goal = options.pop("role", None), options.pop("goal", None)
    if role is not None:
        attributes[semconv.AGENT_NAME] = role
        attributes[semconv.NEATLOGS_AGENT_ROLE] = role
    if goal is not None:
        attributes[semconv.NEATLOGS_AGENT_GOAL] = goal
    tool_name = options.pop("tool_name", None)
    if tool_name is not None:
        attributes[semconv.TOOL_NAME] = tool_name
    description = options.pop("description", None)
    if description is not None:
        key = semconv.TOOL_DESCRIPTION if kind in ("TOOL", "MCP_TOOL") else semconv.NEATLOGS_DESCRIPTION
        attributes[key] = description
    parameters = options.pop("parameters", None)
    if parameters is not None:
        from .serialize import to_json

        attributes[semconv.TOOL_PARAMETERS] = parameters if isinstance(parameters, str) else to_json(parameters)
    version = options.pop("version", None)
    if version is not None:
        attributes[semconv.NEATLOGS_VERSION] = str(version)
    tags = options.pop("tags", None)
    if tags is not None:
        attributes[semconv.TAG_TAGS] = [str(t) for t in tags] if isinstance(tags, (list, tuple, set)) else [str(tags)]
    attributes.update(options)  # anything else: set verbatim
    return attributes, behaviour


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def retrieval_query(arguments: dict[str, Any] | None) -> str | None:
    """A retriever's query: the argument named query, question or text, else the first string argument."""
    if not arguments:
        return None
    for name in _QUERY_ARGUMENTS:
        if isinstance(arguments.get(name), str):
            return arguments[name]
    return next((v for v in arguments.values() if isinstance(v, str)), None)


def retrieval_attributes(policy: Any, arguments: dict[str, Any] | None, result: Any) -> dict[str, Any]:
    """``retrieval.query`` and ``retrieval.documents.{i}.document.*`` of a retriever's call, through ``policy``."""
    attributes: dict[str, Any] = {}
    query = retrieval_query(arguments)
    if query is not None:
        text = policy.text(query)
        if text is not None:
            attributes[semconv.RETRIEVAL_QUERY] = text
    documents = result
    if isinstance(result, dict):
        documents = next((result[k] for k in _DOCUMENT_KEYS if isinstance(result.get(k), (list, tuple))), None)
    if not isinstance(documents, (list, tuple)):
        return attributes
    for i, document in enumerate(documents[:_MAX_DOCUMENTS]):
        base = f"{semconv.RETRIEVAL_DOCUMENTS}.{i}"
        if isinstance(document, dict):
            content = document.get("content", document.get("text", document.get("page_content")))
            if document.get("id") is not None:
                attributes[f"{base}.{semconv.DOCUMENT_ID}"] = str(document["id"])
            if isinstance(document.get("score"), (int, float)):
                attributes[f"{base}.{semconv.DOCUMENT_SCORE}"] = float(document["score"])
            if document.get("metadata") is not None:
                metadata = policy.json_text(document["metadata"])
                if metadata is not None:
                    attributes[f"{base}.{semconv.DOCUMENT_METADATA}"] = metadata
        else:
            content = getattr(document, "page_content", document)
        if content is not None:
            text = policy.text(content)
            if text is not None:
                attributes[f"{base}.{semconv.DOCUMENT_CONTENT}"] = text
    return attributes

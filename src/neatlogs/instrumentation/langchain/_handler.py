"""The LangChain callback handler that records each run as a span on neatlogs' tracer.

Runnables and LangGraph nodes become CHAIN spans (the graph ``create_agent`` built, AGENT),
chat-model and LLM runs LLM spans, tools TOOL spans, retrievers RETRIEVER spans. Each span's
parent is the span of the run's ``parent_run_id`` (a map run id -> run, bounded); a root run's
parent is whatever is current (a ``@span`` around the call, or a framework run of
``_framework_runs``). Every span ends exactly once, on the run's end or error callback (or
when the map is full and the oldest run is dropped). A root run whose metadata carries
LangGraph's ``thread_id`` names the session of its whole trace; so does a ``session_id`` (or
``thread_id`` / ``conversation_id``) the program put in the run's ``configurable``, which is
how ``RunnableWithMessageHistory`` is told the conversation (LangChain does not copy it to
the callbacks' metadata, so it is read from the config the root hands its first child).

The class is built on first use (:func:`handler_class`), so importing this module does not
import LangChain. Its callbacks run inline in the caller's context (``run_inline``): that is
where the model call beneath runs, and where ``_framework_runs`` hands it our span as parent.
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _content, _framework_runs, _log, semconv, tracing
from ..._fast_attributes import set_clean_attributes
from . import _extract

__all__ = ["MAX_RUNS", "handler_class"]

MAX_RUNS = 10_000
"""Runs kept open at once; past that the oldest is ended (a run whose end callback never came)."""

_HIDDEN_TAG = "langsmith:hidden"
"""Tag LangGraph puts on its internal runnables (channel writers): no span, their children go to the parent."""

_SESSION_KEYS = ("thread_id", "session_id", "conversation_id")
"""Metadata keys naming the conversation (LangGraph copies ``configurable.thread_id`` into metadata)."""

_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "ParentCommand"})
"""LangGraph exceptions that steer the graph (an interrupt, a ``Command`` to the parent), not failures."""

_class: Any = None


class _Run(_framework_runs.FrameworkRun):
    """One LangChain run with a span; ``run_id`` tells a run from the alias a hidden child left."""

    __slots__ = ("run_id", "kind", "agent", "policy", "root", "conversation_known")

    def __init__(self, span: Any, parent: _Run | None, run_id: Any, kind: str, agent: bool,
                 policy: _content.ContentPolicy) -> None:
        super().__init__(span, parent)
        self.run_id = run_id
        self.kind = kind
        self.agent = agent
        self.policy = policy
        self.root: _Run = parent.root if parent is not None else self
        self.conversation_known = False
        """On a root: its session is settled (named by metadata, or its first child has looked)."""


def _name(serialized: Any, kwargs: dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    if isinstance(serialized, dict):
        name = serialized.get("name")
        if isinstance(name, str) and name:
            return name
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


def _conversation_of(values: Any) -> str | None:
    """The conversation id a run's metadata or ``configurable`` names, if any."""
    if not isinstance(values, dict):
        return None
    found = next((values[k] for k in _SESSION_KEYS if values.get(k)), None)
    return str(found) if isinstance(found, (str, int)) else None


def _is_control_flow(error: BaseException) -> bool:
    return any(cls.__name__ in _CONTROL_FLOW for cls in type(error).__mro__)


def handler_class() -> Any:
    """The ``BaseCallbackHandler`` subclass (built once, importing ``langchain_core``)."""
    global _class
    if _class is None:
        _class = _build()
    return _class


def _build() -> Any:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.runnables.config import var_child_runnable_config
    from opentelemetry.trace import Status, StatusCode, set_span_in_context

    ok = Status(StatusCode.OK)

    class NeatlogsCallbackHandler(BaseCallbackHandler):
        """Records LangChain runs as neatlogs spans; one instance serves every run of the process."""

        run_inline = True  # in the caller's context, also under the async callback manager

        def __init__(self) -> None:
            super().__init__()
            self._runs: dict[Any, _Run] = {}
            self._lock = threading.Lock()

        @property
        def raise_error(self) -> bool:  # type: ignore[override]
            # LangChain logs and swallows a handler's exception unless this is set: under our
            # own test suite a bug of ours must fail the test instead.
            return _log.raise_internal_errors

        # --- the run map ------------------------------------------------------------------
        def _start(self, run_id: Any, parent_run_id: Any, name: str, kind: str, tags: Any, metadata: Any,
                   attributes_of: Any, agent: bool = False) -> None:
            tracer = tracing.get_tracer()
            if tracer is None:
                return
            try:
                runs = self._runs
                parent = runs.get(parent_run_id) if parent_run_id is not None else None
                if parent is not None and not parent.live:
                    parent = None  # ended before its child started (a run left running in the background)
                if tags and _HIDDEN_TAG in tags and parent is not None:
                    runs[run_id] = parent  # an alias: its children hang under its parent
                    return
                policy = _content.current()
                metadata = metadata or {}
                start = {semconv.OPENINFERENCE_SPAN_KIND: kind}
                session = None
                if parent is None:
                    context = _framework_runs.parent_context()
                    session = _conversation_of(metadata)
                    if session is not None:
                        start[semconv.SESSION_ID] = start[semconv.GEN_AI_CONVERSATION_ID] = session
                else:
                    context = set_span_in_context(parent.span)
                    if not parent.root.conversation_known:
                        self._name_conversation(parent.root)
                span = tracer.start_span(name, context=context, attributes=start)
                run = _Run(span, parent, run_id, kind, agent, policy)
                run.conversation_known = session is not None
                set_clean_attributes(span, attributes_of(policy))
                if len(runs) >= MAX_RUNS:
                    self._drop_oldest()
                runs[run_id] = run
                _framework_runs.enter(run)
            except Exception:
                _log.internal_error("starting the span of LangChain run %s failed", name)

        def _name_conversation(self, root: _Run) -> None:
            """Give ``root`` the conversation its ``configurable`` names, before its first child starts.

            The config the root runs its children with is in LangChain's context variable
            while a child starts:
            https://github.com/langchain-ai/langchain/blob/langchain-core%3D%3D1.8.3/libs/core/langchain_core/runnables/config.py#L174-L199
            The children then take the root's session as they start (``SessionSpanProcessor``).
            """
            root.conversation_known = True
            config = var_child_runnable_config.get()
            session = _conversation_of(config.get("configurable") if isinstance(config, dict) else None)
            if session is not None:
                root.span.set_attributes({semconv.SESSION_ID: session, semconv.GEN_AI_CONVERSATION_ID: session})

        def _drop_oldest(self) -> None:
            with self._lock:
                try:
                    oldest = next(iter(self._runs))
                except (StopIteration, RuntimeError):
                    return
            self._end(oldest, None, None)

        def _end(self, run_id: Any, error: BaseException | None, attributes_of: Any) -> None:
            run = self._runs.pop(run_id, None)
            if run is None or run.run_id != run_id:
                return  # not ours (started before init), or a hidden run's alias
            span = run.span
            try:
                _framework_runs.leave(run)
                if isinstance(error, GeneratorExit):  # a stream the program left early: unfinished, not failed
                    span.set_attribute(semconv.NEATLOGS_STREAM_INCOMPLETE, True)
                elif error is not None and not _is_control_flow(error):
                    span.record_exception(error, escaped=True)
                    span.set_attribute(semconv.ERROR_TYPE, type(error).__qualname__)
                    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))
                else:
                    if attributes_of is not None:
                        set_clean_attributes(span, attributes_of(run.policy))
                    span.set_status(ok)
            except Exception:
                _log.internal_error("recording the end of LangChain run %s failed", getattr(span, "name", "?"))
            finally:
                try:
                    span.end()
                except Exception:
                    _log.internal_error("ending the span of a LangChain run failed")

        # --- chains, graphs, graph nodes --------------------------------------------------
        def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, parent_run_id: Any = None,
                           tags: Any = None, metadata: Any = None, **kwargs: Any) -> None:
            name = _name(serialized, kwargs, "chain")
            parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
            agentish = (metadata or {}).get("ls_integration") == "langchain_create_agent"
            kind = _extract.chain_kind(metadata or {}, parent.kind if parent else None,
                                       bool(parent and parent.agent), name)

            def attributes_of(policy: _content.ContentPolicy) -> dict[str, Any]:
                attributes = _extract.run_value(policy, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, inputs)
                if kind == "AGENT":
                    attributes[semconv.AGENT_NAME] = str((metadata or {}).get("lc_agent_name") or name)
                return attributes

            self._start(run_id, parent_run_id, name, kind, tags, metadata, attributes_of, agentish)

        def on_chain_end(self, outputs: Any, *, run_id: Any, inputs: Any = None, **kwargs: Any) -> None:
            def attributes_of(policy: _content.ContentPolicy) -> dict[str, Any]:
                attributes = _extract.run_value(policy, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, outputs)
                if inputs is not None:
                    # A streamed run starts with the placeholder {"input": ""} and says its real
                    # input only here, once the stream has been read:
                    # https://github.com/langchain-ai/langchain/blob/langchain-core%3D%3D1.8.3/libs/core/langchain_core/runnables/base.py#L2590-L2636
                    attributes.update(_extract.run_value(policy, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, inputs))
                return attributes

            self._end(run_id, None, attributes_of)

        def on_chain_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, error, None)

        # --- model calls --------------------------------------------------------------------
        def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, parent_run_id: Any = None,
                                tags: Any = None, metadata: Any = None, **kwargs: Any) -> None:
            self._start(run_id, parent_run_id, _name(serialized, kwargs, "chat_model"), "LLM", tags, metadata,
                        lambda policy: _extract.llm_request(serialized, messages[0] if messages else [], None,
                                                            kwargs, metadata or {}, policy))

        def on_llm_start(self, serialized: Any, prompts: Any, *, run_id: Any, parent_run_id: Any = None,
                         tags: Any = None, metadata: Any = None, **kwargs: Any) -> None:
            self._start(run_id, parent_run_id, _name(serialized, kwargs, "llm"), "LLM", tags, metadata,
                        lambda policy: _extract.llm_request(serialized, None, prompts, kwargs, metadata or {},
                                                            policy))

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, None, lambda policy: _extract.llm_response(response, policy))

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, error, None)

        # --- tools ----------------------------------------------------------------------------
        def on_tool_start(self, serialized: Any, input_str: Any, *, run_id: Any, parent_run_id: Any = None,
                          tags: Any = None, metadata: Any = None, **kwargs: Any) -> None:
            self._start(run_id, parent_run_id, _name(serialized, {}, "tool"), "TOOL", tags, metadata,
                        lambda policy: _extract.tool_request(serialized, input_str, kwargs, policy))

        def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, None, lambda policy: _extract.tool_result(output, policy))

        def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, error, None)

        # --- retrievers -----------------------------------------------------------------------
        def on_retriever_start(self, serialized: Any, query: Any, *, run_id: Any, parent_run_id: Any = None,
                               tags: Any = None, metadata: Any = None, **kwargs: Any) -> None:
            def attributes_of(policy: _content.ContentPolicy) -> dict[str, Any]:
                attributes = policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, query)
                text = policy.text(query)
                if text is not None:
                    attributes[semconv.RETRIEVAL_QUERY] = text
                return attributes

            self._start(run_id, parent_run_id, _name(serialized, kwargs, "retriever"), "RETRIEVER", tags,
                        metadata, attributes_of)

        def on_retriever_end(self, documents: Any, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, None, lambda policy: _extract.retriever_result(documents, policy))

        def on_retriever_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self._end(run_id, error, None)

    return NeatlogsCallbackHandler

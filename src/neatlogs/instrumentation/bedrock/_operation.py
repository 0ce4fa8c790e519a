"""How a Bedrock runtime call is recorded without changing what the program gets back.

botocore returns a plain dict. A streamed call carries its ``EventStream`` inside it
(``response["stream"]`` for ``converse_stream``, ``response["body"]`` for
``invoke_model_with_response_stream``): the dict stays the program's, with our stream proxy
under that key. ``invoke_model``'s ``body`` is a ``StreamingBody`` that can be read once:
we read it, record the model's JSON, and put a fresh ``StreamingBody`` over the same bytes
in its place, so ``response["body"].read()`` (or ``iter_lines()``, ``iter_chunks()``) still
returns all of it. The model id is ``modelId``, not ``model``.
"""

from __future__ import annotations

import io

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.call import LLMCall

from ... import _log
from ...compat import workflow_attributes
from .._llm.attributes import span_name
from .._llm.call import start_call
from .._llm.operation import LLMOperation

__all__ = ["BedrockOperation"]


def _embedding(model: Any) -> bool:
    # Bedrock's embedding models all say so in their id (amazon.titan-embed-*, cohere.embed-*).
    return isinstance(model, str) and "embed" in model


class BedrockOperation(LLMOperation):
    """A Bedrock runtime operation: model from ``modelId``, streams and bodies inside the response dict.

    Args:
        stream_key: the response key holding the event stream, for an operation that streams.
        body_key: the response key holding a body to read and record (``invoke_model``).
        (the rest as :class:`~neatlogs.instrumentation._llm.operation.LLMOperation`)
    """

    __slots__ = ("stream_key", "body_key")

    def __init__(
        self,
        operation: str,
        request: Callable[[dict[str, Any], Any], dict[str, Any]],
        response: Callable[[Any, Any], dict[str, Any]],
        accumulator: Any = None,
        stream_key: str | None = None,
        body_key: str | None = None,
    ) -> None:
        super().__init__(operation, request, response, accumulator)
        self.stream_key = stream_key
        self.body_key = body_key

    def begin(self, kwargs: dict[str, Any], instance: Any = None) -> LLMCall | None:
        """Start the span, named from ``modelId`` (``embeddings`` for an embedding model's invoke).

        ``instance`` is the boto3 client; ``neatlogs.wrap(client, ...)``'s attributes are stamped.
        """
        model = kwargs.get("modelId")
        operation = "embeddings" if self.body_key is not None and _embedding(model) else self.operation
        stamped = workflow_attributes(instance) if instance is not None else None
        return start_call(span_name(operation, model), self.request, kwargs, stamped)

    def record(self, call: LLMCall, value: Any, streaming: bool, is_async: bool) -> Any:
        """Put the stream proxy (or a re-readable body) into the response dict; record the rest at once."""
        if streaming:
            key = self.stream_key
            assert key is not None
            value[key] = self.stream_proxy(call, value[key], is_async)
            return value
        if self.body_key is not None:
            self._record_body(call, value, self.body_key)
            return value
        call.finish(self.response(value, call.policy))
        return value

    def _record_body(self, call: LLMCall, value: Any, key: str) -> None:
        import json

        from botocore.response import StreamingBody

        body = value[key]
        try:
            data = body.read()
        except Exception as error:  # the connection's failure, not ours: the program meets it on its read
            _log.debug("reading the invoke_model body failed", exc_info=True)
            value[key] = _failed_body(StreamingBody, error)
            call.finish(error=error)
            return
        value[key] = StreamingBody(io.BytesIO(data), len(data))
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None  # not JSON (another content type): nothing to read in it
        call.finish(self.response(payload, call.policy))


def _failed_body(streaming_body: type, error: BaseException) -> Any:
    """A ``StreamingBody`` whose every read raises ``error``, as the original's would have."""

    class FailedBody(streaming_body):
        def read(self, amt: Any = None) -> bytes:
            raise error

    return FailedBody(io.BytesIO(b""), 0)

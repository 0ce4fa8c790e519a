"""AWS Bedrock Runtime instrumentation (boto3/botocore): converse, invoke_model and their streams, one span each.

boto3 builds each client's class at run time (``boto3.client("bedrock-runtime")`` makes a
new ``BedrockRuntime`` class per client, ``ClientCreator._create_client_class``), so there
is no resource class to patch as for openai. Every generated method is the same tiny
``_api_call(self, **kwargs)`` that calls ``self._make_api_call(operation_name, kwargs)``,
and the generated classes all inherit ``_make_api_call`` from ``botocore.client.BaseClient``:

- https://github.com/boto/botocore/blob/1.44.8/botocore/client.py#L196-L209 (the class per client)
- https://github.com/boto/botocore/blob/1.44.8/botocore/client.py#L594-L606 (``_api_call``)
- https://github.com/boto/botocore/blob/1.44.8/botocore/client.py#L999 (``_make_api_call``)

We patch ``BaseClient._make_api_call`` once, on the class, so clients made before
``init()`` are traced too. It is the one hook every botocore call passes, an S3 call
included: for those the wrapper costs one Python call and one dict lookup on the operation
name (it is not one of our four) before calling the original, 0.3 µs measured here, on a
call that takes milliseconds.
Only ``Converse``, ``ConverseStream``, ``InvokeModel`` and ``InvokeModelWithResponseStream``
of the ``bedrock-runtime`` service are traced. The other hook, botocore's event system
(``client.meta.events``, registered per client from ``ClientCreator.create_client``), would
miss clients made before ``init()`` and costs more per call (an event emit walks a handler
trie), so we do not use it.

botocore has no async client (aiobotocore overrides ``_make_api_call`` with a coroutine, and
is not traced): sync only. What each operation records is in ``_converse.py`` and
``_invoke.py``; how a result is recorded without breaking the program's use of it (a stream
inside the response dict, a body read once) in ``_operation.py``.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget, traced_wrapper

__all__ = ["instrument", "uninstrument"]

SERVICE = "bedrock-runtime"
"""The botocore service name of the Bedrock runtime client."""

OPERATIONS = {
    "Converse": "converse",
    "ConverseStream": "converse_stream",
    "InvokeModel": "invoke_model",
    "InvokeModelWithResponseStream": "invoke_model_with_response_stream",
}
"""botocore operation name -> our operation name, for the operations traced."""


def _send(original: Callable[..., Any], operation_name: str, client: Any, **params: Any) -> Any:
    # The traced wrapper hands the call's keyword arguments (after the request extractor,
    # which may have replaced a one-shot body by its bytes) back as botocore's params dict.
    return original(client, operation_name, params)


def wrap_make_api_call(original: Callable[..., Any], _operation: Any, is_async: bool) -> Callable[..., Any]:
    """``BaseClient._make_api_call`` tracing our four Bedrock runtime operations, passing every other call through."""
    traced = {
        name: traced_wrapper(functools.partial(_send, original, name), _instrumentor.operation(ours), False)
        for name, ours in OPERATIONS.items()
    }

    @functools.wraps(original)
    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        send = traced.get(operation_name)
        if send is None or type(api_params) is not dict or self.meta.service_model.service_name != SERVICE:
            return original(self, operation_name, api_params)
        return send(self, **api_params)

    return _make_api_call


TARGETS = (PatchTarget("botocore.client", ("BaseClient",), ("_make_api_call",), "converse", wrap_make_api_call),)
"""The one method patched: every botocore call goes through it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from . import _converse, _invoke
    from ._operation import BedrockOperation

    if name == "converse":
        return BedrockOperation("chat", _converse.request, _converse.response)
    if name == "converse_stream":
        return BedrockOperation("chat", _converse.request, _converse.response, _converse.ConverseStreamAccumulator,
                                stream_key="stream")
    if name == "invoke_model":
        return BedrockOperation("chat", _invoke.request, _invoke.response, body_key="body")
    return BedrockOperation("chat", _invoke.request, _invoke.response, _invoke.InvokeStreamAccumulator,
                            stream_key="body")


_instrumentor = ClientInstrumentor("botocore", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument

"""The provider-neutral LLM-call engine: every client library's calls are traced through it.

A traced call is one :class:`~.call.LLMCall`: its span starts before the request is sent,
with the request's attributes, and ends exactly once, from the result, the error, or the
end of the stream, whichever path gets there (return, raise, exhaustion, ``break``,
``close()``, leaving ``with``, cancellation, garbage collection).

- ``call.py``        the span's lifecycle: start, attach while sending, finish once;
- ``operation.py``   :class:`~.operation.LLMOperation`: how one method's request, result and
                     stream become attributes, and the accumulator protocol;
- ``streams.py``     the sync/async stream proxies that feed the accumulator;
- ``patching.py``    patching classes idempotently, and :class:`~.patching.ClientInstrumentor`;
- ``attributes.py``  the attributes every LLM span shares (kind, model, parameters, tokens);
- ``messages.py``    chat messages flattened into ``llm.*_messages.{i}.message.*``;
- ``genai.py``       the GenAI JSON messages and ``gen_ai.request.*`` every span gets from those;
- ``stainless.py``   raw responses, ``.parse()`` and ``stream=True``: only for the
                     Stainless-generated clients (openai, anthropic, ...).

Every captured value goes through the call's content policy (``neatlogs._content``).

Adding a provider: make ``instrumentation/<library>/`` with

1. ``__init__.py``: its :class:`~.patching.PatchTarget` list (module, classes, methods,
   operation name) and ``_operation(name, library)`` returning the
   :class:`~.operation.LLMOperation` of each name; then
   ``instrument, uninstrument = ClientInstrumentor(package, TARGETS, _operation)``'s methods;
2. ``_extract.py``: ``request(kwargs, policy)``, ``response(result, policy)`` and, for
   streams, an accumulator class with ``feed(item)`` and ``attributes(policy)``,
   built from ``attributes.py`` and ``messages.py``;

and add one line to ``instrumentation.REGISTRY``, a stand-in route for its wire protocol,
and a row in ``tests/conformance/``. Nothing here imports a client library.
"""

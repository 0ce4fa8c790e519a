"""The conformance kit's rows: one per traced client API, each a real client against a loopback stand-in.

A row says which stand-in server speaks the library's wire protocol, how to make the
library's sync and async clients for it, and how to make one streamed call, one plain call
and (for clients that have them) one raw-response streamed call. A new provider joins the kit
with its stand-in (a ``tests/standins/`` module, or a route of the demo's stand-in model) and a
row here; every test in ``tests/conformance`` then runs for it.

Every stand-in follows the same conventions, which the kit relies on: a model name containing
``slow`` streams with a pause of about 50 ms between events (so a read timeout of 20 ms fails
mid-stream, and a task can be cancelled mid-stream); the reply echoes the last user message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

SECRET = "4242"
"""Appears in every request (and so in the stand-in's echoed reply): it must never reach the wire masked or off."""

USER_TEXT = f"please keep my secret {SECRET} safe"


@dataclass(frozen=True)
class Provider:
    """How the kit drives one client API."""

    name: str
    instrumentation: str
    standin: Callable[[], Any]
    """Starts the stand-in server (a context manager with ``.base_url``); the kit keeps one per row."""
    client: Callable[[str, bool, float | None], Any]
    """``(base_url, is_async, read_timeout) -> client``, usable as a (async) context manager."""
    stream: Callable[[Any, str], Any]
    """``(client, model) -> stream`` (a coroutine or an async iterator for an async client)."""
    plain: Callable[[Any, str], Any]
    """``(client, model) -> result`` of a call that does not stream."""
    errors: Callable[[], tuple[type[BaseException], ...]]
    """The library's exception types a timed-out read raises."""
    raw_stream: Callable[[Any, str], Any] | None = None
    """``(client, model) -> raw response`` whose ``parse()`` gives the stream; None: the client has none."""
    skip_paths: frozenset[str] = frozenset()
    """Exit paths the library's streams do not offer (``leave_with`` for a plain generator, say)."""


def _demo_standin() -> Any:
    from neatlogs_cli.demo.standin_model import StandinModel

    return StandinModel()


def _openai_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import httpx2
    import openai

    timeout = httpx2.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=base_url, api_key="x", max_retries=0, timeout=timeout)


def _anthropic_client(base_url: str, is_async: bool, read_timeout: float | None) -> Any:
    import anthropic
    import httpx2

    timeout = httpx2.Timeout(5.0, read=read_timeout) if read_timeout else 5.0
    cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    return cls(base_url=base_url.removesuffix("/v1"), api_key="x", max_retries=0, timeout=timeout)


def _messages() -> list[dict[str, Any]]:
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": USER_TEXT}]


def _openai_errors() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.APITimeoutError, openai.APIConnectionError)


def _anthropic_errors() -> tuple[type[BaseException], ...]:
    import anthropic
    import httpx2

    # Mid-stream, the anthropic client lets the transport's own timeout through unwrapped.
    return (anthropic.APITimeoutError, anthropic.APIConnectionError, httpx2.TimeoutException)


_ANTHROPIC_MESSAGES = [{"role": "user", "content": USER_TEXT}]


class _LiteLLM:
    """litellm has no client object: this stands in for one, holding where its calls go.

    ``completion`` calls ``litellm.completion`` (or ``acompletion`` for an async "client")
    with the OpenAI provider pointed at the stand-in; ``tests/conftest.py`` keeps litellm offline.
    """

    def __init__(self, base_url: str, is_async: bool, read_timeout: float | None) -> None:
        self.base_url, self.is_async, self.timeout = base_url, is_async, read_timeout or 5.0

    def __enter__(self) -> _LiteLLM:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    async def __aenter__(self) -> _LiteLLM:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def completion(self, model: str, **kwargs: Any) -> Any:
        import litellm

        call = litellm.acompletion if self.is_async else litellm.completion
        return call(model="openai/" + model, messages=_messages(), api_base=self.base_url, api_key="x",
                    timeout=self.timeout, max_retries=0, **kwargs)


def _litellm_errors() -> tuple[type[BaseException], ...]:
    import litellm

    return (litellm.Timeout, litellm.APIConnectionError)

PROVIDERS = (
    Provider(
        name="openai-chat",
        instrumentation="openai",
        standin=_demo_standin,
        client=_openai_client,
        stream=lambda c, model: c.chat.completions.create(model=model, messages=_messages(), stream=True),
        raw_stream=lambda c, model: c.chat.completions.with_raw_response.create(
            model=model, messages=_messages(), stream=True),
        plain=lambda c, model: c.chat.completions.create(model=model, messages=_messages()),
        errors=_openai_errors,
    ),
    Provider(
        name="openai-responses",
        instrumentation="openai",
        standin=_demo_standin,
        client=_openai_client,
        stream=lambda c, model: c.responses.create(model=model, instructions="be brief", input=USER_TEXT, stream=True),
        raw_stream=lambda c, model: c.responses.with_raw_response.create(
            model=model, instructions="be brief", input=USER_TEXT, stream=True),
        plain=lambda c, model: c.responses.create(model=model, instructions="be brief", input=USER_TEXT),
        errors=_openai_errors,
    ),
    Provider(
        name="anthropic-messages",
        instrumentation="anthropic",
        standin=_demo_standin,
        client=_anthropic_client,
        stream=lambda c, model: c.messages.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES, stream=True),
        raw_stream=lambda c, model: c.messages.with_raw_response.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES, stream=True),
        plain=lambda c, model: c.messages.create(
            model=model, max_tokens=64, system="be brief", messages=_ANTHROPIC_MESSAGES),
        errors=_anthropic_errors,
    ),
    Provider(
        name="litellm-completion",
        instrumentation="litellm",
        standin=_demo_standin,
        client=_LiteLLM,
        stream=lambda c, model: c.completion(model, stream=True),
        plain=lambda c, model: c.completion(model),
        errors=_litellm_errors,
        # CustomStreamWrapper offers every exit path (with, close, aclose, GC); it has no raw responses.
    ),
)

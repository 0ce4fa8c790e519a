"""Per-call overhead of tracing each LLM client library: neatlogs beside OpenInference's instrumentor for it.

For every library (openai, anthropic, google-genai, bedrock, mistralai, cohere, groq, litellm,
ollama) the real client calls its loopback stand-in (each server and the OTLP receiver in a
process of their own). Three modes, each in a process of its own so no instrumentation can
leave anything behind for another: uninstrumented (neatlogs never imported); neatlogs
(``init(instrumentations=[<library>])``, OTLP/HTTP to the receiver); OpenInference's
instrumentor for the library on a plain OpenTelemetry SDK provider with a batch OTLP/HTTP
exporter to the same receiver. The three worker processes are driven round by round in a
rotating order (``_overhead.drive_workers``: many short rounds, so each round's paired
differences are taken seconds apart, in three generations of fresh processes); each batch
of calls ends with that mode's flush.
A plain and a streamed call (read to the end) are timed, in wall-clock and process-CPU
time (the steadier figure on a shared machine). Prints each library's table
(``_overhead.print_overheads``, as ``openai_overhead.py`` does) and a summary of
neatlogs' CPU overhead as a share of OpenInference's (goal: at most 0.5 for every library).

Usage: python bench/provider_overhead.py [--calls N] [--rounds R] [--only openai,ollama]
(needs the ``bench`` extra: the openinference-instrumentation-* packages)
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Callable

from _overhead import drive_workers, print_overheads, serve_rounds, start_receiver, start_standin

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
OFFLINE = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
           "LITELLM_OFFLINE_MODE": "true", "AWS_EC2_METADATA_DISABLED": "true"}
"""Keeps the clients off the internet (litellm's catalogs, botocore's instance metadata)."""


@dataclass(frozen=True)
class Library:
    """How to drive one client library against its stand-in."""

    module: str
    """Its import name: the library is skipped when it (or its peer) is not installed."""
    standin: tuple[str, str]
    """(module, class) of its stand-in server."""
    neatlogs: str
    """The neatlogs instrumentation's name."""
    peer: tuple[str, str]
    """(module, class) of OpenInference's instrumentor."""
    setup: Callable[[str], tuple[Any, Callable[[Any], Any], Callable[[Any], Any]]]
    """``base_url -> (client, plain(client), streamed(client))``."""


def _openai(base_url: str) -> Any:
    import openai

    def plain(c: Any) -> Any:
        return c.chat.completions.create(model="gpt-bench", messages=MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.chat.completions.create(model="gpt-bench", messages=MESSAGES, stream=True):
            pass

    return openai.OpenAI(base_url=base_url, api_key="x", max_retries=0), plain, streamed


def _anthropic(base_url: str) -> Any:
    import anthropic

    def plain(c: Any) -> Any:
        return c.messages.create(model="claude-bench", max_tokens=64, messages=MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.messages.create(model="claude-bench", max_tokens=64, messages=MESSAGES, stream=True):
            pass

    return anthropic.Anthropic(base_url=base_url.removesuffix("/v1"), api_key="x", max_retries=0), plain, streamed


def _genai(base_url: str) -> Any:
    from google import genai
    from google.genai import types

    def plain(c: Any) -> Any:
        return c.models.generate_content(model="gemini-bench", contents="What is the capital of France?")

    def streamed(c: Any) -> None:
        for _ in c.models.generate_content_stream(model="gemini-bench", contents="What is the capital of France?"):
            pass

    return genai.Client(api_key="x", http_options=types.HttpOptions(base_url=base_url)), plain, streamed


def _bedrock(base_url: str) -> Any:
    import boto3

    messages = [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]

    def plain(c: Any) -> Any:
        return c.converse(modelId="anthropic.bench", messages=messages)

    def streamed(c: Any) -> None:
        for _ in c.converse_stream(modelId="anthropic.bench", messages=messages)["stream"]:
            pass

    client = boto3.client("bedrock-runtime", endpoint_url=base_url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    return client, plain, streamed


def _mistral(base_url: str) -> Any:
    from mistralai.client import Mistral

    def plain(c: Any) -> Any:
        return c.chat.complete(model="mistral-bench", messages=MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.chat.stream(model="mistral-bench", messages=MESSAGES):
            pass

    return Mistral(api_key="x", server_url=base_url), plain, streamed


def _cohere(base_url: str) -> Any:
    import cohere

    def plain(c: Any) -> Any:
        return c.chat(model="command-bench", messages=MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.chat_stream(model="command-bench", messages=MESSAGES):
            pass

    return cohere.ClientV2(api_key="x", base_url=base_url, max_retries=0), plain, streamed


def _groq(base_url: str) -> Any:
    import groq

    def plain(c: Any) -> Any:
        return c.chat.completions.create(model="llama-bench", messages=MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.chat.completions.create(model="llama-bench", messages=MESSAGES, stream=True):
            pass

    return groq.Groq(base_url=base_url.removesuffix("/v1"), api_key="x", max_retries=0), plain, streamed


def _litellm(base_url: str) -> Any:
    import litellm

    options = {"model": "openai/gpt-bench", "messages": MESSAGES, "api_base": base_url, "api_key": "x"}

    def plain(_c: Any) -> Any:
        return litellm.completion(**options)

    def streamed(_c: Any) -> None:
        for _ in litellm.completion(stream=True, **options):
            pass

    return None, plain, streamed


def _ollama(base_url: str) -> Any:
    import ollama

    def plain(c: Any) -> Any:
        return c.chat("llama-bench", MESSAGES)

    def streamed(c: Any) -> None:
        for _ in c.chat("llama-bench", MESSAGES, stream=True):
            pass

    return ollama.Client(host=base_url), plain, streamed


_DEMO = ("neatlogs_cli.demo.standin_model", "StandinModel")
_OI = "openinference.instrumentation."
LIBRARIES = {
    "openai": Library("openai", _DEMO, "openai", (_OI + "openai", "OpenAIInstrumentor"), _openai),
    "anthropic": Library("anthropic", _DEMO, "anthropic", (_OI + "anthropic", "AnthropicInstrumentor"), _anthropic),
    "google-genai": Library("google.genai", ("standins.google_genai", "GeminiStandin"), "google_genai",
                            (_OI + "google_genai", "GoogleGenAIInstrumentor"), _genai),
    "bedrock": Library("boto3", ("standins.bedrock", "BedrockStandin"), "bedrock",
                       (_OI + "bedrock", "BedrockInstrumentor"), _bedrock),
    "mistralai": Library("mistralai.client", ("standins.mistralai", "MistralStandin"), "mistralai",
                         (_OI + "mistralai", "MistralAIInstrumentor"), _mistral),
    "cohere": Library("cohere", ("standins.cohere", "CohereStandin"), "cohere",
                      (_OI + "cohere", "CohereInstrumentor"), _cohere),
    "groq": Library("groq", _DEMO, "groq", (_OI + "groq", "GroqInstrumentor"), _groq),
    "litellm": Library("litellm", _DEMO, "litellm", (_OI + "litellm", "LiteLLMInstrumentor"), _litellm),
    "ollama": Library("ollama", ("standins.ollama", "OllamaStandin"), "ollama",
                      (_OI + "ollama", "OllamaInstrumentor"), _ollama),
}
MODES = ("uninstrumented", "neatlogs", "openinference")
SHAPES = ("plain", "streamed")


# --- one mode of one library, in its own process -------------------------------------------------
def worker(name: str, mode: str, base_url: str, endpoint: str) -> None:
    """Set the mode up, then time the calls the driver asks for (``_overhead.serve_rounds``)."""
    library = LIBRARIES[name]
    flush: Callable[[], Any] = lambda: None  # noqa: E731
    if mode == "neatlogs":
        import neatlogs

        neatlogs.init(endpoint=endpoint, workflow_name="bench", instrumentations=[library.neatlogs])
        flush = neatlogs.flush
    elif mode == "openinference":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        module, cls = library.peer
        getattr(importlib.import_module(module), cls)().instrument(tracer_provider=provider)
        flush = provider.force_flush
    client, plain, streamed = library.setup(base_url)
    serve_rounds({"plain": lambda: plain(client), "streamed": lambda: streamed(client)}, flush)


# --- the run -------------------------------------------------------------------------------------
def _available(library: Library) -> str | None:
    """Why the library cannot be measured here, or None."""
    for module in (library.module, library.peer[0]):
        try:
            importlib.import_module(module)
        except ImportError as error:
            return f"{module} not importable ({error})"
    return None


def measure(name: str, endpoint: str, rounds: int, calls: int, env: dict[str, str]) -> dict[tuple[str, str], float]:
    """One library's three modes, round by round; prints its table, returns its CPU overheads."""
    standin, base_url = start_standin(*LIBRARIES[name].standin)
    try:
        commands = {mode: [sys.executable, __file__, "--worker", name, mode, base_url, endpoint] for mode in MODES}
        results = drive_workers(commands, SHAPES, rounds, calls, env)
        print(f"=== {name} ===")
        return print_overheads(results, MODES, SHAPES, rounds, calls)
    finally:
        standin.terminate()


def main() -> None:
    """Measure every library and print the tables and the summary."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        os.environ.update(OFFLINE)
        worker(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls per mode per round, the mode's flush after them")
    parser.add_argument("--rounds", type=int, default=15, help="rounds, in three generations of worker processes")
    parser.add_argument("--only", help="comma list of libraries (default: all)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(LIBRARIES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(OFFLINE, NEATLOGS_HOME=tempfile.mkdtemp(prefix="neatlogs-bench-"))
    os.environ.update(OFFLINE)
    summary = []
    receiver, endpoint = start_receiver()
    try:
        for name in names:
            why = _available(LIBRARIES[name])
            if why is not None:
                summary.append(f"{name:<13} skipped: {why}")
                continue
            cpu = measure(name, endpoint, args.rounds, args.calls, env)
            shares = []
            for shape in SHAPES:
                ours, peer = cpu[("neatlogs", shape)], cpu[("openinference", shape)]
                shares.append(f"{shape} {ours:5.0f} / {peer:5.0f} µs = {ours / peer if peer > 0 else float('nan'):.2f}")
            summary.append(f"{name:<13} " + "   ".join(shares))
    finally:
        receiver.terminate()
    print("summary: neatlogs / OpenInference per-call overhead, process CPU (goal <= 0.5)")
    for line in summary:
        print(f"provider {line}")


if __name__ == "__main__":
    main()

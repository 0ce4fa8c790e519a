"""The openai 1.x line, in a subprocess that puts ``openai<2`` first on its path.

The 1.x client is installed once with ``pip install --target`` into a cache folder; the test
is skipped when that cannot be done (no index reachable).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

from neatlogs import semconv as sc

CACHE = os.path.join(tempfile.gettempdir(), f"neatlogs-openai1-py{sys.version_info[0]}{sys.version_info[1]}")

PROGRAM = """
import os, sys
import neatlogs
neatlogs.init(endpoint=os.environ["ENDPOINT"], instrumentations=["openai"])
import openai
assert openai.__version__.startswith("1."), openai.__version__
client = openai.OpenAI(base_url=os.environ["BASE_URL"], api_key="x", max_retries=0)
user = [{"role": "user", "content": "hello from 1.x"}]
client.chat.completions.create(model="v1-plain", messages=user)
with client.chat.completions.create(model="v1-stream", messages=user, stream=True) as stream:
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
stream = client.chat.completions.create(model="v1-break", messages=user, stream=True)
next(stream)
stream.close()
raw = client.chat.completions.with_raw_response.create(model="v1-raw", messages=user)
assert raw.headers["x-request-id"] and raw.parse().choices[0].message.content
client.responses.create(model="v1-responses", input="hi")
client.embeddings.create(model="v1-embeddings", input="hi")
neatlogs.flush()
print(text)
"""


@pytest.fixture(scope="module")
def openai1_path() -> str:
    """A folder holding openai<2 and its dependencies (built once, then reused)."""
    marker = os.path.join(CACHE, ".complete")
    if not os.path.exists(marker):
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", CACHE, "openai<2"],
            capture_output=True, text=True, timeout=300,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot install openai<2 here: {result.stderr.strip().splitlines()[-1:]}")
        open(marker, "w").close()
    return CACHE


def test_openai_1x_calls_are_traced(openai1_path, standin_model, otlp_receiver) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(PYTHONPATH=openai1_path, BASE_URL=standin_model.base_url, ENDPOINT=otlp_receiver.endpoint,
               NEATLOGS_HOME=os.getcwd())
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAM)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    spans = {s["name"]: s["attributes"] for s in otlp_receiver.wait_for(6)}
    assert sorted(spans) == ["chat v1-break", "chat v1-plain", "chat v1-raw", "chat v1-stream",
                             "embeddings v1-embeddings", "responses v1-responses"]
    assert spans["chat v1-stream"][sc.OUTPUT_VALUE] == result.stdout.strip()
    assert spans["chat v1-break"][sc.NEATLOGS_STREAM_INCOMPLETE] is True
    assert spans["chat v1-plain"][sc.LLM_TOKEN_COUNT_TOTAL] > 0

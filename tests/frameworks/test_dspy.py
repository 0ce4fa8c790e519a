"""DSPy traced by OpenInference's instrumentor on neatlogs' provider (``neatlogs[dspy]``).

A real ``dspy.Predict`` and ``dspy.ChainOfThought`` with ``dspy.LM("openai/...")`` pointed at
the stand-in model (cache off, DSPy's JSON adapter, whose structured-output request the
stand-in answers): module, predictor, adapter (CHAIN) and LM (LLM) spans in one trace. With
``engine="litellm"`` the litellm call neatlogs traces sits under DSPy's LM span and its tokens
count once; DSPy's own engine (lm15, its default) makes DSPy's LM span the only LLM span.
"""

from __future__ import annotations

import os

import pytest
from adopted_support import OFFLINE_ENV, block_internet, neatlogs_run, records, scopes, turns_of

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

dspy = pytest.importorskip("dspy", reason="DSPy is not installed (dev extra)")
pytest.importorskip("openinference.instrumentation.dspy", reason="neatlogs[dspy] is not installed")

import neatlogs  # noqa: E402
from neatlogs import _testing  # noqa: E402
from neatlogs import semconv as sc  # noqa: E402

SCOPE = "openinference.instrumentation.dspy"
QUESTION = "What does neatlogs do?"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))
    return block_internet(monkeypatch)


def _lm(base_url: str, engine: str = "litellm"):
    return dspy.LM("openai/gpt-4o-mini", api_base=base_url, api_key="sk-test", cache=False, engine=engine,
                   num_retries=0)


def _ask(base_url: str, module: str = "Predict", engine: str = "litellm", question: str = QUESTION):
    with dspy.context(lm=_lm(base_url, engine), adapter=dspy.JSONAdapter()):
        return getattr(dspy, module)("question -> answer")(question=question)


def _kind(span) -> str | None:
    return (span.attributes or {}).get(sc.OPENINFERENCE_SPAN_KIND)


@pytest.mark.parametrize("module", ["Predict", "ChainOfThought"])
def test_a_module_call_is_one_trace_with_the_litellm_call_under_the_lm_span(standin_model, module):
    memory = _testing.init_in_memory(instrumentations=["dspy", "litellm", "openai"], session_id="dspy-session")
    prediction = _ask(standin_model.base_url, module)
    assert prediction.answer == "stand-in"
    spans = memory.get_finished_spans()
    assert scopes(spans) == {SCOPE, "neatlogs"}
    assert all(s.attributes[sc.SESSION_ID] == "dspy-session" for s in spans)
    by_id = {s.context.span_id: s for s in spans}
    [root] = [s for s in spans if s.parent is None]
    assert _kind(root) == "CHAIN" and all(s.context.trace_id == root.context.trace_id for s in spans)
    assert QUESTION in root.attributes[sc.INPUT_VALUE]
    [client] = [s for s in spans if s.instrumentation_scope.name == "neatlogs"]
    lm_span = by_id[client.parent.span_id]
    assert lm_span.name == "LM.__call__" and _kind(lm_span) == "LLM" and _kind(client) == "LLM"
    chain = [by_id[lm_span.parent.span_id]]
    while chain[-1].parent is not None:
        chain.append(by_id[chain[-1].parent.span_id])
    assert [_kind(s) for s in chain] == ["CHAIN"] * len(chain) and chain[-1] is root
    assert any("Adapter" in s.name for s in chain)


def test_the_turn_says_the_question_and_counts_tokens_once(standin_model):
    memory = _testing.init_in_memory(instrumentations=["dspy", "litellm", "openai"], session_id="dspy-turns")
    _ask(standin_model.base_url)
    spans = records(memory.get_finished_spans())
    [turn] = turns_of(spans)
    assert turn.user_text == QUESTION
    assert "stand-in" in (turn.reply_text or "")
    [client] = [s for s in spans if s.name.startswith("chat ")]
    [lm_span] = [s for s in spans if s.name == "LM.__call__"]
    # DSPy's LM span and the litellm span under it report the same call: it counts once.
    assert lm_span.attributes[sc.LLM_TOKEN_COUNT_TOTAL] == client.attributes[sc.LLM_TOKEN_COUNT_TOTAL]
    assert turn.tokens == client.attributes[sc.LLM_TOKEN_COUNT_TOTAL] > 0


def test_dspy_own_engine_makes_one_llm_span_with_the_usage_dspy_reports(standin_model):
    memory = _testing.init_in_memory(instrumentations=["dspy", "litellm", "openai"])
    assert _ask(standin_model.base_url, engine="lm15").answer == "stand-in"
    spans = memory.get_finished_spans()
    assert scopes(spans) == {SCOPE}  # lm15 speaks HTTP itself: no client library neatlogs patches
    [lm_span] = [s for s in spans if _kind(s) == "LLM"]
    assert lm_span.name == "LM.__call__"
    total = lm_span.attributes[sc.LLM_TOKEN_COUNT_TOTAL]
    assert total == lm_span.attributes[sc.LLM_TOKEN_COUNT_PROMPT] + lm_span.attributes[sc.LLM_TOKEN_COUNT_COMPLETION] > 0
    [turn] = turns_of(records(spans))
    assert turn.tokens == total


def test_capture_off_leaves_no_content_on_the_wire(standin_model, otlp_receiver):
    from wire import Wire

    neatlogs.init(endpoint=otlp_receiver.endpoint, instrumentations=["dspy", "litellm", "openai"],
                  capture_content=False, session_id="dspy-private")
    _ask(standin_model.base_url, question="my secret question")
    assert neatlogs.flush()
    spans = otlp_receiver.spans()
    assert {s["scope"] for s in spans} == {SCOPE, "neatlogs"}
    assert {s["attributes"][sc.OPENINFERENCE_SPAN_KIND] for s in spans} == {"CHAIN", "LLM"}
    text = Wire(otlp_receiver).raw_text()
    for secret in ("my secret question", "stand-in", "question -> answer", "Your input fields"):
        assert secret not in text
    assert all(s["attributes"][sc.SESSION_ID] == "dspy-private" for s in spans)


def test_the_mask_and_the_length_limit_reach_the_frameworks_spans(standin_model):
    question = "secret " + "x" * 5_000
    memory = _testing.init_in_memory(instrumentations=["dspy", "litellm", "openai"], max_value_chars=2_000,
                                     mask=lambda v: v.replace("secret", "[hidden]") if isinstance(v, str) else v)
    _ask(standin_model.base_url, question=question)
    theirs = [s for s in memory.get_finished_spans() if s.instrumentation_scope.name == SCOPE]
    values = [v for s in theirs for v in s.attributes.values() if isinstance(v, str)]
    assert not any("secret" in v for v in values)
    root_input = next(s for s in theirs if s.parent is None).attributes[sc.INPUT_VALUE]
    assert root_input.startswith('{"question": "[hidden] xxx') and "...[neatlogs: truncated" in root_input


def test_init_twice_is_one_instrumentor(standin_model):
    memory = _testing.init_in_memory(instrumentations=["dspy", "litellm"])
    neatlogs.init(instrumentations=["dspy"])
    _ask(standin_model.base_url)
    names = [s.name for s in memory.get_finished_spans()]
    assert names.count("LM.__call__") == 1 and names.count("Predict.forward") == 1


PROGRAM = """
    import os
    import dspy

    lm = dspy.LM("openai/gpt-4o-mini", api_base=os.environ["STANDIN_URL"], api_key="sk-test", cache=False,
                 engine="litellm", num_retries=0)
    dspy.configure(lm=lm, adapter=dspy.JSONAdapter())
    print("Bot:", dspy.ChainOfThought("question -> answer")(question="What does neatlogs do?").answer)
"""


def test_under_neatlogs_run_the_session_shows_the_question_as_the_turn(standin_model, tmp_path):
    done, detail, turns = neatlogs_run(PROGRAM, tmp_path, standin_model.base_url)
    assert "Bot: stand-in" in done.stdout
    [turn] = turns
    assert turn.user_text == "What does neatlogs do?"
    assert detail["turn_count"] == 1 and detail["token_count"] == turn.tokens > 0
    kinds = {s["kind"] for t in detail["traces"] for s in t["spans"]}
    assert kinds == {"CHAIN", "LLM"}


def test_without_the_extra_one_line_names_the_install_and_the_exit_line_stays_true(tmp_path):
    import pty
    import subprocess
    import sys

    from adopted_support import GUARD

    script = tmp_path / "no_extra.py"
    # As if neatlogs[dspy] were not installed: the instrumentor's module cannot be imported.
    script.write_text(GUARD + "import sys\nsys.modules['openinference.instrumentation.dspy'] = None\n"
                      "import dspy\nprint('imported', dspy.__name__)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(OFFLINE_ENV, NEATLOGS_HOME=str(tmp_path / "home"), DSPY_CACHEDIR=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "run", "--", sys.executable, str(script)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env, cwd=tmp_path)
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.wait(timeout=120) == 0
    assert stdout == "imported dspy\n"
    lines = [line for line in output.decode().splitlines() if line.startswith("neatlogs: ")]
    notes = [line for line in lines if "pip install 'neatlogs[dspy]'" in line]
    assert len(notes) == 1 and notes[0].startswith("neatlogs: dspy is imported but not traced")
    [exit_line] = [line for line in lines if "no LLM calls were traced" in line]
    instrumented, _, untraced = exit_line.partition("instrumented: ")[2].partition("; imported but not traced: ")
    assert "dspy" not in instrumented and untraced.rstrip(")") == "dspy"

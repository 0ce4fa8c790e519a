"""Attribute keys: one module, unique, lowercase, dotted, none a dotted prefix of another."""

from __future__ import annotations

import re
from pathlib import Path

from neatlogs import semconv

SRC = Path(semconv.__file__).resolve().parents[1]


def test_keys_are_unique_lowercase_and_dotted():
    keys = semconv.ALL_KEYS
    assert len(keys) == len(set(keys))
    for key in keys:
        if key == semconv.METADATA:  # OpenInference's own spelling has no dot
            continue
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", key), key


def test_no_key_is_a_dotted_prefix_of_another():
    full_keys = [k for k in semconv.ALL_KEYS if not k.startswith(("message.", "tool_call."))]
    for a in full_keys:
        for b in full_keys:
            assert a == b or not b.startswith(a + "."), (a, b)


def test_every_constant_is_exported():
    constants = {n for n, v in vars(semconv).items() if n.isupper() and not n.startswith("_") and n != "TYPE_CHECKING"}
    assert constants <= set(semconv.__all__)


def test_no_key_literal_outside_semconv():
    """Every neatlogs-written key comes from semconv: the literal strings appear nowhere else."""
    watched = {"session.id", "gen_ai.conversation.id", "input.value", "output.value",
               "openinference.span.kind", "llm.prompt_template.template", "llm.token_count.total"}
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "semconv.py":
            continue
        text = path.read_text()
        offenders += [f"{path.relative_to(SRC)}: {k}" for k in watched if f'"{k}"' in text or f"'{k}'" in text]
    assert offenders == []

"""The README's set-up commands stay true: CI runs exactly the README's test command."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    first_block = []
    for line in lines[:15]:
        if line.startswith("    "):
            first_block.append(line.strip())
        elif first_block:
            break
    return first_block


def test_readme_starts_with_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install '.[demo]'") and commands[0].endswith("neatlogs demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert setup_commands()[1] in ci

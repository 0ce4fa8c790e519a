"""Fixtures for ``neatlogs run`` tests: neatlogs built as a wheel and installed in a fresh venv.

The wheel is built from a copy of the checkout (never an editable install), so these tests
also prove that the bootstrap ships inside the wheel. The venv is made once per test session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from run_support import TracedVenv, build_wheel, other_python


@pytest.fixture(scope="session")
def traced_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedVenv]:
    """A fresh venv holding neatlogs from a wheel of this checkout, plus openai for the programs."""
    workdir = tmp_path_factory.mktemp("wheel-venv")
    wheel = build_wheel(workdir)
    venv = TracedVenv(workdir / "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv.folder)], check=True)
    # The outer pip installs into the venv (--python): no pip bootstrap in the venv needed.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", venv.python, "install", "--quiet", str(wheel), "openai"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    yield venv


@pytest.fixture(scope="session")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without neatlogs, of another Python version when one is installed (else ours)."""
    python = other_python() or sys.executable
    folder = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder

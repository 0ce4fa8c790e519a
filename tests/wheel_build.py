"""Build a wheel of the checkout the way a user's `pip install .` would, for tests that install it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["build_wheel"]

ROOT = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("pyproject.toml", "README.md", "src", "sitecustomize_template")


def build_wheel(workdir: Path) -> Path:
    """Build a wheel of a copy of the checkout (no build files left in it); return its path."""
    source = workdir / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    dist = workdir / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = dist.glob("neatlogs-*.whl")
    return wheel

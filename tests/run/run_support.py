"""Support for the ``neatlogs run`` tests: paths, the wheel build and the venv it goes into."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from wheel_build import build_wheel

__all__ = ["PROGRAMS", "ROOT", "TracedVenv", "build_wheel", "other_python"]

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "programs"


class TracedVenv:
    """A venv with the neatlogs wheel and openai installed: run programs under its ``neatlogs run``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.python = str(self.bin / "python")
        self.neatlogs = str(self.bin / "neatlogs")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a run: ours minus settings that could leak, the venv first on PATH."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEATLOGS_", "OTEL_", "OPENAI_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env


def other_python() -> str | None:
    """A Python 3 interpreter of another minor version than ours, if this machine has one."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(8, 15)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[1])"],
                                 capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().isdigit() and int(out.stdout) >= 8 \
                and int(out.stdout) != sys.version_info[1]:
            return candidate
    return None

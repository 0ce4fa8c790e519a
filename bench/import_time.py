"""How much `import neatlogs` and `neatlogs.init()` add to a fresh Python process.

Prints medians of 20 fresh processes per row, measured in one run, and the milliseconds
each step adds over the row before. Goals: import adds < 5 ms; init() on the local-store
path adds < 40 ms.   Usage: python bench/import_time.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROWS = [
    ("python -c pass", "pass"),
    ("import neatlogs", "import neatlogs"),
    ("import neatlogs; neatlogs.init()", "import neatlogs; neatlogs.init()"),
]


def median_ms(code: str, runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``runs`` fresh ``python -c code`` processes, in ms."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="neatlogs-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    # Measure as installed programs run: with compiled bytecode, in a folder with no config file.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NEATLOGS_HOME"] = home
    os.chdir(home)
    for _, code in ROWS:  # warm-up: writes .pyc files and the page cache
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
    results = [(label, median_ms(code, args.runs, env)) for label, code in ROWS]
    print(f"{'case':<36} {'median ms':>10} {'adds ms':>9}")
    previous = None
    for label, ms in results:
        added = "" if previous is None else f"{ms - previous:+9.1f}"
        print(f"{label:<36} {ms:>10.1f} {added:>9}")
        previous = ms
    base, imported, initialised = (ms for _, ms in results)
    print(f"\nimport neatlogs adds {imported - base:.1f} ms (goal < 5); "
          f"init() on the local store adds {initialised - imported:.1f} ms (goal < 40)")


if __name__ == "__main__":
    main()

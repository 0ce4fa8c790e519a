"""What `neatlogs run` adds to a program's start-up, beside opentelemetry-instrument as the peer.

For `python -c pass` and `python -c "import openai"` it prints the median wall time of 20
fresh processes per row (rows interleaved, so drift hits all alike), measured in one run:
bare; the bootstrap alone on PYTHONPATH; the whole `neatlogs run`; `opentelemetry-instrument`
(opentelemetry-distro with the openai-v2 instrumentor: `pip install '.[bench]'`). Each row
shows the milliseconds added over bare and the ratio to bare. Spans go to the local store.

Goals: the bootstrap adds < 15 ms and `neatlogs run` < 100 ms to `python -c pass`; a program
importing openai pays at most +15% under the bootstrap.

    python bench/startup.py [--runs N]     (run it with the Python of the venv to measure)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROGRAMS = [("python -c pass", "pass"), ('python -c "import openai"', "import openai")]
BIN = Path(sys.executable).parent


def _rows(home: str) -> list[tuple[str, list[str] | None, dict[str, str]]]:
    """(label, argv prefix before `python -c CODE` or None when unavailable, environment) per row."""
    from neatlogs_cli.run import bootstrap_folder

    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NEATLOGS_", "OTEL_")) and k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    base["NEATLOGS_HOME"] = home
    peer = BIN / "opentelemetry-instrument"
    # Traces over OTLP/HTTP like ours (the grpc exporter is not installed); no metrics or logs.
    peer_env = dict(base, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", OTEL_METRICS_EXPORTER="none",
                    OTEL_LOGS_EXPORTER="none", OTEL_SERVICE_NAME="bench")
    return [
        ("bare", [], base),
        ("bootstrap only (PYTHONPATH)", [], dict(base, PYTHONPATH=bootstrap_folder())),
        ("neatlogs run", [str(BIN / "neatlogs"), "run", "--"], base),
        ("opentelemetry-instrument", [str(peer)] if peer.exists() else None, peer_env),
    ]


def _time_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def measure(code: str, rows, runs: int) -> list[float | None]:
    """Median ms per row for ``python -c code``; rows run interleaved, two warm-up rounds first."""
    python = sys.executable
    samples: list[list[float]] = [[] for _ in rows]
    for round_ in range(runs + 2):
        for i, (_, prefix, env) in enumerate(rows):
            if prefix is None:
                continue
            elapsed = _time_once([*prefix, python, "-c", code], env)
            if round_ >= 2:
                samples[i].append(elapsed)
    return [statistics.median(s) if s else None for s in samples]


def main() -> None:
    """Measure and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="neatlogs-bench-") as home:
        rows = _rows(home)
        print(f"medians of {args.runs} runs each, {sys.executable} (Python {sys.version.split()[0]})")
        for label, code in PROGRAMS:
            medians = measure(code, rows, args.runs)
            bare = medians[0]
            print(f"\n{label}")
            print(f"  {'row':<30} {'median ms':>10} {'added ms':>10} {'ratio':>7}")
            for (name, _prefix, _), median in zip(rows, medians):
                if median is None:
                    print(f"  {name:<30} {'not installed (pip install .[bench])':>30}")
                    continue
                print(f"  {name:<30} {median:>10.1f} {median - bare:>+10.1f} {median / bare:>7.2f}")


if __name__ == "__main__":
    main()

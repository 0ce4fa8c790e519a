"""A long fuzzing run of the collector (CI runs the same test with a bounded example count).

Usage: python bench/fuzz_collector.py [--examples N]   (default 5,000)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TEST = "tests/reliability/test_collector_faults.py::test_fuzzed_bodies_get_4xx_and_the_collector_keeps_serving"


def main() -> None:
    """Run the fuzz test with many examples and print how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5_000)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, NEATLOGS_FUZZ_EXAMPLES=str(args.examples))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
                            cwd=root, env=env)
    elapsed = time.perf_counter() - start
    verdict = "every body got 200 or 4xx and the collector kept serving" if result.returncode == 0 else "FAILED"
    print(f"fuzzed POST /v1/traces with {args.examples:,} bodies in {elapsed:.0f} s: {verdict}")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()

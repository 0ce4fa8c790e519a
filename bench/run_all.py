"""Run every benchmark and write one markdown report, bench/RESULTS.md.

Each benchmark runs as its own process (so its peak RSS is its own) and prints its figures
as ratios against a baseline measured in the same run; this script keeps the lines that
answer each goal for the summary table and the whole output below it.
Usage: python bench/run_all.py [--quick] [--only a.py,b.py] (with --only, the other rows of
bench/RESULTS.md are kept and the header says which were rerun when)
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (title, script and arguments, quick arguments, goal, pattern of the lines that answer the goal)
BENCHMARKS = [
    ("import and init()", ["import_time.py"], ["--runs", "10"],
     "import < 5 ms, init() < 40 ms", r"adds .* ms \(goal"),
    ("startup under `neatlogs run`", ["startup.py"], ["--runs", "8"],
     "bootstrap < 15 ms, run < 100 ms, import openai +<= 15%", r"^\s+(bare|bootstrap|neatlogs run|opentelemetry-instrument)"),
    ("@span vs a bare OpenTelemetry span", ["span_overhead.py"], ["--spans", "5000", "--rounds", "3"],
     "<= 1.5x the bare span (export discarded on both)", r"^(ratio|with OTLP)"),
    ("OpenAI call overhead vs OpenInference", ["openai_overhead.py"], ["--calls", "50", "--rounds", "3"],
     "neatlogs adds <= half of OpenInference", r"neatlogs adds"),
    ("every library's call overhead vs OpenInference", ["provider_overhead.py"], ["--calls", "20", "--rounds", "3"],
     "neatlogs adds <= half of OpenInference, per library (process CPU)", r"^provider "),
    ("agent framework turn overhead vs OpenInference", ["framework_overhead.py"], ["--turns", "20", "--rounds", "3"],
     "neatlogs adds <= half of OpenInference", r"neatlogs adds|skipped"),
    ("collector ingest", ["ingest.py"], ["--spans", "5000"],
     ">= 10,000 spans/s queryable", r"collector, queryable|goal"),
    ("session page in a large store", ["session_page.py"], ["--sizes", "10000,100000", "--runs", "5"],
     "< 300 ms, flat from 10k to 1M spans", r"vs .* spans: page"),
    ("dashboard lists, filters and Overview in a large store", ["dashboard_lists.py"],
     ["--sizes", "10000,100000", "--runs", "5"],
     "< 150 ms each, flat from 10k to 1M spans", r"dashboard lists:"),
    ("exit held by a dead endpoint", ["exit_hold.py"], ["--runs", "1"],
     "neatlogs holds exit <= 5 s", r"(closed port|black hole)"),
    ("burst with the endpoint down", ["burst.py"], ["--spans", "50000", "--peer-spans", "20000"],
     "bounded memory, every drop reported", r"^(neatlogs|OpenTelemetry SDK)"),
]


def run_one(argv: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run one benchmark; return its output, wall seconds and peak RSS in MiB."""
    with tempfile.TemporaryFile(mode="w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(HERE / argv[0]), *argv[1:]], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=HERE.parent)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        text += f"\n(exit status {proc.returncode})"
    return text, elapsed, usage.ru_maxrss / 1024


def _merged(old: str, titles: list[str], rows: list[str], sections: list[str], load: float
            ) -> tuple[str, list[str], list[str]]:
    """With ``--only``: the report's other rows and sections kept from ``old``, those rerun replaced in place.

    The header keeps the whole run's line and says which rows were rerun alone, and when.
    """
    lines = old.split("\n")
    header = next((line for line in lines if line.startswith("Written by")), "")
    header = header.split(" Rows rerun alone on ")[0]
    fresh_rows = dict(zip(titles, rows))
    fresh_sections = dict(zip(titles, sections))
    kept_rows = [fresh_rows.get(_cell(line), line) for line in lines
                 if line.startswith("| ") and not line.startswith("| benchmark |")]
    kept_rows += [row for title, row in fresh_rows.items() if title not in {_cell(r) for r in kept_rows}]
    parts = old.split("\n## ")[1:]
    kept_sections = [fresh_sections.get(part.split("\n", 1)[0], "## " + part.rstrip() + "\n") for part in parts]
    kept_sections += [section for title, section in fresh_sections.items()
                      if title not in {part.split("\n", 1)[0] for part in parts}]
    note = (f" Rows rerun alone on {time.strftime('%Y-%m-%d %H:%M')} (load average {load:.1f} at the end): "
            + ", ".join(titles) + ".")
    return header + note, kept_rows, kept_sections


def _cell(row: str) -> str:
    """A report row's first cell: its benchmark's title."""
    return row.split("|")[1].strip() if row.count("|") > 2 else ""


def main() -> None:
    """Run the benchmarks and write bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a first look")
    parser.add_argument("--only", help="comma list of script names to run")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed programs run: with .pyc files
    rows, sections, titles = [], [], []
    for title, argv, quick, goal, pattern in BENCHMARKS:
        if args.only and argv[0] not in args.only.split(","):
            continue
        print(f"running {argv[0]} ...", flush=True)
        text, seconds, rss = run_one(argv + (quick if args.quick else []), env)
        titles.append(title)
        answers = [line.strip() for line in text.splitlines() if re.search(pattern, line)]
        rows.append(f"| {title} | {'<br>'.join(answers) or 'see below'} | {goal} | {rss:.0f} | {seconds:.0f} |")
        sections.append(f"## {title}\n\n`python bench/{' '.join(argv + (quick if args.quick else []))}`\n\n```\n{text.rstrip()}\n```\n")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    written = (f"Written by `python bench/run_all.py{' --quick' if args.quick else ''}` on "
               f"{time.strftime('%Y-%m-%d %H:%M')}: Python {platform.python_version()}, {os.cpu_count()} cores, "
               f"load average {load:.1f} at the end. Every figure is measured beside its baseline in the same run; "
               "peak RSS is the benchmark process's own.")
    if args.only and (HERE / "RESULTS.md").exists():
        written, rows, sections = _merged((HERE / "RESULTS.md").read_text(), titles, rows, sections, load)
    report = [
        "# neatlogs benchmark results",
        "",
        written,
        "",
        "| benchmark | result | goal | peak RSS MiB | seconds |",
        "|---|---|---|---|---|",
        *rows,
        "",
        *sections,
    ]
    (HERE / "RESULTS.md").write_text("\n".join(report))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()

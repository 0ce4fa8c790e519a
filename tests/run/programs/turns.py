"""A program that knows OpenTelemetry's API only: one span per line of stdin, no neatlogs import.

    turns.py [--fail-after N] [--exit CODE]

Prints "done N" after each turn. --fail-after raises after N turns; --exit ends with sys.exit(CODE).
"""

import sys

from opentelemetry import trace

args = sys.argv[1:]
fail_after = int(args[args.index("--fail-after") + 1]) if "--fail-after" in args else None
exit_code = int(args[args.index("--exit") + 1]) if "--exit" in args else None

tracer = trace.get_tracer("turns")
turn = 0
while True:
    line = sys.stdin.readline()
    if not line:
        break
    turn += 1
    with tracer.start_as_current_span(f"turn {turn}"):
        pass
    print(f"done {turn}", flush=True)
    if fail_after is not None and turn >= fail_after:
        raise RuntimeError(f"failed after turn {turn}")
if exit_code is not None:
    sys.exit(exit_code)

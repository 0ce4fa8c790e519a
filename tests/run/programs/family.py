"""A parent span, then a subprocess child and multiprocessing spawn and fork children, each with a span."""

import multiprocessing
import subprocess
import sys

from opentelemetry import trace


def work(how: str) -> None:
    with trace.get_tracer("family").start_as_current_span(f"child {how}"):
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        work("subprocess")
        sys.exit(0)
    with trace.get_tracer("family").start_as_current_span("parent"):
        pass
    # Export once before forking, so the fork child inherits a used exporter (and its connection).
    trace.get_tracer_provider().force_flush()
    subprocess.run([sys.executable, __file__, "child"], check=True)
    for method in ("spawn", "fork"):
        process = multiprocessing.get_context(method).Process(target=work, args=(method,))
        process.start()
        process.join()
        assert process.exitcode == 0, (method, process.exitcode)
    print("family done", flush=True)

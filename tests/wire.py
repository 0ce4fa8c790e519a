"""Reading what neatlogs sent over real OTLP/HTTP to the tests' loopback receiver."""

from __future__ import annotations

import gzip
from typing import Any

import neatlogs

__all__ = ["Wire"]


class Wire:
    """neatlogs exporting over real OTLP/HTTP to the loopback receiver."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    def spans(self, count: int, scope: str | None = None) -> list[dict[str, Any]]:
        """Flush, wait for ``count`` spans (of tracer ``scope`` if given) and return exactly those."""
        import time

        neatlogs.flush()
        deadline = time.monotonic() + 10
        while True:
            spans = [s for s in self.receiver.spans() if scope is None or s["scope"] == scope]
            if len(spans) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(spans) == count, [s["name"] for s in spans]
        return spans

    def raw_text(self) -> str:
        """Every export body received, gunzipped, as text (protobuf bytes decoded loosely)."""
        bodies = []
        for request in self.receiver.raw:
            body = request["body"]
            if request["headers"].get("Content-Encoding", request["headers"].get("content-encoding")) == "gzip":
                body = gzip.decompress(body)
            bodies.append(body.decode("utf-8", "replace"))
        return "\n".join(bodies)

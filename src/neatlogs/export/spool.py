"""The on-disk spool: OTLP request bodies that could not be sent yet, kept for later.

One folder per endpoint under ``$NEATLOGS_HOME/spool``. Each file holds one ready-to-send
request body (gzipped OTLP protobuf); its name carries the time, the writer's pid and the
span count. The spool is bounded in bytes: when full, the oldest files go first and every
span dropped that way is counted in ``dropped.log``, so a drop is never silent. Several
processes may share a spool: a sender claims a file by renaming it.
"""

from __future__ import annotations

import hashlib
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["DEFAULT_MAX_BYTES", "Spool", "send_in_background", "spool_folder"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Bound on the bytes one endpoint's spool may hold."""

_SUFFIX = ".otlp.gz"
_CLAIM_STALE_SECONDS = 300  # a claim older than this belongs to a sender that died


def spool_folder(home: str, endpoint: str) -> str:
    """Return the spool folder for ``endpoint`` under the neatlogs home folder."""
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
    return os.path.join(os.path.expanduser(home), "spool", digest)


def send_in_background(settings: Settings) -> None:
    """Send what an earlier run left in the spool for ``settings.endpoint``, on a daemon thread.

    Called by ``init()``: costs one folder listing when the spool is empty, and imports
    nothing more (the OTLP exporter and the OpenTelemetry SDK load in the thread, if at all).
    """
    endpoint = settings.endpoint
    if not endpoint:
        return
    try:
        if not any(name.endswith(_SUFFIX) for name in os.listdir(spool_folder(settings.home, endpoint))):
            return
    except OSError:
        return
    import threading

    def send() -> None:
        from .. import _log

        try:
            from .otlp import OtlpHttpSpanExporter

            OtlpHttpSpanExporter.for_settings(settings).send_spool(max_seconds=30.0)
        except Exception:
            _log.debug("sending the spool failed", exc_info=True)

    threading.Thread(target=send, name="neatlogs-spool", daemon=True).start()


class Spool:
    """A bounded folder of unsent OTLP request bodies, oldest first."""

    def __init__(self, folder: str, endpoint: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.endpoint = endpoint
        self.max_bytes = max_bytes
        self._seq = 0
        self._bytes: int | None = None  # running total; None until read from disk
        self._ready = False  # folder and endpoint.txt written
        self.evicted = 0
        """Spans this process dropped because the spool was full (also in dropped.log)."""

    # --- writing -------------------------------------------------------------------------
    def put(self, body: bytes, span_count: int) -> None:
        """Keep one request body; drop the oldest files (counted) if the spool is over its bound."""
        if not self._ready:
            os.makedirs(self.folder, exist_ok=True)
            with open(os.path.join(self.folder, "endpoint.txt"), "w") as f:
                f.write(self.endpoint + "\n")
            self._ready = True
        self._seq += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._seq}-{span_count}{_SUFFIX}"
        tmp = os.path.join(self.folder, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(body)
        os.replace(tmp, os.path.join(self.folder, name))
        # Listing the folder on every put would make a long outage quadratic: keep a running
        # total (other processes' files are counted whenever the folder is listed again).
        if self._bytes is None:
            self._bytes = sum(size for _, size in self._files())
        else:
            self._bytes += len(body)
        if self._bytes > self.max_bytes:
            self._enforce_bound()

    def _enforce_bound(self) -> None:
        files = self._files()
        total = sum(size for _, size in files)
        self._bytes = total
        for path, size in files:
            if total <= self.max_bytes:
                break
            try:
                os.remove(path)
            except FileNotFoundError:
                continue
            total -= size
            self._bytes = total
            self.evicted += span_count_of(path)
            self.count_dropped(span_count_of(path), "spool full")

    def count_dropped(self, span_count: int, reason: str) -> None:
        """Record that ``span_count`` spans were given up, and why."""
        if span_count <= 0:
            return
        os.makedirs(self.folder, exist_ok=True)
        with open(os.path.join(self.folder, "dropped.log"), "a") as f:
            f.write(f"{time.time():.0f} {span_count} {reason}\n")

    # --- reading -------------------------------------------------------------------------
    def _files(self) -> list[tuple[str, int]]:
        try:
            names = sorted(n for n in os.listdir(self.folder) if n.endswith(_SUFFIX) and not n.startswith("."))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            path = os.path.join(self.folder, name)
            try:
                out.append((path, os.path.getsize(path)))
            except FileNotFoundError:
                pass
        return out

    def pending(self) -> list[str]:
        """Paths of the files waiting to be sent, oldest first."""
        self._release_stale_claims()
        return [path for path, _ in self._files()]

    def pending_spans(self) -> int:
        """How many spans the spool holds."""
        return sum(span_count_of(p) for p in self.pending())

    def claim(self, path: str) -> str | None:
        """Take ``path`` for sending; returns the claimed path, or None if another sender has it."""
        claimed = os.path.join(self.folder, f".{os.path.basename(path)}.sending-{os.getpid()}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def release(self, claimed: str, sent: bool) -> None:
        """Finish a claim: delete the file when sent, else put it back for a later try."""
        try:
            if sent:
                os.remove(claimed)
            else:
                original = os.path.basename(claimed)[1:].rsplit(".sending-", 1)[0]
                os.rename(claimed, os.path.join(self.folder, original))
        except FileNotFoundError:
            pass

    def _release_stale_claims(self) -> None:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        now = time.time()
        for name in names:
            if ".sending-" not in name:
                continue
            path = os.path.join(self.folder, name)
            try:
                if now - os.path.getmtime(path) > _CLAIM_STALE_SECONDS:
                    self.release(path, sent=False)
            except FileNotFoundError:
                pass

    def dropped_total(self) -> int:
        """Spans ever dropped from this spool (full spool, rejected by the endpoint)."""
        try:
            with open(os.path.join(self.folder, "dropped.log")) as f:
                return sum(int(line.split()[1]) for line in f if line.strip())
        except (FileNotFoundError, ValueError, IndexError):
            return 0


def span_count_of(path: str) -> int:
    """The span count a spool file's name records."""
    name = os.path.basename(path)
    try:
        return int(name.split(_SUFFIX)[0].rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0

"""The on-disk spool: OTLP request bodies that could not be sent yet, kept for later.

One folder per endpoint under ``$NEATLOGS_HOME/spool``. Each file holds one ready-to-send
request body (gzipped OTLP protobuf); its name carries the time, the writer's pid and the
span count. The spool is bounded in bytes: when full, the oldest files go first and every
span dropped that way is counted in ``dropped.log``, so a drop is never silent. Several
processes may share a spool: a sender claims a file by locking it (``flock``) and renaming
it; the lock lives as long as the claimant, so a claim whose lock can be taken belongs to a
dead sender and is put back, whatever its age, and a live sender's claim never is.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

from .._files import private_file, private_folder, write_private

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: a claim is then never taken back (no duplicates)
    fcntl = None  # type: ignore[assignment]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["DEFAULT_MAX_BYTES", "Spool", "send_in_background", "spool_folder", "stop_background"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Bound on the bytes one endpoint's spool may hold."""

_SUFFIX = ".otlp.gz"
_CLAIMED = ".sending-"  # a claimed file: ".<name>.sending-<pid>"

_stop_sending = threading.Event()  # set at exit: the background sender stops between two files
_background: list[threading.Thread] = []


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

    def send() -> None:
        from .. import _log

        try:
            from .otlp import OtlpHttpSpanExporter

            OtlpHttpSpanExporter.for_settings(settings).send_spool(max_seconds=30.0, stop=_stop_sending)
        except Exception:
            _log.debug("sending the spool failed", exc_info=True)

    _stop_sending.clear()
    thread = threading.Thread(target=send, name="neatlogs-spool", daemon=True)
    _background.append(thread)
    thread.start()


def stop_background(timeout: float) -> None:
    """At exit: let the background sender finish the file it is sending (at most ``timeout`` s), then stop.

    A file whose request was answered but not yet removed when the process dies would be
    sent again by the next sender: waiting for the one in flight keeps delivery exactly once.
    """
    _stop_sending.set()
    deadline = time.monotonic() + timeout
    for thread in list(_background):
        thread.join(max(0.0, deadline - time.monotonic()))
    _background[:] = [t for t in _background if t.is_alive()]


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
        self._lock = threading.Lock()  # put() runs on the export worker and the overflow spiller
        self._claims: dict[str, int] = {}  # claimed path -> the locked descriptor that makes it ours
        self._written: dict[str, int] = {}  # this process's files -> their span counts
        self.evicted_own = 0
        """Of ``evicted``, spans this process had spooled itself."""

    # --- writing -------------------------------------------------------------------------
    def put(self, body: bytes, span_count: int) -> str | None:
        """Keep one request body; drop the oldest other files (counted) if the spool is over its bound.

        Returns the file's path. A body larger than the whole bound is refused (None,
        counted in dropped.log): it would only evict everything else and then itself.
        """
        if len(body) > self.max_bytes:
            self.count_dropped(span_count, "one request body is larger than the spool's bound")
            return None
        with self._lock:
            return self._put(body, span_count)

    def remove(self, path: str) -> bool:
        """Take back a file this process put (its request was answered after all); False if a sender has it."""
        try:
            size = os.path.getsize(path)
            os.remove(path)
        except FileNotFoundError:
            return False
        with self._lock:
            self._written.pop(os.path.basename(path), None)
            if self._bytes is not None:
                self._bytes -= size
        return True

    def _put(self, body: bytes, span_count: int) -> str:
        if not self._ready:
            private_folder(self.folder)  # prompts and replies: readable by their owner only
            write_private(os.path.join(self.folder, "endpoint.txt"), (self.endpoint + "\n").encode())
            self._ready = True
        self._seq += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._seq}-{span_count}{_SUFFIX}"
        path = os.path.join(self.folder, name)
        write_private(path, body)
        self._written[name] = span_count
        # Listing the folder on every put would make a long outage quadratic: keep a running
        # total (other processes' files are counted whenever the folder is listed again).
        if self._bytes is None:
            self._bytes = sum(size for _, size in self._files())
        else:
            self._bytes += len(body)
        if self._bytes > self.max_bytes:
            self._enforce_bound(keep=path)
        return path

    def _enforce_bound(self, keep: str) -> None:
        files = self._files()
        total = sum(size for _, size in files)
        self._bytes = total
        for path, size in files:
            if total <= self.max_bytes:
                break
            if path == keep:
                continue  # the body just written never evicts itself
            try:
                os.remove(path)
            except FileNotFoundError:
                continue
            total -= size
            self._bytes = total
            self.evicted += span_count_of(path)
            self.evicted_own += self._written.pop(os.path.basename(path), 0)
            self.count_dropped(span_count_of(path), "spool full")

    def count_dropped(self, span_count: int, reason: str) -> None:
        """Record that ``span_count`` spans were given up, and why."""
        if span_count <= 0:
            return
        private_folder(self.folder)
        log = os.path.join(self.folder, "dropped.log")
        private_file(log)
        with open(log, "a") as f:
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
        """Take ``path`` for sending; returns the claimed path, or None if another sender has it.

        The claim is an exclusive ``flock`` held until ``release``: it dies with this process,
        so only a dead sender's claims are ever taken back (``pending`` does that).
        """
        fd = _open_locked(path)
        if fd is None:
            return None
        claimed = os.path.join(self.folder, f".{os.path.basename(path)}{_CLAIMED}{os.getpid()}")
        try:
            os.rename(path, claimed)
        except OSError:
            os.close(fd)
            return None
        self._claims[claimed] = fd
        return claimed

    def release(self, claimed: str, sent: bool) -> None:
        """Finish a claim: delete the file when sent, else put it back for a later try."""
        try:
            if sent:
                os.remove(claimed)
            else:
                os.rename(claimed, os.path.join(self.folder, _original_name(claimed)))
        except FileNotFoundError:
            pass
        finally:
            fd = self._claims.pop(claimed, None)
            if fd is not None:
                os.close(fd)  # only now: the lock covers the remove or the rename back

    def _release_stale_claims(self) -> None:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in names:
            if _CLAIMED not in name or not name.startswith("."):
                continue
            path = os.path.join(self.folder, name)
            if path in self._claims:
                continue  # ours, in flight
            fd = _open_locked(path)
            if fd is None:
                continue  # its claimant is alive
            try:
                os.rename(path, os.path.join(self.folder, _original_name(path)))
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)

    def own_pending_spans(self) -> int:
        """Spans this process spooled that are still in the spool (not sent since, nor evicted)."""
        if not self._written:
            return 0
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return 0
        present = {_original_name(n) if n.startswith(".") and _CLAIMED in n else n for n in names}
        return sum(count for name, count in self._written.items() if name in present)

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


def _original_name(claimed: str) -> str:
    return os.path.basename(claimed)[1:].rsplit(_CLAIMED, 1)[0]


def _open_locked(path: str) -> int | None:
    """Open ``path`` holding an exclusive lock, if no live process holds one and it is still there.

    Returns the descriptor (closing it releases the lock), or None. The lock is taken on
    the open file and checked against the path afterwards: a sender that finished with the
    file (removed or renamed it) between our open and our lock leaves us a stale inode.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
        elif _CLAIMED in path:  # pragma: no cover - no flock (Windows): never take another's claim
            os.close(fd)
            return None
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            os.close(fd)
            return None
    except OSError:
        os.close(fd)
        return None
    return fd


"""Flushing on the ways out that ``atexit`` misses: SIGTERM/SIGHUP, and forked children.

- SIGTERM and SIGHUP kill a Python program without running ``atexit``. Where the program
  left such a signal at its default action, a handler flushes (bounded to a few seconds),
  then puts the default back and sends the signal again, so the process ends exactly as it
  would have: killed by that signal (exit status 128+N in a shell). Ctrl-C needs no handler:
  Python's default one raises KeyboardInterrupt, and ``atexit`` flushes on the way out; then
  ``keep_interrupt_exit_status`` makes sure the process still dies by SIGINT.
- After ``fork`` the child gets its own exporter: OpenTelemetry's batch processor restarts
  its worker in the child, and the HTTP connection pool of the parent must not be shared.
- A ``multiprocessing`` child made by fork ends with ``os._exit`` (no ``atexit``), so a
  multiprocessing finalizer flushes it.
"""

from __future__ import annotations

import os

from . import _log, tracing

__all__ = ["FLUSH_BOUND_SECONDS", "install", "keep_interrupt_exit_status", "shutdown_bounded"]

FLUSH_BOUND_SECONDS = 2.7
"""How long a signal or a child's exit lets the export queue hand spans over (3 s in all, with the rest)."""

FLUSHED_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals whose default action kills the process without running ``atexit``."""

_installed = False


class _Anchor:
    """A weak-referenceable object that ``multiprocessing.util.register_after_fork`` needs."""


_anchor = _Anchor()


def install() -> None:
    """Install the signal handlers (main thread only, where the defaults are in place) and fork hooks; once."""
    global _installed
    if _installed:
        return
    _installed = True
    _install_signal_handlers()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    from ._import_hooks import when_imported

    when_imported("multiprocessing.util", _hook_multiprocessing)


def _signal_module():
    # The C module: `signal` itself imports enum, a few milliseconds of every traced start-up.
    try:
        import _signal  # CPython's C module (no stub: ignore_missing_imports covers it)
    except ImportError:  # pragma: no cover - an interpreter without the C module
        import signal as _signal
    return _signal


def _install_signal_handlers() -> None:
    signal = _signal_module()
    for name in FLUSHED_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            if signal.getsignal(signum) == signal.SIG_DFL:
                signal.signal(signum, _on_signal)
        except (ValueError, OSError):
            # Not the main thread (signal.signal refuses there): the program keeps the default.
            _log.debug("cannot install a %s handler here; spans are flushed at exit only", name)


def shutdown_bounded(seconds: float = FLUSH_BOUND_SECONDS) -> None:
    """Shut tracing down (export, spool what is left) in a helper thread; wait at most ``seconds``.

    The process is ending, so what cannot be sent in time goes to the spool. A signal
    handler runs between two bytecodes of the main thread, which may hold a lock the
    shutdown needs; waiting in another thread keeps that from hanging the process.
    """
    import threading

    worker = threading.Thread(target=tracing.shutdown, args=(int(seconds * 1000),), name="neatlogs-shutdown",
                              daemon=True)
    worker.start()
    worker.join(seconds + 0.25)


def _on_signal(signum: int, frame: object) -> None:
    signal = _signal_module()
    try:
        signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
        shutdown_bounded()
    except Exception:  # the process is ending by this signal whatever happened here
        _log.debug("flushing on signal %d failed", signum, exc_info=True)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # only reached if the signal is blocked in this thread


def keep_interrupt_exit_status() -> None:
    """Call at exit after an unhandled KeyboardInterrupt, once our own work is done.

    CPython ends such a program by SIGINT (exit status 130) only while its "unhandled
    KeyboardInterrupt" flag is set, and any ``exec``/``eval`` of source text at exit (a
    namedtuple made by a lazy import in the flush, say) clears it: the program would then
    exit with status 1. Evaluating a source that raises KeyboardInterrupt sets it again.
    """
    try:
        exec("raise KeyboardInterrupt")
    except KeyboardInterrupt:
        pass


def _after_fork_in_child() -> None:
    # The parent's exporter and its connections stay the parent's; the child builds its own.
    tracing.runtime.after_fork_in_child()


def _hook_multiprocessing(util: object) -> None:
    # Runs in every multiprocessing child just before its target, after the child has
    # cleared the finalizers it inherited.
    util.register_after_fork(_anchor, _in_multiprocessing_child)  # type: ignore[attr-defined]


def _in_multiprocessing_child(_anchor: object) -> None:
    try:
        from multiprocessing import util

        util.Finalize(None, shutdown_bounded, exitpriority=-100)  # after the program's own finalizers
    except Exception:
        _log.debug("cannot register the multiprocessing exit flush", exc_info=True)

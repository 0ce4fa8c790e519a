"""neatlogs' own logger, imported lazily so ``import neatlogs`` does not pay for logging."""

from __future__ import annotations

import sys

__all__ = ["debug", "enable_debug", "internal_error", "raise_internal_errors", "warning"]

_logger = None

raise_internal_errors = False
"""Set by neatlogs' own test suite: :func:`internal_error` then re-raises, so a bug fails a test."""


def _get():
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("neatlogs")
    return _logger


def debug(message: str, *args: object, exc_info: bool = False) -> None:
    """Log ``message`` at debug level; never raises."""
    if _logger is None and "logging" not in sys.modules:
        return  # nobody can have configured a handler yet: skip importing logging
    try:
        _get().debug(message, *args, exc_info=exc_info)
    except Exception:
        return  # a broken logging setup of the program's: nowhere left to report to


def warning(message: str) -> None:
    """Print one ``neatlogs:`` line on stderr; never raises."""
    try:
        print(f"neatlogs: {message}", file=sys.stderr)
    except Exception:
        return  # stderr closed or broken: nowhere left to report to


def internal_error(message: str, *args: object) -> None:
    """Record a failure of neatlogs' own code that was caught so the host program goes on.

    Call it inside the ``except`` block: it logs ``message`` at debug level with the
    traceback. Under neatlogs' own test suite (:data:`raise_internal_errors`) it re-raises the
    exception instead, so a bug in an extractor fails a test rather than leaving an attribute
    quietly missing. Failures of the world (a full disk, a dead endpoint, a user's mask) are
    not internal errors: they are logged with :func:`debug`.
    """
    error = sys.exc_info()[1]
    if raise_internal_errors and error is not None:
        raise error
    debug(message, *args, exc_info=True)


def enable_debug() -> None:
    """Send neatlogs' debug log to stderr (``debug=True`` / ``NEATLOGS_DEBUG``)."""
    import logging

    logger = _get()
    if not any(getattr(h, "_neatlogs", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("neatlogs debug: %(message)s"))
        handler._neatlogs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

"""neatlogs' own logger, imported lazily so ``import neatlogs`` does not pay for logging."""

from __future__ import annotations

import sys

__all__ = ["debug", "enable_debug", "warning"]

_logger = None


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
        pass


def warning(message: str) -> None:
    """Print one ``neatlogs:`` line on stderr; never raises."""
    try:
        print(f"neatlogs: {message}", file=sys.stderr)
    except Exception:
        pass


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

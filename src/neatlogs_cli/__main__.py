"""Entry point of the ``neatlogs`` console script and of ``python -m neatlogs_cli``.

``neatlogs run`` is handled here before typer is imported: its start-up time is added to
every program it runs, and typer with rich costs more than the whole budget. Every other
command goes to the typer app in ``app.py``.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Run the ``neatlogs`` command with ``sys.argv``."""
    argv = sys.argv[1:]
    if argv and argv[0] == "run":
        from .run import main as run_main

        sys.exit(run_main(argv[1:]))
    from .app import main as app_main

    app_main()


if __name__ == "__main__":
    main()

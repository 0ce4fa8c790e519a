"""The local collector and dashboard served by ``neatlogs ui`` (``app.create_app``).

Kept import-free so the terminal views can use :mod:`.timeline` without loading Starlette.
"""

__all__: list[str] = []

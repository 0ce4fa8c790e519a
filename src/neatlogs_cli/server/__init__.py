"""The local collector and dashboard served by ``neatlogs ui`` (``app.create_app``)."""

__all__: list[str] = []

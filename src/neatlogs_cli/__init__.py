"""The ``neatlogs`` command. It may import the SDK; the SDK never imports it."""

__all__: list[str] = []

"""Under ``neatlogs run``, an MCP server the program starts over stdio is traced too, in the run's session.

The mcp client starts a stdio server with only a short list of the client's environment
variables (``HOME``, ``PATH``, ``USER``, ...: ``mcp.client.stdio.get_default_environment``,
merged under the ``env`` the program gives), so the bootstrap folder ``neatlogs run`` put
on ``PYTHONPATH`` and the run's ``NEATLOGS_*`` settings (its session id, store or endpoint)
never reached a Python server: it ran untraced, and its spans could not join the client's
trace or session. Inside a run, this adds them to that default environment:

- ``PYTHONPATH``: only the bootstrap folder (``sitecustomize_template``), none of the
  client's other entries, so a Python server starts traced as every other child of the run;
- every ``NEATLOGS_*`` variable, the API key among them: the server records where the
  client does, with the same session id.

The ``env`` the program passes still wins, key by key (the mcp client merges it over the
default). Outside a run (no bootstrap), the default environment is left as mcp builds it.
With the server traced, mcp's own trace propagation (``params._meta.traceparent``) puts its
spans beneath the client's ``tools/call`` span.
"""

from __future__ import annotations

import functools
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log

__all__ = ["BOOTSTRAP_FOLDER_NAME", "instrument_stdio_module", "run_environment"]

BOOTSTRAP_FOLDER_NAME = "sitecustomize_template"
"""The name of the folder ``neatlogs run`` puts first on ``PYTHONPATH`` (in the wheel and the checkout)."""

_SETTINGS_PREFIX = "NEATLOGS_"


def _bootstrap_entries(python_path: str) -> list[str]:
    """The entries of ``python_path`` that are neatlogs' bootstrap folder."""
    return [
        entry for entry in python_path.split(os.pathsep)
        if entry and os.path.basename(os.path.normpath(entry)) == BOOTSTRAP_FOLDER_NAME
        and os.path.isfile(os.path.join(entry, "sitecustomize.py"))
    ]


def run_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """What a child started with a short environment needs to be traced as part of this run.

    Empty outside ``neatlogs run`` (this interpreter was not started by its bootstrap).
    """
    if not getattr(sys, "_neatlogs_bootstrapped", False):
        return {}
    environ = dict(os.environ) if environ is None else environ
    bootstrap = _bootstrap_entries(environ.get("PYTHONPATH", ""))
    if not bootstrap:
        return {}  # the program took the bootstrap off PYTHONPATH: its children are not ours to trace
    added = {key: value for key, value in environ.items() if key.startswith(_SETTINGS_PREFIX)}
    added["PYTHONPATH"] = bootstrap[0]
    return added


def _wrap_default_environment(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_default_environment(*args: Any, **kwargs: Any) -> Any:
        environment = original(*args, **kwargs)
        try:
            added = run_environment()
            if added and isinstance(environment, dict):
                return {**environment, **added}
        except Exception:
            _log.internal_error("adding the run's settings to an MCP server's environment failed")
        return environment

    return get_default_environment


def instrument_stdio_module(stdio_module: Any) -> None:
    """Patch ``mcp.client.stdio.get_default_environment``, which ``stdio_client`` calls for each server."""
    from .._llm.patching import patch_method

    if not callable(getattr(stdio_module, "get_default_environment", None)):
        _log.debug("mcp.client.stdio has no get_default_environment: servers keep the client's short list")
        return
    patch_method(stdio_module, "get_default_environment", None, False,  # type: ignore[arg-type]
                 _wrap_default_environment)

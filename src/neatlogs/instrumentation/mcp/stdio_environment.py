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
default), with one exception: when it sets its own ``PYTHONPATH`` (which would replace ours
and leave the server untraced), the bootstrap folder is put first on it, the program's
entries kept after it in their order. Outside a run (no bootstrap), the environment is left
as mcp builds it.
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

__all__ = ["BOOTSTRAP_FOLDER_NAME", "instrument_stdio_module", "run_environment", "with_bootstrap_first"]

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


def with_bootstrap_first(env: dict[str, str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (a server's whole environment) with the run's bootstrap folder first on its ``PYTHONPATH``.

    ``env`` as it is outside a run, or when its ``PYTHONPATH`` already holds the bootstrap;
    otherwise a copy whose ``PYTHONPATH`` is the bootstrap folder followed by the entries
    ``env`` had (none when it had no ``PYTHONPATH``).
    """
    bootstrap = run_environment(environ).get("PYTHONPATH")
    own = env.get("PYTHONPATH") or ""
    if not bootstrap or _bootstrap_entries(own):
        return env
    return {**env, "PYTHONPATH": os.pathsep.join([bootstrap, own]) if own else bootstrap}


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


def _wrap_process_start(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    async def start_process(*args: Any, **kwargs: Any) -> Any:
        try:
            if isinstance(kwargs.get("env"), dict):
                kwargs["env"] = with_bootstrap_first(kwargs["env"])
            elif len(args) > 2 and isinstance(args[2], dict):  # (command, args, env, errlog, cwd)
                args = (*args[:2], with_bootstrap_first(args[2]), *args[3:])
        except Exception:
            _log.internal_error("putting the bootstrap on an MCP server's own PYTHONPATH failed")
        return await original(*args, **kwargs)

    return start_process


def instrument_stdio_module(stdio_module: Any) -> None:
    """Patch what ``stdio_client`` calls for each server: ``get_default_environment`` and the process start.

    The program's ``env`` is merged over the default environment inside ``stdio_client``, so
    only the function that starts the process sees the whole environment, the program's own
    ``PYTHONPATH`` included: the private ``_create_platform_compatible_process(command, args,
    env, errlog, cwd)``, looked up as a module global on each call (mcp 1.x, link below; mcp
    2.x keeps it in ``mcp/client/stdio.py``). Without it, a server given its own
    ``PYTHONPATH`` starts untraced, as before.
    """
    # https://github.com/modelcontextprotocol/python-sdk/blob/03b526616549241684e5e1d6ae90d3aad0677278/src/mcp/client/stdio/__init__.py  # noqa: E501
    from .._llm.patching import patch_method

    if callable(getattr(stdio_module, "get_default_environment", None)):
        patch_method(stdio_module, "get_default_environment", None, False,  # type: ignore[arg-type]
                     _wrap_default_environment)
    else:
        _log.debug("mcp.client.stdio has no get_default_environment: servers keep the client's short list")
    if callable(getattr(stdio_module, "_create_platform_compatible_process", None)):
        patch_method(stdio_module, "_create_platform_compatible_process", None, True,  # type: ignore[arg-type]
                     _wrap_process_start)
    else:
        _log.debug("mcp.client.stdio has no _create_platform_compatible_process: "
                   "a server's own PYTHONPATH is left without the bootstrap")

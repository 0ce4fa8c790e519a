"""The neatlogs bootstrap: traces an unmodified Python program started by ``neatlogs run``.

``neatlogs run`` puts this file's folder first on PYTHONPATH, so Python's ``site`` module
imports it at start-up, before the program. It then:

1. takes its own folder back off ``sys.path`` (the program must not see it);
2. calls ``neatlogs.init(auto_session=True)`` with settings from the environment and the
   config file (every supported library instrumented unless some were chosen); the
   program may call ``neatlogs.init(...)`` itself later and its arguments take over;
3. finds the next ``sitecustomize`` on the path (a venv's, a distro's, the user's own) and
   runs it, once, as Python would have without us;
4. at exit, when stderr is a terminal, tells in one line where to see the session.

It runs once per interpreter and never raises into the program: when ``neatlogs`` cannot be
imported (another interpreter or venv) or ``init`` fails, one line on stderr says so (the
reason too with ``NEATLOGS_DEBUG``) and the program runs untraced. It must stay cheap: it
imports neither OpenTelemetry nor the instrumented libraries. Written for any Python 3, as
it is also loaded by interpreters neatlogs does not support.
"""

import os
import sys

__all__ = []

_TRUE = ("1", "true", "yes", "on")


def _debug_on():
    return os.environ.get("NEATLOGS_DEBUG", "").strip().lower() in _TRUE


def _warn(message, reason=None):
    try:
        if reason and _debug_on():
            message = message + " (" + reason + ")"
        sys.stderr.write("neatlogs: " + message + "\n")
        sys.stderr.flush()
    except Exception:
        return  # stderr closed or broken: nowhere left to say it


def _same_folder(entry, folder):
    try:
        return os.path.normcase(os.path.abspath(entry or os.curdir)) == folder
    except Exception:
        return False


def _remove_folder(folder):
    sys.path[:] = [entry for entry in sys.path if not _same_folder(entry, folder)]


def _start_tracing():
    """Call ``neatlogs.init``; return the CLI's defaults module when tracing started, else None."""
    try:
        import neatlogs

        # Same distribution as neatlogs; a module of constants, importing nothing.
        from neatlogs_cli import defaults
    except Exception as exc:
        _warn(
            "not tracing this program: neatlogs is not installed for %s (Python %d.%d); "
            "install it there, or run the program with the Python that has it" % (
                sys.executable, sys.version_info[0], sys.version_info[1]),
            "%s: %s" % (type(exc).__name__, exc),
        )
        return None
    try:
        # Settings from the environment and the config file; instrumentations unset there
        # means every supported library, each patched only if the program imports it.
        neatlogs.init(auto_session=True)
    except Exception as exc:
        # ConfigError messages are one line that already starts with "neatlogs: ".
        text = str(exc)
        prefix = "neatlogs: "
        if text.startswith(prefix):
            text = text[len(prefix):]
        _warn("not tracing this program: " + (text or type(exc).__name__), None)
        return None
    return defaults


def _run_next_sitecustomize():
    """Import the ``sitecustomize`` that ours shadowed, once; report its errors as site.py would."""
    ours = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401 - the next one on the path, now that our folder is off it
    except ImportError as exc:
        if getattr(exc, "name", None) != "sitecustomize":
            _report_site_error(exc)
        elif ours is not None:
            sys.modules["sitecustomize"] = ours  # there is no other one: keep ours as the module
    except Exception as exc:
        _report_site_error(exc)


def _report_site_error(exc):
    # What site.py prints for a failing sitecustomize; the program goes on, as it would.
    if sys.flags.verbose:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    else:
        sys.stderr.write(
            "Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (type(exc).__name__, exc))


def _no_llm_calls_line():
    """The exit line of a run that traced no model call, naming what was instrumented; None otherwise."""
    call = sys.modules.get("neatlogs.instrumentation._llm.call")
    if call is not None and getattr(call, "calls_started", 0):
        return None
    registry = sys.modules.get("neatlogs.instrumentation")
    if registry is None:
        return None
    # An imported framework whose adopted instrumentor's extra is missing is not instrumented.
    inactive = getattr(registry, "inactive", ())
    loaded = [name for name, (library, _) in sorted(registry.REGISTRY.items()) if library in sys.modules]
    imported = [name for name in loaded if name not in inactive]
    untraced = [name for name in loaded if name in inactive]
    if untraced:
        return "no LLM calls were traced (instrumented: %s; imported but not traced: %s)" % (
            ", ".join(imported) or "none", ", ".join(untraced))
    if imported:
        return "no LLM calls were traced (instrumented: %s)" % ", ".join(imported)
    return "no LLM calls were traced: the program imported none of %s" % ", ".join(sorted(registry.REGISTRY))


def _program_endpoint_line(settings, session_id, spooled=0):
    """When the program's own ``init(endpoint=...)`` sent the spans away: where, and how to keep them."""
    if settings is None or settings.disabled or not settings.endpoint:
        return None
    if settings.sources.get("endpoint") != "argument":
        return None
    if spooled:
        return ("session %s is for %s, the endpoint the program passes to init(), which did not take it "
                "(see above); `neatlogs run --local` keeps a run in the local store" % (session_id, settings.endpoint))
    return ("session %s went to %s, the endpoint the program passes to init(); "
            "`neatlogs run --local` keeps it in the local store" % (session_id, settings.endpoint))


def _session_hint():
    """At exit: where the program's own endpoint sent the session; on a terminal, where to see it."""
    try:
        if "opentelemetry.sdk.trace" in sys.modules:
            from neatlogs import tracing

            settings = tracing.settings()
            session_id = os.environ.get("NEATLOGS_SESSION_ID") or (settings and settings.session_id)
            if _program_endpoint_line(settings, session_id):
                # Flush first (the same bounded shutdown as at exit; the later one is a no-op),
                # so the line can tell whether the endpoint took the session.
                router = tracing.runtime.router  # shutdown lets go of it
                tracing.shutdown(timeout_millis=tracing.EXIT_BUDGET_MILLIS)
                spooled = getattr(router, "spooled", 0) if router is not None else 0
                redirected = _program_endpoint_line(settings, session_id, spooled)
                sys.stderr.write("neatlogs: " + redirected + "\n")
                sys.stderr.flush()
                return
        if not sys.stderr.isatty():
            return
        quiet = _no_llm_calls_line()
        if quiet:
            sys.stderr.write("neatlogs: " + quiet + "\n")
            sys.stderr.flush()
        if "opentelemetry.sdk.trace" not in sys.modules:
            return
        from neatlogs import tracing

        settings = tracing.settings()
        session_id = os.environ.get("NEATLOGS_SESSION_ID") or (settings and settings.session_id)
        if settings is None or settings.disabled or not session_id:
            return
        # atexit runs this before neatlogs' own exit flush: flush first (the same bounded
        # shutdown; the later one is then a no-op), so the line tells what was recorded.
        tracing.shutdown(timeout_millis=tracing.EXIT_BUDGET_MILLIS)
        endpoint = settings.endpoint
        unrecorded = tracing.unrecorded()
        if not endpoint and unrecorded:
            line = "session %s not fully recorded: %d spans are not in the store (see above)" % (
                session_id, unrecorded)
        elif not endpoint:
            line = "session %s recorded; see it with: neatlogs show %s" % (session_id, session_id)
        elif _is_loopback(endpoint):
            base = endpoint.rstrip("/")
            if base.endswith("/v1/traces"):
                base = base[: -len("/v1/traces")]
            line = "session %s: %s/sessions/%s" % (session_id, base, session_id)
        else:
            line = "session %s sent to %s" % (session_id, endpoint)
        sys.stderr.write("neatlogs: " + line + "\n")
        sys.stderr.flush()
    except Exception:
        return  # a hint at exit is not worth a traceback of ours


def _is_loopback(url):
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    else:
        host = host.split(":", 1)[0]
    return host in ("localhost", "::1") or host.startswith("127.")


def _bootstrap():
    if getattr(sys, "_neatlogs_bootstrapped", False):
        return
    sys._neatlogs_bootstrapped = True
    folder = os.path.normcase(os.path.dirname(os.path.abspath(__file__)))
    _remove_folder(folder)
    defaults = _start_tracing()
    if defaults is not None and os.environ.get(defaults.RUN_PID_ENV) == str(os.getpid()):
        import atexit

        atexit.register(_session_hint)
    _run_next_sitecustomize()


try:
    _bootstrap()
except Exception as _exc:  # never break the program
    _warn("bootstrap failed; the program runs untraced", "%s: %s" % (type(_exc).__name__, _exc))

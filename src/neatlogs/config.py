"""Settings: what each one is, where it may come from, and which source wins.

Precedence, highest first:

0. for the endpoint only: ``neatlogs run --endpoint URL`` or ``--local`` (``NEATLOGS_RUN_ENDPOINT``,
   set by ``neatlogs run``): the person running the command has the last word;
1. an argument given to ``neatlogs.init()`` (``None`` means "not given");
2. the ``NEATLOGS_*`` environment variable;
3. the standard ``OTEL_*`` variable, where one exists (endpoint, service name, disabled);
4. the config file: ``$NEATLOGS_CONFIG``, else ``neatlogs.toml`` in the current folder or
   the nearest parent, else ``[tool.neatlogs]`` in the nearest ``pyproject.toml``;
5. the default.

A bad value raises :class:`ConfigError`, whose one-line message names the setting and the
place it came from.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and collections cost milliseconds at import; annotations only
    from collections.abc import Mapping
    from typing import Any, Callable

__all__ = ["ConfigError", "LOCAL_VALUE_CHARS", "PARAMS", "Param", "RUN_ENDPOINT_ENV", "RUN_LOCAL", "Settings",
           "find_config_file", "load", "resolve_home"]

RUN_ENDPOINT_ENV = "NEATLOGS_RUN_ENDPOINT"
"""Set by ``neatlogs run --endpoint URL`` (the URL) or ``--local`` (:data:`RUN_LOCAL`); outranks ``init()``."""

RUN_LOCAL = "local"

LOCAL_VALUE_CHARS = 1_000_000
"""Longest captured value the local store keeps by default; over OTLP the default stays 32,000."""


class ConfigError(ValueError):
    """A setting had a value neatlogs cannot use; the message is one line naming it."""


class Param:
    """One setting: its name, environment variable, value type and default."""

    __slots__ = ("name", "env", "kind", "default", "otel_env", "secret", "doc", "alias_env")

    def __init__(
        self,
        name: str,
        env: str | None,
        kind: str,  # str, url, bool, list, dict, rate, path, callable, count, seconds, object
        default: Any,
        otel_env: str | None = None,
        secret: bool = False,
        doc: str = "",
        alias_env: str | None = None,
    ) -> None:
        self.name, self.env, self.kind, self.default = name, env, kind, default
        self.otel_env, self.secret, self.doc = otel_env, secret, doc
        self.alias_env = alias_env
        """An older name of the variable (the neatlogs SDK's), read after ``env``."""


PARAMS: tuple[Param, ...] = (
    Param("api_key", "NEATLOGS_API_KEY", "str", None, secret=True,
          doc="sent as the x-api-key header to the endpoint"),
    Param("endpoint", "NEATLOGS_ENDPOINT", "url", None, otel_env="OTEL_EXPORTER_OTLP_ENDPOINT",
          doc="OTLP/HTTP base URL; unset means the local SQLite store"),
    Param("headers", "NEATLOGS_HEADERS", "headers", None, otel_env="OTEL_EXPORTER_OTLP_HEADERS", secret=True,
          doc="more HTTP headers for the endpoint (Langfuse's Authorization, say): name=value pairs separated "
              "by commas, values URL-encoded, as in OTEL_EXPORTER_OTLP_HEADERS; a table in the config file"),
    Param("workflow_name", "NEATLOGS_WORKFLOW_NAME", "str", None, otel_env="OTEL_SERVICE_NAME",
          doc="service.name of every span; defaults to the script's name"),
    Param("instrumentations", "NEATLOGS_INSTRUMENTATIONS", "list", None,
          doc="libraries to instrument, e.g. openai,anthropic; unset: every supported library"),
    Param("auto_session", "NEATLOGS_AUTO_SESSION", "bool", False,
          doc="one session id for the whole process"),
    Param("session_id", "NEATLOGS_SESSION_ID", "str", None, doc="the process's session id"),
    Param("user_id", "NEATLOGS_USER_ID", "str", None, doc="user.id stamped on every span"),
    Param("tags", "NEATLOGS_TAGS", "list", (), doc="tag.tags stamped on every span"),
    Param("metadata", None, "dict", None, doc="metadata stamped on every span"),
    Param("capture_content", "NEATLOGS_CAPTURE_CONTENT", "bool", True,
          doc="record prompts, replies, inputs and outputs", alias_env="NEATLOGS_TRACE_CONTENT"),
    Param("mask", None, "callable", None, doc="function applied to every captured value"),
    Param("sample_rate", "NEATLOGS_SAMPLE_RATE", "rate", 1.0, doc="share of traces kept, 0 to 1"),
    Param("disabled", "NEATLOGS_DISABLED", "bool", False, otel_env="OTEL_SDK_DISABLED",
          doc="turn neatlogs off entirely"),
    Param("debug", "NEATLOGS_DEBUG", "bool", False, doc="log neatlogs' own activity"),
    Param("home", "NEATLOGS_HOME", "path", "~/.neatlogs",
          doc="folder of the local store; with no home folder: $XDG_STATE_HOME/neatlogs, else <temp>/neatlogs-<uid>"),
    Param("max_value_chars", "NEATLOGS_MAX_VALUE_CHARS", "count", None,
          doc="longest captured value kept, in characters; unset: 1,000,000 in the local store, 32,000 over OTLP"),
    # The wider neatlogs SDK surface (shared/NEATLOGS-SDK-API.md): programs written for it pass these.
    Param("batch_size", "NEATLOGS_BATCH_SIZE", "count", 512, doc="spans per export batch"),
    Param("flush_interval", "NEATLOGS_FLUSH_INTERVAL", "seconds", 0.5,
          doc="longest a finished span waits before its batch is exported, in seconds"),
    Param("max_queue_bytes", "NEATLOGS_MAX_QUEUE_BYTES", "count", 16 * 1024 * 1024,
          doc="memory bound of finished spans awaiting export, in bytes (estimated); beyond it they go to the spool"),
    Param("disable_export", "NEATLOGS_DISABLE_EXPORT", "bool", False,
          doc="make spans but export none (nothing stored, nothing sent)"),
    Param("capture_logs", "NEATLOGS_CAPTURE_LOGS", "bool", False, doc="record neatlogs.log() calls"),
    Param("log_level", "NEATLOGS_LOG_LEVEL", "str", "info", doc="lowest level of neatlogs.log() recorded"),
    Param("pii_enabled", None, "bool", False, doc="ask the backend to redact PII (a resource attribute)"),
    Param("pii_entities", None, "list", (), doc="PII entity types for the backend to redact"),
    Param("pii_span_types", None, "list", (), doc="span kinds the backend redacts PII in"),
    Param("tracer_provider", None, "object", None, doc="an OpenTelemetry TracerProvider to add neatlogs to"),
    Param("isolate", None, "bool", False,
          doc="keep neatlogs' spans apart: its own provider, not the global one"),
    Param("retention", "NEATLOGS_RETENTION", "str", None,
          doc="how long `neatlogs ui` keeps sessions, e.g. 30d (pruned at start and daily); the SDK ignores it"),
)
_BY_NAME = {p.name: p for p in PARAMS}
_FILE_KEYS = {p.name for p in PARAMS if p.kind not in ("callable", "object")}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings:
    """Resolved settings, one attribute per ``Param``, with ``sources[name]`` telling where each came from."""

    api_key: str | None
    endpoint: str | None
    headers: dict[str, str] | None
    workflow_name: str | None
    instrumentations: tuple[str, ...] | None
    auto_session: bool
    session_id: str | None
    user_id: str | None
    tags: tuple[str, ...]
    metadata: dict | None
    capture_content: bool
    mask: Callable[[Any], Any] | None
    sample_rate: float
    disabled: bool
    debug: bool
    home: str
    max_value_chars: int | None
    batch_size: int
    flush_interval: float
    max_queue_bytes: int
    disable_export: bool
    capture_logs: bool
    log_level: str
    pii_enabled: bool
    pii_entities: tuple[str, ...]
    pii_span_types: tuple[str, ...]
    tracer_provider: Any
    isolate: bool
    retention: str | None

    def __init__(self, config_file: str | None = None) -> None:
        for param in PARAMS:
            setattr(self, param.name, param.default)
        self.sources: dict[str, str] = {}
        self.config_file = config_file

    def __repr__(self) -> str:
        shown = {p.name: ("***" if p.secret and getattr(self, p.name) else getattr(self, p.name)) for p in PARAMS}
        return f"Settings({shown})"

    @property
    def store_path(self) -> str:
        """Path of the local SQLite store."""
        return os.path.join(resolve_home(self.home), "traces.db")

    @property
    def value_limit(self) -> int:
        """The longest captured value kept: the setting, else the default of where spans go."""
        if self.max_value_chars:
            return self.max_value_chars
        from .serialize import MAX_VALUE_CHARS

        return MAX_VALUE_CHARS if self.endpoint else LOCAL_VALUE_CHARS

    @property
    def service_name(self) -> str:
        """The workflow name, or the running script's name when none was set."""
        if self.workflow_name:
            return self.workflow_name
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        stem = os.path.splitext(script)[0]
        return stem if stem and stem not in {"-c", "-m", "-"} else "neatlogs"


def resolve_home(home: str, environ: Mapping[str, str] | None = None) -> str:
    """``home`` with ``~`` expanded; never a literal ``~`` folder.

    With no home folder to expand it to (``HOME`` unset and no passwd entry, as in a
    container run under an arbitrary uid), ``~`` stands for a per-user fallback:
    ``$XDG_STATE_HOME/neatlogs`` when that is set, else ``<temp dir>/neatlogs-<uid>``.
    """
    expanded = os.path.expanduser(home)
    if not expanded.startswith("~"):
        return expanded
    environ = os.environ if environ is None else environ
    state = environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):
        fallback = os.path.join(state, "neatlogs")
    else:
        import tempfile

        uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
        fallback = os.path.join(tempfile.gettempdir(), f"neatlogs-{uid}")
    try:  # a fallback in the shared temp folder must be this user's own, not a folder planted by another
        info = os.lstat(fallback)
        if os.path.islink(fallback) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            fallback = f"{fallback}-{os.getpid()}"
    except OSError:
        pass  # not made yet: it is made 0700 by the first writer
    rest = expanded[1:].lstrip("/\\")
    if rest == ".neatlogs" or rest.startswith((".neatlogs/", ".neatlogs\\")):  # the default: the fallback is ours
        rest = rest[len(".neatlogs"):].lstrip("/\\")
    return os.path.join(fallback, rest) if rest else fallback


def find_config_file(cwd: str, environ: Mapping[str, str]) -> tuple[str, bool] | None:
    """Return ``(path, is_pyproject)`` of the config file in effect, or None when there is none."""
    explicit = environ.get("NEATLOGS_CONFIG")
    if explicit:
        return explicit, os.path.basename(explicit) == "pyproject.toml"
    folder = os.path.abspath(cwd)
    pyproject: str | None = None
    while True:
        candidate = os.path.join(folder, "neatlogs.toml")
        if os.path.isfile(candidate):
            return candidate, False
        if pyproject is None and os.path.isfile(os.path.join(folder, "pyproject.toml")):
            pyproject = os.path.join(folder, "pyproject.toml")
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return (pyproject, True) if pyproject else None


def _read_config_file(path: str, is_pyproject: bool) -> dict[str, Any]:
    if is_pyproject:
        # Most pyproject files have no neatlogs table: skip the TOML parser's import then.
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if "tool.neatlogs" not in f.read():
                    return {}
        except OSError:
            pass
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"neatlogs: cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"neatlogs: config file {path} is not valid TOML: {exc}") from None
    if is_pyproject:
        section = data.get("tool", {}).get("neatlogs", {})
        if not isinstance(section, dict):
            raise ConfigError(f"neatlogs: [tool.neatlogs] in {path} must be a table")
        data = section
    for key in data:
        if key not in _FILE_KEYS:
            known = ", ".join(sorted(_FILE_KEYS))
            raise ConfigError(f"neatlogs: unknown setting {key!r} in {path} (known: {known})")
    return data


def _coerce(param: Param, value: Any, where: str) -> Any:
    """Turn ``value`` into the setting's type or raise a one-line ConfigError."""

    def bad(expected: str) -> ConfigError:
        shown = "***" if param.secret else repr(value)
        return ConfigError(f"neatlogs: {param.name} from {where} is {shown}: expected {expected}")

    kind = param.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad("true or false")
    if kind == "str":
        if isinstance(value, str):
            return value.strip() or None
        raise bad("a string")
    if kind == "path":
        if isinstance(value, (str, os.PathLike)):
            return os.fspath(value)
        raise bad("a folder path")
    if kind == "url":
        if not isinstance(value, str):
            raise bad("an http:// or https:// URL")
        url = value.strip()
        if not url:
            return None
        scheme, _, rest = url.partition("://")
        if scheme.lower() not in {"http", "https"} or not rest or rest.startswith("/"):
            raise bad("an http:// or https:// URL")
        return url
    if kind == "list":
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise bad("a list of strings")
    if kind == "dict":
        if isinstance(value, dict):
            return dict(value)
        raise bad("a table / dict")
    if kind == "headers":
        return _headers(value, bad)
    if kind == "rate":
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise bad("a number from 0 to 1") from None
        if isinstance(value, bool) or not 0.0 <= rate <= 1.0:
            raise bad("a number from 0 to 1")
        return rate
    if kind == "callable":
        if callable(value):
            return value
        raise bad("a function")
    if kind == "count":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise bad("a whole number above 0")
    if kind == "seconds":
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise bad("a number of seconds above 0") from None
        if isinstance(value, bool) or not seconds > 0:
            raise bad("a number of seconds above 0")
        return seconds
    if kind == "object":
        return value
    raise AssertionError(f"unknown setting kind {kind}")  # pragma: no cover


def _headers(value: Any, bad: Callable[[str], ConfigError]) -> dict[str, str] | None:
    """``name=value,name2=value2`` (the OTLP exporter variables' format, values URL-encoded), or a table."""
    expected = "name=value pairs separated by commas"
    if isinstance(value, dict):
        if all(isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in value.items()):
            return {k.strip(): v for k, v in value.items()} or None
        raise bad("a table of header names and string values")
    if not isinstance(value, str):
        raise bad(expected)
    from urllib.parse import unquote

    headers: dict[str, str] = {}
    for pair in value.split(","):
        if not pair.strip():
            continue
        name, equals, raw = pair.partition("=")
        if not equals or not name.strip():
            raise bad(expected)
        headers[unquote(name.strip())] = unquote(raw.strip())
    return headers or None


def load(
    arguments: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Settings:
    """Resolve every setting from arguments, environment, config file and defaults.

    Args:
        arguments: values given to ``init()``; a ``None`` value counts as not given.
        environ: the environment to read (``os.environ`` when omitted).
        cwd: the folder to start the config file search from (the current one when omitted).

    Raises:
        ConfigError: a value is of the wrong type, an unknown key is in the file, or the
            file cannot be read.
    """
    arguments = arguments or {}
    environ = os.environ if environ is None else environ
    for name in arguments:
        if name not in _BY_NAME:
            raise ConfigError(f"neatlogs: init() got an unknown setting {name!r}")
    found = find_config_file(cwd or os.getcwd(), environ)
    file_values = _read_config_file(*found) if found else {}
    settings = Settings(config_file=found[0] if found else None)
    for param in PARAMS:
        value, where = _pick(param, arguments, environ, file_values, found)
        if where != "default" and value is not None:
            value = _coerce(param, value, where)
        setattr(settings, param.name, value)
        settings.sources[param.name] = where
    # Resolved once, here: everything under the home (the store, its journal, the spool) uses it.
    settings.home = resolve_home(settings.home, environ)
    return settings


def _pick(
    param: Param,
    arguments: Mapping[str, Any],
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
    found: tuple[str, bool] | None,
) -> tuple[Any, str]:
    if param.name == "endpoint" and environ.get(RUN_ENDPOINT_ENV):
        given = environ[RUN_ENDPOINT_ENV]
        if given == RUN_LOCAL:
            return None, "neatlogs run --local"
        return given, "neatlogs run --endpoint"
    if arguments.get(param.name) is not None:
        return arguments[param.name], "argument"
    for env in (param.env, param.alias_env, param.otel_env):
        if env and environ.get(env, "") != "":
            return environ[env], f"environment {env}"
    if param.name in file_values:
        assert found is not None
        return file_values[param.name], f"config file {found[0]}"
    return param.default, "default"

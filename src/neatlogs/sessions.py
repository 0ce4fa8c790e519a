"""Session scope: which conversation the current code serves, and what a span started here is stamped with.

The process-wide session comes from ``init(auto_session=True)`` or ``session_id``; a
``session(...)`` block overrides it for the code inside, including threads started there.
``current_stamp()`` gives the attributes for the current scope (session, user, tags,
metadata, workflow), built once per session and user; ``processors.SessionSpanProcessor``
puts them on every span as it starts, whoever made the span.
"""

from __future__ import annotations

import contextvars
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from . import _log, semconv

__all__ = [
    "configure",
    "current_session_id",
    "current_stamp",
    "default_session_id",
    "enter_identity",
    "exit_identity",
    "identify",
    "new_session_id",
    "propagate_to_threads",
    "session",
]


class _Scope:
    __slots__ = ("session_id", "user_id", "user_metadata_json")

    def __init__(self, session_id: str | None, user_id: str | None, user_metadata_json: str | None = None) -> None:
        self.session_id = session_id
        self.user_id = user_id
        self.user_metadata_json = user_metadata_json


class _ProcessDefaults:
    """What ``init()`` set for the whole process; read on every span start."""

    session_id: str | None = None
    user_id: str | None = None
    tags: tuple[str, ...] = ()
    metadata_json: str | None = None
    workflow_name: str | None = None


_defaults = _ProcessDefaults()
_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("neatlogs_session", default=None)


def new_session_id() -> str:
    """Return a new random session id (a version-4 UUID string)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def configure(
    session_id: str | None,
    user_id: str | None,
    tags: tuple[str, ...],
    metadata_json: str | None,
    workflow_name: str | None,
) -> None:
    """Set the process-wide defaults stamped on spans outside any ``session()`` block."""
    _defaults.session_id = session_id
    _defaults.user_id = user_id
    _defaults.tags = tuple(tags)
    _defaults.metadata_json = metadata_json
    _defaults.workflow_name = workflow_name
    _stamps.clear()


def default_session_id() -> str | None:
    """The process-wide session id that ``init()`` set, whatever ``session()`` block is current."""
    return _defaults.session_id


def current_session_id() -> str | None:
    """Return the session id that spans started here would get, or None."""
    scope = _scope.get()
    return scope.session_id if scope is not None else _defaults.session_id


class session:
    """Scope a session: spans started inside (across ``await`` and new threads) get its id.

    Usable as ``with neatlogs.session("id"):`` or ``async with``; the previous session is
    restored on exit. With no id, a new one is made; ``.session_id`` tells which.
    """

    def __init__(self, session_id: str | None = None, user_id: str | None = None) -> None:
        self.session_id = str(session_id) if session_id is not None else new_session_id()
        self.user_id = user_id
        self._tokens: list[tuple[contextvars.Token, _Scope | None]] = []

    def __enter__(self) -> session:
        previous = _scope.get()
        user = self.user_id if self.user_id is not None else (previous.user_id if previous else None)
        token = _scope.set(_Scope(self.session_id, user, previous.user_metadata_json if previous else None))
        self._tokens.append((token, previous))
        return self

    def __exit__(self, *exc: object) -> None:
        token, previous = self._tokens.pop()
        try:
            _scope.reset(token)
        except ValueError:
            # Exited in another context (a generator resumed elsewhere): restore by value.
            _scope.set(previous)

    async def __aenter__(self) -> session:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


def enter_identity(session_id: str | None, user_id: str | None, user_metadata: Any = None) -> contextvars.Token:
    """Make spans started here carry this session and end user; only the fields given change.

    Returns the token :func:`exit_identity` takes back.
    """
    previous = _scope.get()
    metadata_json = None
    if user_metadata is not None:
        from ._content import current

        metadata_json = current().json_text(user_metadata)  # end-user metadata is captured content
    return _scope.set(_Scope(
        str(session_id) if session_id is not None else (previous.session_id if previous else _defaults.session_id),
        str(user_id) if user_id is not None else (previous.user_id if previous else None),
        metadata_json if metadata_json is not None else (previous.user_metadata_json if previous else None),
    ))


def exit_identity(token: contextvars.Token) -> None:
    """Restore what :func:`enter_identity` changed."""
    try:
        _scope.reset(token)
    except ValueError:  # reset in another context (a generator resumed elsewhere): leave that one be
        _scope.set(token.old_value if token.old_value is not token.MISSING else None)


class identify:
    """Scope an end user and a session, as the neatlogs SDK's ``identify()``: ``with neatlogs.identify(...):``.

    Traces started inside get that session and end user (``user.id``; the metadata as
    ``neatlogs.end_user.metadata``); nested blocks override only the fields they set. The same
    as :class:`session` with a user, for programs written for the neatlogs SDK.
    """

    def __init__(self, session_id: str | None = None, end_user_id: str | None = None,
                 end_user_metadata: Any = None) -> None:
        self.session_id = session_id
        self.end_user_id = end_user_id
        self.end_user_metadata = end_user_metadata
        self._tokens: list[contextvars.Token] = []

    def __enter__(self) -> identify:
        self._tokens.append(enter_identity(self.session_id, self.end_user_id, self.end_user_metadata))
        return self

    def __exit__(self, *exc: object) -> None:
        exit_identity(self._tokens.pop())

    async def __aenter__(self) -> identify:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


_stamps: dict[tuple[str | None, str | None, str | None], dict[str, Any]] = {}


def current_stamp() -> dict[str, Any]:
    """The attributes for a span started here, built once per session and user; do not modify it.

    Called on every span's thread at start: one contextvar read and one dict lookup.
    """
    scope = _scope.get()
    defaults = _defaults
    session_id = scope.session_id if scope is not None else defaults.session_id
    user_id = scope.user_id if scope is not None and scope.user_id else defaults.user_id
    user_metadata = scope.user_metadata_json if scope is not None else None
    stamp = _stamps.get((session_id, user_id, user_metadata))
    if stamp is not None:
        return stamp
    stamp = {}
    if session_id:
        stamp[semconv.SESSION_ID] = session_id
        stamp[semconv.GEN_AI_CONVERSATION_ID] = session_id
    if user_id:
        stamp[semconv.USER_ID] = user_id
    if defaults.tags:
        stamp[semconv.TAG_TAGS] = defaults.tags
    if defaults.metadata_json:
        stamp[semconv.METADATA] = defaults.metadata_json
    if defaults.workflow_name:
        stamp[semconv.NEATLOGS_WORKFLOW_NAME] = defaults.workflow_name
    if user_metadata:
        stamp[semconv.NEATLOGS_END_USER_METADATA] = user_metadata
    if len(_stamps) >= 1024:  # a server scoping a session per request: stay bounded
        _stamps.clear()
    _stamps[(session_id, user_id, user_metadata)] = stamp
    return stamp


# --- carrying the session into threads ------------------------------------------------
_threads_patched = False


def _carry(scope: _Scope | None, func: Any) -> Any:
    """Wrap ``func`` so it runs with ``scope`` as the current session."""

    def run_in_scope(*args: Any, **kwargs: Any) -> Any:
        token = _scope.set(scope)
        try:
            return func(*args, **kwargs)
        finally:
            _scope.reset(token)

    return run_in_scope


def propagate_to_threads() -> None:
    """Make threads and thread-pool tasks started in a ``session()`` block inherit it. Idempotent."""
    global _threads_patched
    if _threads_patched:
        return
    _threads_patched = True
    from ._import_hooks import when_imported

    # Hooked, not imported: a program that starts no thread never pays for threading.
    when_imported("threading", _patch_threads)
    when_imported("concurrent.futures.thread", _patch_thread_pool)


def _patch_threads(threading: Any) -> None:
    original_start = threading.Thread.start

    def start(self: Any) -> None:
        scope = _scope.get()
        if scope is not None:
            try:
                self.run = _carry(scope, self.run)
            except Exception:  # a Thread subclass whose run cannot be replaced: it runs outside the session
                _log.debug("cannot carry the session into thread %r", self, exc_info=True)
        original_start(self)

    threading.Thread.start = start


def _patch_thread_pool(module: Any) -> None:
    # Pool workers are long-lived: each task, not the worker thread, carries the
    # submitter's session (None included, so one task's session never leaks to the next).
    pool = module.ThreadPoolExecutor
    original_submit = pool.submit

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return original_submit(self, _carry(_scope.get(), fn), *args, **kwargs)

    pool.submit = submit

"""Prompt templates with ``{{name}}`` placeholders, and how they reach the spans.

A template passed to ``trace(..., prompt_template=..., user_prompt_template=...)`` is
recorded on that span; the variables are recorded when the template is compiled inside
the block; and ``processors.PromptTemplateSpanProcessor`` copies all of it onto every LLM
span started inside the block (``active_scope()``), and onto nothing outside it.
"""

from __future__ import annotations

import contextvars

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ._content import ContentPolicy

from . import _log, semconv

__all__ = [
    "PromptTemplate",
    "SystemPromptTemplate",
    "UserPromptTemplate",
    "active_scope",
]

_pattern = None


def _placeholder():
    global _pattern
    if _pattern is None:
        import re

        _pattern = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
    return _pattern


class _Template:
    """A string or a list of message dicts whose text holds ``{{name}}`` placeholders."""

    _keys: tuple[str, str, str]  # template, variables, version attribute keys

    def __init__(self, messages_or_str: str | list[dict[str, Any]], version: str | None = None) -> None:
        if isinstance(messages_or_str, str):
            self.template: str | list[dict[str, Any]] = messages_or_str
        elif isinstance(messages_or_str, (list, tuple)) and all(
            isinstance(m, dict) for m in messages_or_str
        ):
            self.template = [dict(m) for m in messages_or_str]
        else:
            raise TypeError(f"{type(self).__name__} takes a string or a list of message dicts")
        self.version = None if version is None else str(version)

    @property
    def variables(self) -> list[str]:
        """The placeholder names, in order of first appearance."""
        names: list[str] = []
        for text in self._texts():
            for name in _placeholder().findall(text):
                if name not in names:
                    names.append(name)
        return names

    def _texts(self) -> list[str]:
        if isinstance(self.template, str):
            return [self.template]
        texts = []
        for message in self.template:
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        return texts

    def _fill(self, text: str, variables: dict[str, Any]) -> str:
        def substitute(match: Any) -> str:
            name = match.group(1)
            if name not in variables:
                raise ValueError(f"{type(self).__name__}: missing variable {name!r}")
            return str(variables[name])

        return _placeholder().sub(substitute, text)

    def compile(self, **variables: Any) -> Any:
        """Fill the placeholders: a ``str`` for a string template, a new message list otherwise.

        Raises:
            ValueError: a placeholder has no value among ``variables``; the message names it.
        """
        if isinstance(self.template, str):
            result: Any = self._fill(self.template, variables)
        else:
            import copy

            result = []
            for message in self.template:
                filled = copy.deepcopy(message)
                content = filled.get("content")
                if isinstance(content, str):
                    filled["content"] = self._fill(content, variables)
                elif isinstance(content, list):
                    for part in content:
                        if isinstance(part, dict) and isinstance(part.get("text"), str):
                            part["text"] = self._fill(part["text"], variables)
                result.append(filled)
        _record_compile(self, variables)
        return result

    def format(self, **variables: Any) -> Any:
        """Alias of :meth:`compile`."""
        return self.compile(**variables)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.template!r}, version={self.version!r})"


class PromptTemplate(_Template):
    """The system prompt template; recorded under ``llm.prompt_template.*``."""

    _keys = (
        semconv.LLM_PROMPT_TEMPLATE,
        semconv.LLM_PROMPT_TEMPLATE_VARIABLES,
        semconv.LLM_PROMPT_TEMPLATE_VERSION,
    )


SystemPromptTemplate = PromptTemplate


class UserPromptTemplate(_Template):
    """The user prompt template; recorded under ``neatlogs.user_prompt_template.*`` (no spec has one)."""

    _keys = (
        semconv.NEATLOGS_USER_PROMPT_TEMPLATE,
        semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES,
        semconv.NEATLOGS_USER_PROMPT_TEMPLATE_VERSION,
    )


# --- recording on spans -----------------------------------------------------------------
class _TemplateScope:
    """The templates of one ``trace(...)`` block and the attributes gathered so far.

    Template texts and variables are captured content: they go through the block's
    content policy (capture, mask, truncation) before they are kept here.
    """

    __slots__ = ("span", "system", "user", "attributes", "policy")

    def __init__(self, span: Any, system: _Template | None, user: _Template | None, policy: ContentPolicy) -> None:
        self.span = span
        self.system = system
        self.user = user
        self.policy = policy
        self.attributes: dict[str, Any] = {}
        for template, keys in ((system, PromptTemplate._keys), (user, UserPromptTemplate._keys)):
            if template is None:
                continue
            text = policy.text(template.template)
            if text is not None:
                self.attributes[keys[0]] = text
            if template.version is not None:
                self.attributes[keys[2]] = template.version


_active: contextvars.ContextVar[_TemplateScope | None] = contextvars.ContextVar(
    "neatlogs_prompt_templates", default=None
)
active_scope = _active.get
"""``active_scope()``: the current ``trace(...)`` block's templates (``.span``, ``.attributes``), or None.

The contextvar's own ``get``, so reading it on every span start costs no extra call.
"""


def enter_scope(
    span: Any,
    system: Any,
    user: Any,
    policy: ContentPolicy,
    system_variables: dict[str, Any] | None = None,
    user_variables: dict[str, Any] | None = None,
    version: Any = None,
) -> contextvars.Token | None:
    """Record the templates on ``span`` and make them current for LLM spans inside the block.

    A template may be given as its text (the neatlogs SDK's programs do); ``*_variables`` are
    recorded as if the template had been compiled with them; ``version`` is the templates'
    version where they have none of their own. Every ``trace()`` block gets a scope, so a
    template compiled inside it without being passed to it still reaches its LLM spans.
    """
    if span is None:
        return None
    system = _as_template(system, PromptTemplate, "prompt_template", version)
    user = _as_template(user, UserPromptTemplate, "user_prompt_template", version)
    scope = _TemplateScope(span, system, user, policy)
    for template, variables in ((system, system_variables), (user, user_variables)):
        if template is not None and variables is not None:
            _record_variables(scope, template, variables)
    if scope.attributes:
        span.set_attributes(scope.attributes)
    return _active.set(scope)


def _as_template(value: Any, cls: type[_Template], name: str, version: Any) -> _Template | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = cls(value, version=version)
    elif not isinstance(value, _Template):
        raise TypeError(f"trace({name}=...) takes a PromptTemplate, a UserPromptTemplate or a string")
    elif value.version is None and version is not None:
        value = cls(value.template, version=version)
    return value


def exit_scope(token: contextvars.Token | None) -> None:
    """End the template scope that :func:`enter_scope` began."""
    if token is None:
        return
    try:
        _active.reset(token)
    except ValueError:
        _active.set(None)


def _record_compile(template: _Template, variables: dict[str, Any]) -> None:
    scope = _active.get()
    if scope is None or not scope.policy.capture:
        return
    try:
        if template is not scope.system and template is not scope.user:
            # Compiled inside the block without being passed to trace(): it is the block's template now.
            text = scope.policy.text(template.template)
            if text is not None:
                scope.attributes[template._keys[0]] = text
            if template.version is not None:
                scope.attributes[template._keys[2]] = template.version
        _record_variables(scope, template, variables)
    except Exception:
        _log.internal_error("recording the variables of %r failed", template)


def _record_variables(scope: _TemplateScope, template: _Template, variables: dict[str, Any]) -> None:
    recorded = scope.policy.json_text(variables)
    if recorded is None:
        return
    scope.attributes[template._keys[1]] = recorded
    if scope.span is not None:
        scope.span.set_attributes({key: scope.attributes[key] for key in template._keys if key in scope.attributes})


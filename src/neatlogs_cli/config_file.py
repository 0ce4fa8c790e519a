"""``neatlogs init``: write a ``neatlogs.toml`` in the current folder, by questions or by flags.

The API key is written only when given explicitly with ``--api-key``; the file is then
readable by its owner only (mode 0600) and the user is reminded to keep it out of version
control. Otherwise the user is told to set ``NEATLOGS_API_KEY``.
"""

from __future__ import annotations

import json
import os
from typing import Callable

from neatlogs import config

from .defaults import DASHBOARD_HOST, DASHBOARD_PORT

__all__ = ["CONFIG_FILE_NAME", "InitAnswers", "render", "write_config"]

CONFIG_FILE_NAME = "neatlogs.toml"


class InitAnswers:
    """The settings ``neatlogs init`` writes; None means "ask" (or the default with ``--yes``)."""

    def __init__(
        self,
        workflow_name: str | None = None,
        endpoint: str | None = None,
        instrumentations: str | None = None,
        auto_session: bool | None = None,
        api_key: str | None = None,
    ) -> None:
        self.workflow_name = workflow_name
        self.endpoint = endpoint
        self.instrumentations = instrumentations
        self.auto_session = auto_session
        self.api_key = api_key


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    return json.dumps(value)


def render(answers: InitAnswers) -> str:
    """The text of a ``neatlogs.toml`` holding ``answers`` (unset ones are left out or commented)."""
    lines = ["# neatlogs settings (`neatlogs doctor` shows what is in effect and where it came from).",
             "# Environment variables (NEATLOGS_*) override this file; init() arguments override both.", ""]
    if answers.workflow_name:
        lines.append(f"workflow_name = {_toml_string(answers.workflow_name)}")
    else:
        lines.append("# workflow_name = \"my-bot\"   # default: the script's name")
    if answers.endpoint:
        lines.append(f"endpoint = {_toml_string(answers.endpoint)}")
    else:
        lines.append(
            f"# endpoint = \"http://{DASHBOARD_HOST}:{DASHBOARD_PORT}\"   # unset: the local store (neatlogs ui)")
    names = [n.strip() for n in (answers.instrumentations or "").split(",") if n.strip()]
    if names:
        lines.append("instrumentations = [" + ", ".join(_toml_string(n) for n in names) + "]")
    else:
        lines.append('# instrumentations = ["openai", "anthropic"]   # unset: every supported library')
    lines.append(f"auto_session = {'true' if answers.auto_session is not False else 'false'}")
    if answers.api_key:
        lines.append(f"api_key = {_toml_string(answers.api_key)}")
    return "\n".join(lines) + "\n"


def _ask_missing(answers: InitAnswers, ask: Callable[[str, str], str], confirm: Callable[[str, bool], bool]) -> None:
    if answers.workflow_name is None:
        answers.workflow_name = ask("Workflow name (empty: the script's name)", "").strip() or None
    if answers.endpoint is None:
        answers.endpoint = ask("OTLP endpoint (empty: the local store)", "").strip() or None
    if answers.instrumentations is None:
        answers.instrumentations = ask("Instrumentations (empty: every supported library)", "").strip()
    if answers.auto_session is None:
        answers.auto_session = confirm("One session per run (auto_session)?", True)


def write_config(
    answers: InitAnswers,
    folder: str,
    *,
    force: bool = False,
    ask: Callable[[str, str], str] | None = None,
    confirm: Callable[[str, bool], bool] | None = None,
) -> tuple[str, list[str]]:
    """Write ``neatlogs.toml`` in ``folder``; return its path and the lines to tell the user.

    Questions left unanswered are asked through ``ask``/``confirm`` when given (else defaults).

    Raises:
        FileExistsError: the file exists and ``force`` is False.
        neatlogs.config.ConfigError: a value is invalid (one line naming it).
    """
    path = os.path.join(folder, CONFIG_FILE_NAME)
    if os.path.exists(path) and not force:
        raise FileExistsError(f"{path} already exists; use --force to overwrite it")
    if ask is not None and confirm is not None:
        _ask_missing(answers, ask, confirm)
    text = render(answers)
    temporary = path + ".tmp"
    mode = 0o600 if answers.api_key else 0o644
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temporary, mode)  # whatever the umask did
        # Check the file as neatlogs will read it, before it replaces anything.
        try:
            config.load(environ={"NEATLOGS_CONFIG": temporary}, cwd=folder)
        except config.ConfigError as exc:
            raise config.ConfigError(str(exc).replace(temporary, path)) from None
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    notes = [f"wrote {path}"]
    if answers.api_key:
        notes.append(f"{CONFIG_FILE_NAME} holds your API key (file mode 0600): keep it out of version control, "
                     f"e.g. add it to .gitignore")
    else:
        notes.append("no API key written: set NEATLOGS_API_KEY in the environment if your endpoint needs one")
    notes.append("next: neatlogs run -- python your_bot.py")
    return path, notes

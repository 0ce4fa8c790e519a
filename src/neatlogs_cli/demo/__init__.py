"""``neatlogs demo``: the seed chatbot end to end, offline, then its session timeline.

A stand-in OpenAI-compatible model answers on loopback (deterministic replies, labelled as
such: no network, no key). The seed chatbot, shipped inside the package, runs under
``neatlogs run`` with a scripted three-turn conversation on stdin; its spans land in the
local store, and the session's timeline is printed with the command to open it in the
dashboard.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["CONVERSATION", "chatbot_path", "main", "run_chatbot"]

CONVERSATION = (
    "Hi! My order #1042 has not arrived yet.",
    "It was supposed to come on Monday. Can you check where it is?",
    "Thanks, that is all for today.",
)
"""The user's side of the scripted conversation, one turn per line."""

_TIMEOUT_S = 120


def chatbot_path() -> Path:
    """The seed chatbot shipped inside the package (``neatlogs_cli/examples`` is ``examples/``)."""
    return Path(__file__).resolve().parents[1] / "examples" / "chatbot.py"


def run_chatbot(base_url: str, session_id: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the seed chatbot under ``neatlogs run`` against ``base_url``; return the finished process."""
    child_env = dict(os.environ if env is None else env)
    # The demo writes to the local store whatever the shell says, so its session can be shown.
    for key in ("NEATLOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "NEATLOGS_DISABLED", "OTEL_SDK_DISABLED"):
        child_env.pop(key, None)
    child_env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="stand-in-key-not-a-secret")
    command = [sys.executable, "-m", "neatlogs_cli", "run", "--session-id", session_id,
               "--", sys.executable, str(chatbot_path())]
    return subprocess.run(
        command,
        input="".join(line + "\n" for line in CONVERSATION) + "exit\n",
        capture_output=True,
        text=True,
        env=child_env,
        timeout=_TIMEOUT_S,
    )


def _transcript(stdout: str) -> str:
    """The chatbot's output with the scripted user lines put back after each prompt."""
    parts = stdout.split("You: ")
    if len(parts) < len(CONVERSATION) + 1:
        return stdout
    lines = [parts[0].rstrip("\n")] if parts[0].strip() else []
    for said, answer in zip(CONVERSATION, parts[1:]):
        lines.append(f"You: {said}")
        lines.append(answer.rstrip("\n"))
    return "\n".join(lines)


def main() -> int:
    """Run the demo; return the exit code (the chatbot's when it failed)."""
    import importlib.util

    from neatlogs import config, sessions, store

    from ..defaults import DASHBOARD_HOST, DASHBOARD_PORT
    from ..views import print_timeline
    from .standin_model import StandinModel

    if importlib.util.find_spec("openai") is None:
        print("neatlogs: demo: the seed chatbot uses the openai client, which is not installed here: "
              "pip install 'neatlogs[demo]' (or pip install openai)", file=sys.stderr)
        return 1
    db_path = config.load().store_path
    session_id = sessions.new_session_id()
    with StandinModel() as model:
        print(f"Stand-in model (deterministic replies, not a real LLM) at {model.base_url}")
        print(f"Running the seed chatbot under `neatlogs run` with a scripted {len(CONVERSATION)}-turn conversation:\n")
        result = run_chatbot(model.base_url, session_id)
    print(_transcript(result.stdout))
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        print(f"neatlogs: demo: the chatbot exited with code {result.returncode}", file=sys.stderr)
        return result.returncode
    session = store.get_session(store.connect(db_path), session_id) if os.path.exists(db_path) else None
    if session is None:
        print(f"neatlogs: demo: session {session_id} did not reach the local store {db_path} "
              "(does a config file set an endpoint?)", file=sys.stderr)
        return 1
    print()
    print_timeline(session)
    dashboard = f"http://{DASHBOARD_HOST}:{DASHBOARD_PORT}/sessions/{session_id}"
    print(f"\nSee it in the dashboard:  neatlogs ui   then open {dashboard}")
    print(f"Or again in the terminal: neatlogs show {session_id[:8]}")
    return 0

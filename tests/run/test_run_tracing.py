"""Programs traced by ``neatlogs run`` (from a wheel, in a fresh venv): what arrives at a real OTLP receiver."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from run_support import PROGRAMS, ROOT

from neatlogs import semconv

CLIENT = 3  # OTLP SpanKind CLIENT
THREE_TURNS = "Where is my order?\nCan I change the address?\nThanks!\n"


@pytest.fixture
def run_env(traced_venv, otlp_receiver, standin_model, tmp_path):
    """Environment for a traced run: the receiver as endpoint, the stand-in model as OpenAI."""

    def make(**extra: str) -> dict[str, str]:
        return traced_venv.env(
            NEATLOGS_ENDPOINT=otlp_receiver.endpoint,
            NEATLOGS_HOME=str(tmp_path / "home"),
            OPENAI_BASE_URL=standin_model.base_url,
            OPENAI_API_KEY="sk-test",
            **extra,
        )

    return make


def neatlogs_run(venv, env, *command, stdin=None, options=(), cwd=None):
    return subprocess.run([venv.neatlogs, "run", *options, "--", *command], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)


def session_ids(spans):
    return {s["attributes"].get(semconv.SESSION_ID) for s in spans}


def test_unmodified_chatbot_three_turns_one_session(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(), "python", str(PROGRAMS / "plain_chatbot.py"),
                          stdin=THREE_TURNS, options=("--session-id", "chat-1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Bot: ") == 3
    spans = otlp_receiver.wait_for(3)
    chats = [s for s in spans if s["name"] == "chat gpt-4o"]
    assert len(chats) == 3, [s["name"] for s in spans]
    assert all(s["kind"] == CLIENT for s in chats)
    assert len({s["trace_id"] for s in chats}) == 3  # one trace per turn
    assert session_ids(spans) == {"chat-1"}
    assert {s["resource"]["service.name"] for s in spans} == {"plain_chatbot"}
    assert result.stderr == ""  # stderr is no terminal: no hint line


def test_seed_chatbot_calling_init_itself_has_no_duplicates(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(), "python", str(ROOT / "examples" / "chatbot.py"), stdin=THREE_TURNS)
    assert result.returncode == 0, result.stderr
    spans = otlp_receiver.wait_for(9)
    names = sorted(s["name"] for s in spans)
    assert names.count("chatbot_turn") == 3 and names.count("respond") == 3
    assert names.count("chat gpt-4o") == 3, names
    assert len(spans) == 9 and len({s["span_id"] for s in spans}) == 9
    assert len(session_ids(spans)) == 1 and None not in session_ids(spans)
    # The program's own init(workflow_name=...) took over from the bootstrap's default.
    assert {s["resource"]["service.name"] for s in spans} == {"support-chatbot"}
    for chat in (s for s in spans if s["name"] == "chat gpt-4o"):
        parent = next(s for s in spans if s["span_id"] == chat["parent_span_id"])
        assert parent["name"] == "respond"


def test_python_dash_m_with_the_users_pythonpath(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(PYTHONPATH=str(PROGRAMS)), "python", "-m", "turnpkg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["turn 1", "turn 2"]
    spans = otlp_receiver.wait_for(2)
    assert [s["name"] for s in spans] == ["module_turn", "module_turn"]
    assert {s["resource"]["service.name"] for s in spans} == {"turnpkg"}
    assert len(session_ids(spans)) == 1 and None not in session_ids(spans)


def test_console_script_with_python_shebang(traced_venv, run_env, otlp_receiver, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "turn-tool"
    tool.write_text(f"#!{traced_venv.python}\n" + (PROGRAMS / "turns.py").read_text())
    tool.chmod(0o755)
    env = run_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    result = neatlogs_run(traced_venv, env, "turn-tool", stdin="a\nb\n", options=("--session-id", "tool-1"))
    assert result.returncode == 0, result.stderr
    spans = otlp_receiver.wait_for(2)
    assert sorted(s["name"] for s in spans) == ["turn 1", "turn 2"]
    assert session_ids(spans) == {"tool-1"}
    assert {s["resource"]["service.name"] for s in spans} == {"turn-tool"}


def test_subprocess_and_multiprocessing_children_share_the_session(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(), "python", str(PROGRAMS / "family.py"))
    assert result.returncode == 0, result.stderr
    assert "family done" in result.stdout
    spans = otlp_receiver.wait_for(4)
    names = sorted(s["name"] for s in spans)
    assert names == ["child fork", "child spawn", "child subprocess", "parent"]
    assert len(session_ids(spans)) == 1 and None not in session_ids(spans)
    assert {s["resource"]["service.name"] for s in spans} == {"family"}


def test_existing_sitecustomize_runs_once_beside_ours(traced_venv, run_env, otlp_receiver, tmp_path):
    log = tmp_path / "sitecustomize.log"
    env = run_env(PYTHONPATH=str(PROGRAMS / "usersite"), SITECUSTOMIZE_LOG=str(log))
    show = "import os, sitecustomize; print(sitecustomize.__file__); print(os.getpid())"
    result = subprocess.run(
        [traced_venv.neatlogs, "run", "--", "python", "-c", show], capture_output=True, text=True,
        env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    module_file, pid = result.stdout.split()
    assert module_file == str(PROGRAMS / "usersite" / "sitecustomize.py")  # theirs is `sitecustomize`
    # It ran once in the program. (The `neatlogs` wrapper, a console script, is a Python of its
    # own before it execs: it ran there too, as it does for any console script.)
    runs = [line for line in log.read_text().splitlines() if line.startswith(f"{pid} python -c ")]
    assert len(runs) == 1, log.read_text()
    # And the program is still traced.
    traced = neatlogs_run(traced_venv, env, "python", str(PROGRAMS / "turns.py"), stdin="a\n")
    assert traced.returncode == 0, traced.stderr
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["turn 1"]
    assert sum(line.split(" ", 1)[1].startswith("python ") for line in log.read_text().splitlines()) == 2


def test_sigterm_mid_run_keeps_finished_turns_and_dies_by_the_signal(traced_venv, run_env, otlp_receiver):
    proc = subprocess.Popen([traced_venv.neatlogs, "run", "--", "python", str(PROGRAMS / "turns.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=run_env())
    try:
        for turn in (1, 2):
            proc.stdin.write(f"turn {turn}\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == f"done {turn}\n"
        proc.send_signal(signal.SIGTERM)  # blocked reading the third turn
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM  # as without neatlogs: killed by SIGTERM (143 in a shell)
    spans = otlp_receiver.wait_for(2)
    assert sorted(s["name"] for s in spans) == ["turn 1", "turn 2"]


def test_ctrl_c_keeps_finished_turns_and_raises_keyboard_interrupt(traced_venv, run_env, otlp_receiver):
    proc = subprocess.Popen([traced_venv.neatlogs, "run", "--", "python", str(PROGRAMS / "turns.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=run_env())
    try:
        proc.stdin.write("turn 1\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "done 1\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "KeyboardInterrupt" in err
    assert proc.returncode == -signal.SIGINT
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["turn 1"]


def test_unhandled_exception_keeps_finished_turns_and_exit_status(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(), "python", str(PROGRAMS / "turns.py"), "--fail-after", "2",
                          stdin="a\nb\nc\n")
    assert result.returncode == 1
    assert "RuntimeError: failed after turn 2" in result.stderr
    assert sorted(s["name"] for s in otlp_receiver.wait_for(2)) == ["turn 1", "turn 2"]


def test_sys_exit_3_keeps_spans_and_code(traced_venv, run_env, otlp_receiver):
    result = neatlogs_run(traced_venv, run_env(), "python", str(PROGRAMS / "turns.py"), "--exit", "3", stdin="a\n")
    assert result.returncode == 3, result.stderr
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["turn 1"]


def test_bootstrap_alone_is_cheap(traced_venv, run_env):
    result = neatlogs_run(traced_venv, run_env(), "python", "-X", "importtime", "-c", "pass")
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "neatlogs" in imported  # the bootstrap ran
    heavy = {name for name in imported if name.split(".")[0] in {"opentelemetry", "requests", "typer", "openai", "rich"}}
    assert heavy == set()


def test_session_hint_only_on_a_terminal(traced_venv, run_env, tmp_path):
    import pty

    script = "from opentelemetry import trace\nwith trace.get_tracer('t').start_as_current_span('s'):\n    pass\n"
    env = run_env()
    del env["NEATLOGS_ENDPOINT"]  # the local store: the hint names `neatlogs show`
    master, slave = pty.openpty()
    proc = subprocess.Popen([traced_venv.neatlogs, "run", "--session-id", "hint-1", "--", "python", "-c", script],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    proc.wait(timeout=60)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.returncode == 0
    lines = output.decode().strip().splitlines()
    # A run that made spans but no model call says so first, naming what it could have traced.
    assert lines[0].startswith("neatlogs: no LLM calls were traced: the program imported none of ")
    assert "openai" in lines[0] and "anthropic" in lines[0]
    assert lines[1].strip() == "neatlogs: session hint-1 recorded; see it with: neatlogs show hint-1"

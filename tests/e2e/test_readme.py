"""The README's two set-up commands: well-formed, run by CI, and the app half works."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from web_helpers import log_in

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks() -> list[str]:
    return re.findall(r"^```bash\n(.*?)\n```", README, flags=re.S | re.M)


def _steps(command: str) -> list[list[str]]:
    return [shlex.split(part) for part in command.split("&&")]


def test_the_readme_begins_with_the_two_set_up_commands() -> None:
    first, second = _blocks()[:2]
    assert "\n" not in first and "\n" not in second
    intro = README.split("```", 1)[0]
    assert intro.startswith("# clientbase")
    for command, lock in ((first, "requirements.lock"), (second, "requirements-dev.lock")):
        steps = _steps(command)
        assert steps[0] == ["python3.11", "-m", "venv", ".venv"]
        assert steps[1] == [".venv/bin/pip", "install", "-r", lock]
        assert steps[2] == [".venv/bin/pip", "install", "--no-deps", "-e", "."]
    assert _steps(first)[3][:2] == [".venv/bin/clientbase", "demo"]
    assert _steps(first)[4][:2] == [".venv/bin/clientbase", "serve"]
    assert _steps(second)[3][:3] == [".venv/bin/python", "-m", "pytest"]


def test_ci_runs_the_readme_test_command_as_written() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    awk = re.search(r"test_cmd=\$\((awk .*?)\)\n", script)
    assert awk is not None
    extracted = subprocess.run(
        ["bash", "-c", awk.group(1)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert extracted == _blocks()[1]
    assert 'bash -c "$test_cmd"' in script


def _pins(name: str) -> dict[str, str]:
    lock = (ROOT / name).read_text(encoding="utf-8")
    pins = re.findall(r"^([a-z0-9_.-]+)==([^\s]+) \\$", lock, flags=re.M)
    assert lock.count("--hash=sha256:") >= len(pins) > 0
    return dict(pins)


DEV_TOOLS = ("pytest", "hypothesis", "httpx", "ruff", "mypy", "playwright", "locust", "pip-audit")


def test_both_lock_files_pin_every_dependency_with_hashes() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for needed in ("sqlalchemy", "alembic", "ortools", "fastapi", "typer", "faker", "uvicorn"):
        assert needed in runtime
    for tool in DEV_TOOLS:
        assert tool in dev
    # The development lock is the runtime lock plus tools, at the very same versions.
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_runtime_lock_holds_no_test_or_development_package() -> None:
    runtime = _pins("requirements.lock")
    for tool in (*DEV_TOOLS, "schemathesis", "gevent", "flask", "pytest-xdist", "werkzeug"):
        assert tool not in runtime


def test_the_app_half_of_the_first_command_starts_the_demo(tmp_path: Path) -> None:
    """Run the demo and serve steps of the first command (with this environment's Python)."""
    demo_step, serve_step = _steps(_blocks()[0])[3:5]
    cli = [sys.executable, "-m", "clientbase"]
    for _ in range(2):  # the command must work again on a second run
        done = subprocess.run(
            [*cli, *demo_step[1:], "--months", "3"], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    # The demo prints the logins with their password: the head of sales logs in with it.
    printed = re.search(r"│ rop\s+│ (\S+)\s+│", done.stdout)
    assert printed, done.stdout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*cli, *serve_step[1:], "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        web = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        log_in(web, "rop", printed.group(1))
        assert '<b id="clients-count">900</b>' in web.get("/").text
    finally:
        server.terminate()
        server.wait(timeout=10)

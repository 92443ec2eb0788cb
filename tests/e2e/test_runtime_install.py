"""The runtime lock is enough to run the app: no test or development package is needed.

The suite runs in the development environment, so the packages only the development lock
brings are hidden from the app here: a `sitecustomize` placed first on PYTHONPATH makes
every import of theirs fail, in the app's processes and in the reader's child. Then every
module of the app is imported, a demo is made, a file is imported and the web app serves a
logged-in page. (`.ci/run` also installs the runtime lock into an empty environment.)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from importlib.metadata import packages_distributions
from pathlib import Path

import httpx
import pytest

from web_helpers import log_in

ROOT = Path(__file__).parents[2]

BLOCKER = """
import sys
HIDDEN = set({hidden!r})

class _DevOnly:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"{{name}} is a development package", name=name)
        return None

sys.meta_path.insert(0, _DevOnly())
"""


def _pins(name: str) -> set[str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z0-9_.-]+)==", text, flags=re.M))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dev_only_modules() -> set[str]:
    dev_only = {_normal(n) for n in _pins("requirements-dev.lock") - _pins("requirements.lock")}
    hidden = set()
    for module, dists in packages_distributions().items():
        if dists and all(_normal(d) in dev_only for d in dists):
            hidden.add(module)
    return hidden


@pytest.fixture
def runtime_env(tmp_path: Path) -> dict[str, str]:
    hidden = _dev_only_modules()
    assert {"pytest", "hypothesis", "httpx", "playwright", "locust"} <= hidden
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.format(hidden=sorted(hidden)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    env.pop("CLIENTBASE_DATABASE_URL", None)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_app_runs_with_only_the_runtime_lock_installed(
    runtime_env: dict[str, str], tmp_path: Path
) -> None:
    # The blocker works: a development package cannot be imported.
    blocked = subprocess.run(
        [sys.executable, "-c", "import pytest"], env=runtime_env, capture_output=True, text=True
    )
    assert blocked.returncode != 0 and "development package" in blocked.stderr
    # Every module of the app imports.
    _run(
        [
            "-c",
            "import pkgutil, importlib, clientbase\n"
            "for m in pkgutil.walk_packages(clientbase.__path__, 'clientbase.'):\n"
            "    importlib.import_module(m.name)",
        ],
        runtime_env,
        tmp_path,
    )
    url = f"sqlite:///{tmp_path}/rt.db"
    cli = ["-m", "clientbase"]
    out = _run(
        [*cli, "demo", "--db", url, "--clients", "60", "--managers", "3", "--months", "2"],
        runtime_env,
        tmp_path,
    )
    password = re.search(r"│ rop\s+│ (\S+)\s+│", out)
    assert password, out
    clients = tmp_path / "new.csv"
    clients.write_text("name;region\nООО Новый клиент;Москва\n", encoding="utf-8")
    _run([*cli, "import", "clients", str(clients), "--db", url], runtime_env, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, *cli, "serve", "--db", url, "--port", str(port)],
        env=runtime_env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        web = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        log_in(web, "rop", password.group(1))
        assert '<b id="clients-count">61</b>' in web.get("/").text
    finally:
        server.terminate()
        server.wait(timeout=10)

"""`clientbase serve` answers on 127.0.0.1 with the demo data."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cli_helpers import run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_shows_the_demo_company_on_localhost(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    made = run_cli("demo", "--db", url, "--clients", "200", "--months", "3")
    assert made.returncode == 0, made.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "clientbase", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200
        assert 'id="placeholder-note"' in page.text  # says plainly it is a placeholder
        assert '<b id="clients-count">200</b>' in page.text
        managers = httpx.get(base + "/api/managers", timeout=10).json()
        assert any(m["role_group"] == "head" for m in managers)
        managers_page = httpx.get(base + "/managers", timeout=10).text
        assert all(m["name"] in managers_page for m in managers)
        script = httpx.get(base + "/static/vendor/htmx-2.0.11.min.js", timeout=10)
        assert script.status_code == 200 and "htmx" in script.text
        clients = httpx.get(base + "/api/clients?tier=VIP&limit=5", timeout=10).json()
        assert clients["total"] >= 1 and all(c["tier"] == "VIP" for c in clients["rows"])
    finally:
        server.terminate()
        server.wait(timeout=10)

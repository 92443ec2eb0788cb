"""`clientbase serve` answers on 127.0.0.1 with the demo data."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cli_helpers import run_cli

from web_helpers import log_in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_shows_the_demo_company_on_localhost(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    made = run_cli(
        "demo", "--db", url, "--clients", "200", "--months", "3", "--password", "serve-pass-1"
    )
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
        assert httpx.get(base + "/", timeout=10).status_code == 303  # to the login page
        assert httpx.get(base + "/api/v1/managers", timeout=10).status_code == 401
        web = httpx.Client(base_url=base, timeout=10)
        log_in(web, "rop", "serve-pass-1")
        page = web.get("/")
        assert page.status_code == 200
        assert '<b id="clients-count">200</b>' in page.text
        managers = web.get("/api/v1/managers").json()
        assert any(m["role_group"] == "head" for m in managers)
        managers_page = web.get("/managers").text
        assert all(m["name"] in managers_page for m in managers)
        script = httpx.get(base + "/static/vendor/htmx-2.0.11.min.js", timeout=10)
        assert script.status_code == 200 and "htmx" in script.text
        clients = web.get("/api/v1/clients?tier=VIP&limit=5").json()
        assert clients["total"] >= 1 and all(c["tier"] == "VIP" for c in clients["rows"])
    finally:
        server.terminate()
        server.wait(timeout=10)

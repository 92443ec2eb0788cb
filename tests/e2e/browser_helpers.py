"""Driving the app in Debian's headless Chromium: launch, a logged-in page, screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = os.environ.get("CLIENTBASE_CHROMIUM") or shutil.which("chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
LOGS = ARTIFACTS.parent / "server-logs"
# As the environment's probe starts it: no sandbox as root, and no background networking,
# whose connections this machine's closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served(db_url: str, port: int) -> Iterator[str]:
    """`clientbase serve` on 127.0.0.1:port until the block ends; its base URL.

    The server's output goes to a file under test-artifacts/ (kept by CI), never to a pipe
    nobody reads: a full pipe would block the server's next log line, and with it the
    thread that writes it.
    """
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"serve-{port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "clientbase", "serve", "--db", db_url, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def server_log(base: str) -> str:
    """What the server at `base` has written so far (for a failing assertion's message)."""
    path = LOGS / f"serve-{base.rsplit(':', 1)[1]}.log"
    return path.read_text(errors="replace")[-6000:] if path.exists() else ""


def logged_in_page(browser: Any, base: str, login: str, password: str) -> tuple[Any, list[str]]:
    """A fresh context logged in through the form; console errors collected; only our origin."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
    )
    page.goto(base + "/")
    page.wait_for_selector("#login-form")
    shot(page, f"login-{login}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#current-user")
    return page, errors


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

"""The web app in a real headless Chromium (Debian's), with screenshots kept as artifacts.

Skipped when no Chromium is installed (a laptop); CI installs Debian's `chromium`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_helpers import run_cli

CHROMIUM = os.environ.get("CLIENTBASE_CHROMIUM") or shutil.which("chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
PASSWORD = "browser-pass-1"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("browser") / "web.db"
    made = run_cli(
        "demo",
        "--db",
        f"sqlite:///{path}",
        "--months",
        "6",
        "--today",
        "2026-11-22",
        "--password",
        PASSWORD,
    )
    assert made.returncode == 0, made.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clientbase",
            "serve",
            "--db",
            f"sqlite:///{path}",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def _page(browser: object, base_url: str, login: str = "rop"):  # type: ignore[no-untyped-def]
    """A new browser context, logged in through the login form as `login`."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Nothing but our own origin may be reached: the app must work offline.
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(base_url) else route.abort()
        ),
    )
    page.goto(base_url + "/")
    page.wait_for_selector("#login-form")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#current-user")
    return page, errors


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_dashboard_draws_its_charts_offline_without_errors(
    browser: object, base_url: str
) -> None:
    page, errors = _page(browser, base_url)
    page.goto(base_url + "/")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-regions')")
    assert page.locator("#clients-count").inner_text() == "900"
    _shot(page, "dashboard")
    assert errors == []


def test_filtering_clients_updates_the_table_and_the_address(
    browser: object, base_url: str
) -> None:
    page, errors = _page(browser, base_url)
    page.goto(base_url + "/clients")
    total_before = page.locator("#clients-total").inner_text()
    page.select_option("select[name=region]", "Москва")
    page.wait_for_function("() => location.search.includes('region=')")
    page.wait_for_function(
        "(before) => document.querySelector('#clients-total').innerText !== before",
        arg=total_before,
    )
    regions = page.locator("#clients tbody tr td:nth-child(2)").all_inner_texts()
    assert regions and set(regions) == {"Москва"}
    page.reload()  # the filter survives a reload: it lives in the address
    assert page.locator("select[name=region]").input_value() == "Москва"
    page.locator("#clients tbody tr td a").first.click()
    page.wait_for_selector("#team")
    _shot(page, "client-card")
    assert errors == []

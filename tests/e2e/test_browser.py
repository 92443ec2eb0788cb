"""The web app in a real headless Chromium (Debian's), with screenshots kept as artifacts.

Skipped when no Chromium is installed (a laptop); CI installs Debian's `chromium`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from browser_helpers import CHROMIUM, chromium, logged_in_page, served, shot
from cli_helpers import run_cli

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
PASSWORD = "browser-pass-1"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("browser") / "web.db"
    made = run_cli(
        "demo", "--db", f"sqlite:///{path}", "--months", "6", "--today", "2026-11-22",
        "--password", PASSWORD,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with served(f"sqlite:///{path}", port) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _page(browser: object, base_url: str, login: str = "rop"):  # type: ignore[no-untyped-def]
    return logged_in_page(browser, base_url, login, PASSWORD)


def test_the_dashboard_draws_its_charts_offline_without_errors(
    browser: object, base_url: str
) -> None:
    page, errors = _page(browser, base_url)
    page.goto(base_url + "/")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-regions')")
    assert page.locator("#clients-count").inner_text() == "900"
    shot(page, "dashboard")
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
    shot(page, "client-card")
    assert errors == []

"""A hostile file uploaded to the running server is refused while another user works on.

`clientbase serve` runs as a real process. The head of sales uploads, again and again,
workbooks whose reader aborts (the cheap checks are lifted for this server so that the
files reach the reader, which then dies in its child); meanwhile an account manager keeps
opening his pages. Each upload ends in a Russian refusal naming the file, every page of
the manager answers, and the server is still answering at the end.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_helpers import served, server_log
from cli_helpers import run_cli

import hostile_workbooks as hw
from web_helpers import log_in

PASSWORD = "hostile-pass-1"


@pytest.fixture
def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    made = run_cli(
        "demo", "--db", url, "--clients", "60", "--managers", "3", "--months", "2",
        "--password", PASSWORD,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    # The cheap checks are lifted for this server only: the far cell and the shared-strings
    # bomb reach the Rust reader, which aborts — in its child, not in the server.
    monkeypatch.setenv("CLIENTBASE_READER_MAX_CELLS", str(10**15))
    monkeypatch.setenv("CLIENTBASE_READER_MAX_COLUMNS", str(10**6))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with served(url, port) as base:
        yield base


def _upload(web: httpx.Client, csrf: str, name: str, body: bytes) -> httpx.Response:
    answer = web.post(
        "/import",
        data={"csrf_token": csrf, "entity": "clients", "source": "generic"},
        files={"file": (name, body, "application/octet-stream")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return web.get(answer.headers["location"])


def test_a_hostile_workbook_is_refused_while_a_second_user_keeps_working(base_url: str) -> None:
    head = httpx.Client(base_url=base_url, timeout=60)
    csrf = log_in(head, "rop", PASSWORD)
    manager = httpx.Client(base_url=base_url, timeout=10)
    log_in(manager, "manager", PASSWORD)

    refusals: list[httpx.Response] = []
    hostile = [("Клиенты.xlsx", hw.far_cell_xlsx()), ("Строки.xlsx", hw.shared_strings_bomb_xlsx())]

    def attack() -> None:
        for _ in range(4):
            for name, body in hostile:
                refusals.append(_upload(head, csrf, name, body))

    attacker = threading.Thread(target=attack)
    attacker.start()
    waits: list[float] = []
    while attacker.is_alive() or not waits:
        for page in ("/", "/clients"):
            started = time.monotonic()
            answer = manager.get(page)
            waits.append(time.monotonic() - started)
            assert answer.status_code == 200, (page, answer.status_code, server_log(base_url))
    attacker.join()

    assert len(refusals) == 8
    for answer in refusals:
        assert answer.status_code == 400, server_log(base_url)
        assert "файл не удалось прочитать" in answer.text, answer.text[-2000:]
        assert "слишком большой лист или файл повреждён" in answer.text
    assert max(waits) < 3.0, waits
    # The server answered throughout, and still does (a dead process answers nothing).
    assert head.get("/healthz").json() == {"status": "ok"}
    assert manager.get("/clients").status_code == 200

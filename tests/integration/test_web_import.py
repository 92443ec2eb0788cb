"""The import wizard: upload, mapping, dry run with all errors, error CSV, all-or-nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

import hostile_workbooks as hw
from clientbase.core.access import UserRole
from clientbase.db.tables import Client, Manager
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts
from clientbase.web.app import create_app
from web_helpers import log_in

EXAMPLES = Path(__file__).parents[2] / "examples"
PASSWORD = "import-pass-1"


@pytest.fixture
def web(engine: Engine) -> Iterator[tuple[TestClient, str]]:
    accounts.create_user(engine, login="rop", password=PASSWORD, role=UserRole.HEAD)
    with TestClient(create_app(engine)) as client:
        yield client, log_in(client, "rop", PASSWORD)


def _count(engine: Engine, table: type[Client] | type[Manager]) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _upload(client: TestClient, csrf: str, name: str, body: bytes, entity: str) -> str:
    answer = client.post(
        "/import",
        data={"csrf_token": csrf, "entity": entity, "source": "generic"},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _mapping_form(page: str, csrf: str) -> dict[str, str]:
    """The selects of the mapping form as the browser would send them."""
    form = {"csrf_token": csrf}
    for name, body in re.findall(r'<select name="(col-\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        form[name] = chosen.group(1) if chosen else ""
    return form


def _finish(client: TestClient, job_url: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        poll = client.get(job_url, headers={"HX-Request": "true"})
        if "HX-Redirect" in poll.headers:
            return str(poll.headers["HX-Redirect"])
        assert "Не получилось" not in poll.text, poll.text
        time.sleep(0.2)
    raise AssertionError("import job did not finish")


def test_managers_then_clients_go_through_the_wizard_with_russian_columns(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    body = (EXAMPLES / "generic" / "managers.csv").read_bytes()
    wizard = _upload(client, csrf, "managers.csv", body, "managers")
    page = client.get(wizard)
    assert page.status_code == 200 and 'id="mapping"' in page.text
    assert 'id="missing"' not in page.text  # Russian titles recognised without help
    form = _mapping_form(page.text, csrf)
    check = client.post(f"{wizard}/check", data=form)
    assert check.status_code == 200 and 'id="import-ok"' in check.text
    assert _count(engine, Manager) == 0  # a check writes nothing
    job = client.post(f"{wizard}/apply", data=form, follow_redirects=False)
    report = client.get(_finish(client, job.headers["location"]))
    assert 'id="import-ok"' in report.text
    added = int(re.search(r'id="inserted">(\d+)<', report.text).group(1))  # type: ignore[union-attr]
    assert added == _count(engine, Manager) > 0


def test_a_file_with_bad_rows_writes_nothing_and_lists_every_error(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    rows = ["Название;ИНН;Регион;Потенциал"]
    rows += [f"Клиент {i};;Москва;{1000 + i}" for i in range(20)]
    rows[5] = "Плохой ИНН;1234567890;Москва;100"
    rows[9] = "Минус;;Москва;-5"
    wizard = _upload(client, csrf, "clients.csv", "\n".join(rows).encode("utf-8"), "clients")
    form = _mapping_form(client.get(wizard).text, csrf)
    check = client.post(f"{wizard}/check", data=form)
    assert 'id="import-failed"' in check.text
    found = re.findall(r'<tr><td class="num">(\d+)</td>', check.text)
    assert sorted(int(r) for r in found) == [6, 10]  # rows as Excel numbers them
    errors = client.get(f"{wizard}/errors.csv")
    assert errors.status_code == 200 and errors.text.count("\n") >= 3
    job = client.post(f"{wizard}/apply", data=form, follow_redirects=False)
    report = client.get(_finish(client, job.headers["location"]))
    assert 'id="import-failed"' in report.text
    assert _count(engine, Client) == 0


def test_a_remapped_column_is_used_and_an_ignored_one_is_dropped(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    body = "Компания;Наш код;Мусор\nООО Ромашка;R-1;x\nООО Лютик;R-2;y\n".encode()
    wizard = _upload(client, csrf, "c.csv", body, "clients")
    page = client.get(wizard).text
    form = _mapping_form(page, csrf)
    names = re.findall(r'<tr><td>([^<]+)</td>\s*<td><select name="(col-\d+)"', page)
    by_title = {title: name for title, name in names}
    form[by_title["Компания"]] = "name"
    form[by_title["Наш код"]] = "client_id"
    form[by_title["Мусор"]] = ""
    job = client.post(f"{wizard}/apply", data=form, follow_redirects=False)
    report = client.get(_finish(client, job.headers["location"]))
    assert 'id="import-ok"' in report.text
    with UnitOfWork(engine) as uow:
        got = sorted(uow.session.execute(select(Client.external_id, Client.name)).all())
    assert got == [("R-1", "ООО Ромашка"), ("R-2", "ООО Лютик")]
    remembered = _mapping_form(
        client.get(_upload(client, csrf, "c.csv", body, "clients")).text, csrf
    )
    assert remembered[by_title["Наш код"]] == "client_id"  # remembered for this source


def test_only_the_uploader_may_use_an_upload_and_odd_files_are_refused(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    wizard = _upload(client, csrf, "m.csv", b"name\nA\n", "managers")
    accounts.create_user(engine, login="rop2", password=PASSWORD, role=UserRole.HEAD)
    with TestClient(create_app(engine)) as other:
        log_in(other, "rop2", PASSWORD)
        assert other.get(wizard).status_code == 404
    assert client.get("/import/..%2F..%2Fetc").status_code == 404
    refused = client.post(
        "/import",
        data={"csrf_token": csrf, "entity": "clients"},
        files={"file": ("evil.exe", b"MZ", "application/octet-stream")},
    )
    assert refused.status_code == 400 and "ожидается CSV" in refused.text


def test_a_big_file_reports_progress_without_blocking_its_own_write_lock(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    rows = ["name;client_id;region;potential"]
    rows += [f"Клиент {i};K-{i};Москва;{1000 + i}" for i in range(12_000)]
    wizard = _upload(client, csrf, "big.csv", "\n".join(rows).encode("utf-8"), "clients")
    form = _mapping_form(client.get(wizard).text, csrf)
    started = time.monotonic()
    job = client.post(f"{wizard}/apply", data=form, follow_redirects=False)
    report = client.get(_finish(client, job.headers["location"]))
    assert 'id="import-ok"' in report.text, report.text
    assert _count(engine, Client) == 12_000
    assert time.monotonic() - started < 60  # no wait on a lock held by the import itself


def test_a_workbook_with_a_far_filled_cell_is_refused_at_the_mapping_step_by_its_size(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    before = _count(engine, Client)
    answer = client.post(
        "/import",
        data={"csrf_token": csrf, "entity": "clients", "source": "generic"},
        files={"file": ("Клиенты.xlsx", hw.far_cell_xlsx(), "application/octet-stream")},
        follow_redirects=False,
    )
    page = client.get(answer.headers["location"])
    assert page.status_code == 400
    assert "Клиенты.xlsx: файл не удалось прочитать: слишком большой лист" in page.text
    assert "1048576 строк × 16384 столбцов" in page.text
    assert _count(engine, Client) == before

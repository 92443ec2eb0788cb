"""Every importer and the file-mode `assign` reject or accept hostile files cleanly.

Never a traceback, never partial data: a refused file leaves every table as it was.
"""

from __future__ import annotations

import datetime as dt
import sys
import tracemalloc
from pathlib import Path

import pytest

from clientbase import cli
from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import backup
from clientbase.services.demo import DemoParams, create_demo

CORPUS = Path(__file__).parents[1] / "corpus"
sys.path.insert(0, str(CORPUS))
from make_corpus import large_files, small_files  # noqa: E402

SMALL = sorted(small_files())
ENTITIES = ["managers", "clients", "deals", "activities", "surveys"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder}/demo.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=60, managers=3, months=3, today=dt.date(2026, 11, 22)))
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, content in small_files().items():
        (folder / name).write_bytes(content)
    large_files(folder)
    return folder


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, text


def _import_cleanly(
    url: str, entity: str, path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    engine = make_engine(url)
    before = backup.table_states(engine)
    code, text = _run(["import", entity, str(path), "--db", url], capsys)
    assert code in (0, 1), text
    if code != 0:
        assert backup.table_states(engine) == before, f"partial data after refusal: {text}"
        assert "Ошибка" in text or "ошиб" in text.lower(), text
    engine.dispose()
    return code, text


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("name", SMALL)
def test_a_hostile_small_file_is_rejected_or_accepted_cleanly(
    db: str, corpus: Path, name: str, entity: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _import_cleanly(db, entity, corpus / name, capsys)


@pytest.mark.parametrize("name", ["ten_megabyte_cell.csv", "zip_bomb.xlsx", "many_entries.xlsx"])
def test_a_large_hostile_file_is_refused_with_bounded_memory(
    db: str, corpus: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tracemalloc.start()
    try:
        code, text = _import_cleanly(db, "clients", corpus / name, capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1, text
    assert peak < 200 * 1024 * 1024


def _managers_file(folder: Path) -> Path:
    path = folder / "managers_ok.csv"
    path.write_text(
        "manager_id,name,role_group,capacity,regions\nm1,Иванов,farmer,40,*\n"
        "m2,Петров,farmer,40,*\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", [n for n in SMALL if n.endswith(".csv")])
def test_file_mode_assign_rejects_or_accepts_a_hostile_clients_file_cleanly(
    corpus: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    managers = _managers_file(tmp_path)
    out = tmp_path / "plan.csv"
    code, text = _run(
        ["assign", "--clients", str(corpus / name), "--managers", str(managers), "--out", str(out)],
        capsys,
    )
    assert code in (0, 1, 2), text
    if code == 1:
        assert not out.exists(), "a refused input must not leave a plan file"


@pytest.mark.parametrize("name", [n for n in SMALL if n.endswith(".csv")])
def test_file_mode_assign_rejects_or_accepts_a_hostile_managers_file_cleanly(
    corpus: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = tmp_path / "clients_ok.csv"
    clients.write_text("client_id,name,potential\nc1,ООО А,100\nc2,ООО Б,200\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    code, text = _run(
        ["assign", "--clients", str(clients), "--managers", str(corpus / name), "--out", str(out)],
        capsys,
    )
    assert code in (0, 1, 2), text

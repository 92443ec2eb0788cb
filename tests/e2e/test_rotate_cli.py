"""`clientbase rotate` on the demo company, as a user (or cron) runs it."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.services.backup import table_states
from clientbase.services.locks import job_lock

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def demo(db_url: str) -> Iterator[tuple[str, Engine]]:
    """The default demo company (900 clients) on SQLite and PostgreSQL."""
    done = run_cli("demo", "--db", db_url, "--today", TODAY.isoformat(), "--replace")
    assert done.returncode == 0, done.stderr
    engine = make_engine(db_url)
    yield db_url, engine
    engine.dispose()


def test_warn_lists_clients_falling_asleep_and_exports_them(
    demo: tuple[str, Engine], tmp_path: Path
) -> None:
    url, _ = demo
    shown = run_cli("rotate", "warn", "--db", url, "--today", TODAY.isoformat())
    assert shown.returncode == 0, shown.stderr
    assert "Скоро станут «спящими»" in shown.stdout
    listed = int(re.search(r"Клиентов в списке: (\d+)", shown.stdout).group(1))  # type: ignore[union-attr]
    assert listed > 0
    out = tmp_path / "warn.csv"
    written = run_cli(
        "rotate", "warn", "--db", url, "--today", TODAY.isoformat(), "--format", "csv",
        "--out", str(out), "--days", "30",
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) >= listed
    assert all(0 < int(r["осталось дней"]) <= 30 for r in rows)
    one = rows[0]["manager_id"]
    xlsx = tmp_path / "warn.xlsx"
    mine = run_cli(
        "rotate", "warn", "--db", url, "--today", TODAY.isoformat(), "--days", "30",
        "--manager", one, "--format", "xlsx", "--out", str(xlsx),
    )  # fmt: skip
    assert mine.returncode == 0, mine.stderr
    values = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert values[0][0] == "manager_id"
    assert {str(int(v[0])) for v in values[1:]} == {one}
    bad = run_cli("rotate", "warn", "--db", url, "--format", "xlsx")
    assert bad.returncode == 1 and "--out" in bad.stderr


def test_dry_run_run_second_run_and_report_on_the_demo(
    demo: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = demo
    date = ["--date", TODAY.isoformat()]
    before = table_states(engine)
    dry = run_cli("rotate", "run", "--db", url, *date, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Пробный прогон (ничего не записано)" in dry.stdout
    assert table_states(engine) == before
    planned = int(re.search(r"передано (\d+)", dry.stdout).group(1))  # type: ignore[union-attr]
    assert planned > 0
    # The cron form `clientbase rotate --date D --dry-run` is the same run.
    alias = run_cli("rotate", "--db", url, *date, "--dry-run")
    assert alias.returncode == 0, alias.stderr
    assert dry.stdout.splitlines()[0] == alias.stdout.splitlines()[0]

    members = tmp_path / "members.csv"
    real = run_cli("rotate", "run", "--db", url, *date, "--out", str(members))
    assert real.returncode == 0, real.stderr
    assert "Прогон #1" in real.stdout
    assert f"передано {planned}," in real.stdout  # the dry run showed exactly this run
    rows = list(csv.DictReader(members.open(encoding="utf-8-sig")))
    rotated = [r for r in rows if r["группа"] == "передан"]
    assert len(rotated) == planned
    with Session(engine) as s:
        reasons = s.scalars(
            select(t.Responsibility.reason).where(t.Responsibility.since == TODAY)
        ).all()
        assert reasons.count("rotation run #1") == planned
        assert s.scalar(select(func.count()).select_from(t.RotationRun)) == 1

    after = table_states(engine)
    again = run_cli("rotate", "run", "--db", url, *date)
    assert again.returncode == 0, again.stderr
    assert "уже выполнен (#1): повторно ничего не перемещено" in again.stdout
    assert table_states(engine) == after

    # Later deals: some of the rotated clients buy again within the window.
    back = [int(r["client_id"]) for r in rotated][: max(1, planned // 2)]
    with Session(engine) as s, s.begin():
        for cid in back:
            s.add(
                t.Deal(
                    client_id=cid,
                    amount=10_000,
                    created=TODAY + dt.timedelta(days=10),
                    closed=TODAY + dt.timedelta(days=20),
                    outcome="won",
                )
            )
    out = tmp_path / "report.csv"
    report = run_cli("rotate", "report", "--db", url, "--as-of", "2027-03-01", "--out", str(out))
    assert report.returncode == 0, report.stderr
    assert f"{len(back)}/{planned}" in report.stdout
    assert "выборка слишком мала для вывода" in report.stdout
    assert "По значимости" in report.stdout and "По получившим менеджерам" in report.stdout
    lines = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    overall = next(r for r in lines if r["прогон"] == "#1" and r["срез"] == "все")
    assert int(overall["передано, реактив."]) == len(back)
    assert float(overall["выручка переданных"]) == 10_000 * len(back)
    narrow = run_cli("rotate", "report", "--db", url, "--window", "5", "--run", "1")
    assert narrow.returncode == 0 and f"0/{planned}" in narrow.stdout


def test_rotate_refuses_bad_input_and_a_concurrent_run(demo: tuple[str, Engine]) -> None:
    url, engine = demo
    bad = run_cli("rotate", "run", "--db", url, "--holdout", "2")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    future = run_cli("rotate", "run", "--db", url, "--date", "2999-01-01")
    assert future.returncode == 1 and "в будущем" in future.stderr
    missing = run_cli("rotate", "report", "--db", url, "--run", "7")
    assert missing.returncode == 0  # no runs yet: says so plainly
    assert "Прогонов ротации ещё не было" in missing.stdout
    with job_lock(engine, "rotation", "cron-on-another-host:1"):
        busy = run_cli("rotate", "run", "--db", url, "--date", TODAY.isoformat())
    assert busy.returncode == 3, busy.stderr
    assert "уже выполняется" in busy.stderr


def test_settings_are_shown_and_stored(demo: tuple[str, Engine], tmp_path: Path) -> None:
    url, _ = demo
    shown = run_cli("rotate", "settings", "--db", url)
    assert shown.returncode == 0 and '"days": 60' in shown.stdout
    new = tmp_path / "rotation.json"
    new.write_text('{"days": 45, "by_tier": {"VIP": 30}, "holdout": 0.25}', encoding="utf-8")
    stored = run_cli("rotate", "settings", "--db", url, "--set", str(new))
    assert stored.returncode == 0, stored.stderr
    assert '"days": 45' in run_cli("rotate", "settings", "--db", url).stdout
    new.write_text('{"holdout": 3}', encoding="utf-8")
    wrong = run_cli("rotate", "settings", "--db", url, "--set", str(new))
    assert wrong.returncode == 1 and "holdout" in wrong.stderr

"""Export then import into an empty database gives the same clients (Hypothesis)."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.db.tables import Client
from clientbase.services.exporting import export_entity
from clientbase.services.importing import import_file, inn_is_valid

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=25
).map(str.strip)
_NAMES = st.tuples(st.sampled_from(["", "=", "+", "-", "@", "=1+", "{="]), _TEXT).map(
    lambda p: (p[0] + p[1]).strip()
)
_OPTIONAL = st.one_of(st.just(""), _TEXT)


def _inn(n: int) -> str:
    base = f"50{n:07d}"
    return next(base + str(d) for d in range(10) if inn_is_valid(base + str(d)))


@st.composite
def clients(draw: st.DrawFn) -> list[list[str]]:
    count = draw(st.integers(min_value=1, max_value=8))
    rows = []
    for i in range(count):
        name = draw(_NAMES.filter(bool))
        potential = draw(st.one_of(st.just(""), st.integers(0, 10**9).map(str)))
        tax_id = draw(st.one_of(st.just(""), st.integers(0, 9_999_999).map(_inn)))
        rows.append([f"C{i}", name, draw(_OPTIONAL), draw(_OPTIONAL), potential, tax_id])
    return rows


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated empty database, copied for every example (migrations are slow)."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _fresh(template: Path, path: Path) -> Engine:
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def _state(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        return sorted(
            session.execute(
                select(
                    Client.external_id,
                    Client.name,
                    Client.region,
                    Client.industry,
                    Client.potential,
                    Client.tax_id,
                    Client.status,
                )
            ).all()
        )


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=clients(), fmt=st.sampled_from(["csv", "xlsx"]))
def test_exported_clients_import_into_an_empty_database_unchanged(
    template: Path, rows: list[list[str]], fmt: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "in.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["client_id", "name", "region", "industry", "potential", "tax_id"])
            out.writerows(rows)
        first, second = _fresh(template, work / "a.db"), _fresh(template, work / "b.db")
        try:
            report = import_file(engine=first, entity="clients", path=source)
            assert report.ok, [e.line() for e in report.errors]
            exported = work / f"out.{fmt}"
            export_entity(engine=first, entity="clients", path=exported, fmt=fmt)
            again = import_file(engine=second, entity="clients", path=exported)
            assert again.ok, [e.line() for e in again.errors]
            assert _state(second) == _state(first)
            names = {r[1] for r in _state(second)}
            assert names == {row[1] for row in rows}
        finally:
            first.dispose()
            second.dispose()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_stored_name_starting_with_a_quote_and_equals_survives_export_and_import(
    template: Path, tmp_path: Path, fmt: str
) -> None:
    first, second = _fresh(template, tmp_path / "a.db"), _fresh(template, tmp_path / "b.db")
    source = tmp_path / "in.csv"
    source.write_text("client_id,name\nC1,x\n", encoding="utf-8")
    assert import_file(engine=first, entity="clients", path=source).ok
    with Session(first) as session:
        session.scalars(select(Client)).one().name = "'=СУММ(1)"
        session.commit()
    exported = tmp_path / f"out.{fmt}"
    export_entity(engine=first, entity="clients", path=exported, fmt=fmt)
    assert import_file(engine=second, entity="clients", path=exported).ok
    assert _state(second) == _state(first)
    first.dispose()
    second.dispose()

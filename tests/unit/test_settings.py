"""Settings come from CLIENTBASE_* variables and a `.env` file."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientbase.errors import (
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_INFEASIBLE,
    BadInputError,
    ConflictError,
    DatabaseError,
    InfeasibleError,
    NotFoundError,
    SchemaTooNewError,
)
from clientbase.settings import DEFAULT_DATABASE_URL, Settings


def test_the_default_database_is_a_sqlite_file_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLIENTBASE_DATABASE_URL", raising=False)
    assert Settings(_env_file=None).database_url == DEFAULT_DATABASE_URL  # type: ignore[call-arg]


def test_a_dot_env_file_sets_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLIENTBASE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "CLIENTBASE_DATABASE_URL=postgresql+psycopg://u@127.0.0.1/x\n", encoding="utf-8"
    )
    assert Settings().database_url == "postgresql+psycopg://u@127.0.0.1/x"


def test_the_environment_wins_over_the_dot_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CLIENTBASE_DATABASE_URL=sqlite:///a.db\n", encoding="utf-8")
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", "sqlite:///b.db")
    assert Settings().database_url == "sqlite:///b.db"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BadInputError, EXIT_BAD_INPUT),
        (NotFoundError, EXIT_BAD_INPUT),
        (DatabaseError, EXIT_BAD_INPUT),
        (SchemaTooNewError, EXIT_BAD_INPUT),
        (InfeasibleError, EXIT_INFEASIBLE),
        (ConflictError, EXIT_CONFLICT),
    ],
)
def test_each_error_kind_has_its_exit_code(error: type[BadInputError], code: int) -> None:
    assert error("x").exit_code == code
    assert str(error("сообщение")) == "сообщение"

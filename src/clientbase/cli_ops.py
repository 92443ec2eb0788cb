"""`clientbase backup FILE` and `clientbase restore FILE`: online copies of the whole base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out
from clientbase.services import backup as backups
from clientbase.services import database


def _counts(meta: dict[str, object]) -> Table:
    table = Table("Таблица", "Строк")
    tables = meta["tables"]
    assert isinstance(tables, dict)
    for name, info in tables.items():
        if info["rows"]:
            table.add_row(name, str(info["rows"]))
    return table


def backup(
    file: Annotated[Path, typer.Argument(help="Куда записать копию (.zip).")],
    db: DbOption = None,
) -> None:
    """Сохранить согласованную копию всей базы, не останавливая работу пользователей."""
    engine = database.open_database(db)
    with err.status("Сохраняю копию…") as status:
        meta = backups.backup(
            engine, file, progress=lambda name, rows: status.update(f"Сохранено: {name} ({rows})")
        )
    out.print(_counts(meta))
    out.print(f"Копия сохранена: {file} (схема {meta['revision']}).")


def restore(
    file: Annotated[Path, typer.Argument(help="Файл копии, сделанной `clientbase backup`.")],
    db: DbOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Не спрашивать подтверждения: данные базы заменятся.")
    ] = False,
) -> None:
    """Заменить содержимое базы копией, проверенной целиком; при ошибке база не меняется."""
    meta = backups.read_meta(file)
    if not yes:
        typer.confirm(
            f"Все данные базы будут заменены копией от {meta.get('created_at', '?')}. Продолжить?",
            abort=True,
        )
    engine = database.open_for_restore(db)
    with err.status("Проверяю копию…") as status:
        backups.restore(
            engine,
            file,
            checked=lambda name, rows: status.update(f"Проверено: {name} ({rows})"),
            progress=lambda name, rows: status.update(f"Восстановлено: {name} ({rows})"),
        )
    engine.dispose()
    out.print(_counts(meta))
    out.print(f"База восстановлена из {file}: копия проверена, все таблицы совпали.")

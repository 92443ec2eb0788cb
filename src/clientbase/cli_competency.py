"""`clientbase competency …`: the competency list, assessments, profiles and the matrix."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, out, write_rows
from clientbase.errors import BadInputError
from clientbase.io import readers, writers
from clientbase.services import competencies as comp
from clientbase.services import database

competency_app = typer.Typer(
    help="Компетенции менеджеров: список, оценки, профиль, матрица команды.",
    no_args_is_help=True,
)


class FileFormat(StrEnum):
    """Output file format."""

    csv = "csv"
    xlsx = "xlsx"


@competency_app.command("list")
def competency_list(db: DbOption = None) -> None:
    """Показать список компетенций с рекомендациями по обучению."""
    engine = database.open_database(db)
    table = Table("Код", "Компетенция", "Что развивать при низкой оценке")
    for c in comp.list_competencies(engine):
        table.add_row(c.code, c.name, c.training or "")
    out.print(table)


@competency_app.command("set")
def competency_set(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX со столбцами code, name, training.")],
    db: DbOption = None,
) -> None:
    """Заменить список компетенций (отсутствующие в файле перестают оцениваться)."""
    engine = database.open_database(db)
    table = readers.read_table(file)
    heads = [h.strip().lower() for h in table.headers]
    for need in ("code", "name"):
        if need not in heads:
            raise BadInputError(f"{table.file}: нужен столбец {need}.")
    items = []
    for position, row in enumerate(table.rows, start=1):
        cells = dict(zip(heads, row.values, strict=False))
        items.append(
            comp.CompetencyInfo(
                code=str(cells.get("code") or "").strip(),
                name=str(cells.get("name") or "").strip(),
                training=str(cells.get("training") or "").strip() or None,
                position=position * 10,
                active=True,
            )
        )
    added, updated, off = comp.set_competencies(engine, items)
    out.print(f"Компетенций добавлено {added}, изменено {updated}, снято с оценки {off}.")


@competency_app.command("assess")
def competency_assess(
    manager: Annotated[int, typer.Argument(help="ID менеджера.", min=1)],
    scores: Annotated[list[str], typer.Argument(help="Оценки код=балл (1–5): negotiation=3 …")],
    db: DbOption = None,
    date: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Дата оценки (сегодня).")
    ] = None,
    assessor: Annotated[str, typer.Option(help="Кто оценивает.")] = "head",
    comment: Annotated[str | None, typer.Option(help="Комментарий.")] = None,
) -> None:
    """Записать оценку менеджера по компетенциям."""
    parsed: dict[str, int] = {}
    for item in scores:
        code, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise BadInputError(f"«{item}»: ожидается код=балл, например negotiation=3.")
        parsed[code.strip()] = int(value)
    engine = database.open_database(db)
    on = date.date() if date else dt.date.today()
    n = comp.assess(engine, manager, parsed, on=on, assessor=assessor, comment=comment)
    out.print(f"Сохранено оценок: {n} (менеджер {manager}, {on:%d.%m.%Y}).")


@competency_app.command("show")
def competency_show(
    manager: Annotated[int, typer.Argument(help="ID менеджера.", min=1)],
    db: DbOption = None,
) -> None:
    """Профиль менеджера: последние оценки, изменения, сильные стороны, обучение."""
    engine = database.open_database(db)
    p = comp.profile(engine, manager)
    table = Table("Компетенция", "Балл", "Изменение", "Дата", title=p.manager)
    for line in p.lines:
        change = "" if line.change is None else f"{line.change:+d}"
        table.add_row(line.name, str(line.score), change, f"{line.assessed_on:%d.%m.%Y}")
    out.print(table)
    out.print(p.summary())
    for item in p.training:
        out.print(f"  • {item}")


@competency_app.command("matrix")
def competency_matrix(
    db: DbOption = None,
    team: Annotated[str | None, typer.Option(help="Только эта команда (отдел).")] = None,
    fmt: Annotated[FileFormat | None, typer.Option("--format", help="Записать в файл.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Куда записать.")] = None,
) -> None:
    """Матрица команды: менеджеры × компетенции (последние баллы)."""
    engine = database.open_database(db)
    columns, profiles = comp.matrix(engine, team=team)
    headers = ["Менеджер", *columns, "Средний балл", "Зоны роста"]
    rows: list[list[object]] = []
    for p in profiles:
        by_name = {line.name: line.score for line in p.lines}
        rows.append(
            [
                p.manager,
                *[by_name.get(c) for c in columns],
                round(p.average, 2) if p.average is not None else None,
                ", ".join(p.weak_spots),
            ]
        )
    if fmt is not None or out_file is not None:
        if out_file is None:
            raise BadInputError("Укажите --out FILE для записи матрицы.")
        if fmt is FileFormat.xlsx:
            writers.write_xlsx(out_file, headers, rows)
        elif fmt is FileFormat.csv:
            writers.write_csv(out_file, headers, rows)
        else:
            write_rows(out_file, headers, rows)
        out.print(f"Записано: {out_file} ({len(rows)} менеджеров).")
        return
    table = Table(*headers)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    out.print(table)


@competency_app.command("import")
def competency_import(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX: manager, date, competency, score.")],
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Проверить, не записывая.")] = False,
) -> None:
    """Загрузить оценки компетенций (всё или ничего)."""
    engine = database.open_database(db)
    rows, changed = comp.import_scores(engine, file, dry_run=dry_run)
    verb = "было бы изменено" if dry_run else "изменено"
    out.print(f"Строк {rows}, оценок {verb}: {changed}.")


@competency_app.command("export")
def competency_export(
    out_file: Annotated[Path, typer.Option("--out", help="Куда записать (.csv или .xlsx).")],
    db: DbOption = None,
) -> None:
    """Выгрузить все оценки компетенций (файл загружается обратно без изменений)."""
    engine = database.open_database(db)
    rows = comp.export_rows(engine)
    headers = [*comp.EXPORT_HEADERS, "assessor", "comment"]
    write_rows(out_file, headers, rows)
    out.print(f"Записано оценок: {len(rows)} в {out_file}.")

"""`clientbase import` and `export`: parse options, call the services, print with Rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from clientbase.services import database
from clientbase.services.exporting import ExportFormat, export_entity
from clientbase.services.importing import (
    ImportReport,
    ProgressCallback,
    import_file,
    load_mapping,
    write_errors,
)

out = Console()
err = Console(stderr=True)

# Files with fewer rows finish before a progress bar would be worth drawing.
PROGRESS_MIN_ROWS = 2000


class Entity(StrEnum):
    """What a file holds."""

    managers = "managers"
    clients = "clients"
    teams = "teams"
    deals = "deals"
    activities = "activities"
    plans = "plans"
    surveys = "surveys"
    feedback = "feedback"


class Source(StrEnum):
    """Where a file came from."""

    generic = "generic"
    bitrix24 = "bitrix24"
    amocrm = "amocrm"


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Адрес базы (по умолчанию CLIENTBASE_DATABASE_URL или sqlite:///clientbase.db).",
        show_default=False,
    ),
]


def import_(
    entity: Annotated[Entity, typer.Argument(help="Что в файле.", show_default=False)],
    file: Annotated[
        Path, typer.Argument(help="CSV, XLSX, XLS, ODS или JSON (amoCRM).", show_default=False)
    ],
    db: DbOpt = None,
    source: Annotated[
        Source, typer.Option("--source", help="Откуда выгружен файл.")
    ] = Source.generic,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help='JSON {"колонка в файле": "поле" или null}; запоминается для источника.',
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Проверить и показать итог, ничего не записывая.")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help="Записать ошибки в CSV (строка, колонка, значение, текст).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Загрузить файл: проверяются все строки; при любой ошибке не записывается ничего."""
    user_mapping = load_mapping(mapping) if mapping is not None else None
    engine = database.open_database(db, create=True)
    with _progress_bar(file.name) as progress:
        report = import_file(
            engine=engine,
            entity=entity.value,
            path=file,
            source=source.value,
            mapping=user_mapping,
            dry_run=dry_run,
            progress=progress,
        )
    for warning in report.warnings:
        err.print(f"[yellow]Предупреждение:[/] {report.file}: {warning}", highlight=False)
    if not report.ok:
        for issue in report.errors:
            err.print(issue.line(), highlight=False, markup=False, soft_wrap=True)
        if errors is not None:
            write_errors(report, errors)
            err.print(f"Ошибки записаны в {errors}", highlight=False)
        err.print(
            f"[bold red]Ошибка:[/] {report.file}: ошибок — {len(report.errors)}; "
            "ничего не записано.",
            highlight=False,
        )
        raise typer.Exit(code=1)
    _print_summary(report)


@contextmanager
def _progress_bar(name: str) -> Iterator[ProgressCallback]:
    """A Rich bar on stderr, drawn only once the file turns out to have many rows."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task: list[TaskID] = []

    def update(done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        if not task:
            bar.start()
            task.append(bar.add_task(f"Импорт {name}", total=total))
        bar.update(task[0], completed=done, total=total)

    try:
        yield update
    finally:
        if task:
            bar.stop()


def _print_summary(report: ImportReport) -> None:
    verb = "Проверка (ничего не записано)" if report.dry_run else "Импорт завершён"
    table = Table(title=f"{verb}: {report.entity} из {report.file} ({report.source})")
    table.add_column("Показатель")
    table.add_column("Число", justify="right")
    for label, value in (
        ("Строк в файле", report.rows),
        ("Добавлено", report.inserted),
        ("Обновлено", report.updated),
        ("Без изменений", report.unchanged),
        ("Связано с существующими по e-mail", report.linked),
        ("Предупреждений", len(report.warnings)),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if report.batch_id is not None:
        out.print(f"Загрузка №{report.batch_id} записана.")


def export(
    entity: Annotated[Entity, typer.Argument(help="Что выгрузить.", show_default=False)],
    out_path: Annotated[Path, typer.Option("--out", help="Файл результата.", show_default=False)],
    db: DbOpt = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Формат файла.")] = ExportFormat.csv,
) -> None:
    """Выгрузить сущность в CSV или XLSX с каноническими колонками (файл загружается обратно)."""
    engine = database.open_database(db)
    count = export_entity(engine=engine, entity=entity.value, path=out_path, fmt=fmt)
    out.print(f"Выгружено строк: {count} → {out_path}")

"""`clientbase contacts …`: the people at each client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, out, write_rows
from clientbase.services import contacts as svc
from clientbase.services import database

contacts_app = typer.Typer(
    help="Контакты клиентов: кто принимает решение, кто закупает, как связаться.",
    no_args_is_help=True,
)


@contacts_app.command("list")
def contacts_list(
    client: Annotated[int | None, typer.Argument(help="ID клиента (все — если не указан).")] = None,
    db: DbOption = None,
) -> None:
    """Контакты клиента (основной — первым)."""
    engine = database.open_database(db)
    table = Table("Клиент", "Контакт", "Должность", "Роль", "Телефон", "E-mail")
    for c in svc.list_contacts(engine, client):
        star = " ★" if c.primary else ""
        table.add_row(
            c.client,
            c.name + star,
            c.position or "",
            svc.PURCHASE_ROLES[c.purchase_role],
            c.phone or "",
            c.email or "",
        )
    out.print(table)


@contacts_app.command("add")
def contacts_add(
    client: Annotated[int, typer.Argument(help="ID клиента.", min=1)],
    name: Annotated[str, typer.Option(help="ФИО контакта.")],
    db: DbOption = None,
    position: Annotated[str | None, typer.Option(help="Должность.")] = None,
    phone: Annotated[str | None, typer.Option(help="Телефон.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail.")] = None,
    role: Annotated[str, typer.Option(help="Роль в закупке: ЛПР, закупщик, …")] = "other",
    primary: Annotated[bool, typer.Option("--primary", help="Основной контакт.")] = False,
) -> None:
    """Добавить контакт клиенту."""
    engine = database.open_database(db)
    c = svc.add_contact(
        engine,
        client,
        name=name,
        position=position,
        phone=phone,
        email=email,
        purchase_role=role,
        primary=primary,
    )
    out.print(f"Контакт «{c.name}» добавлен клиенту «{c.client}» (№ {c.id}).")


@contacts_app.command("import")
def contacts_import(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX: клиент, ФИО, должность, телефон…")],
    db: DbOption = None,
    source: Annotated[str, typer.Option(help="Откуда выгружен файл.")] = "generic",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Проверить, не записывая.")] = False,
) -> None:
    """Загрузить контакты (всё или ничего; повторная загрузка ничего не меняет)."""
    engine = database.open_database(db)
    rows, inserted, updated = svc.import_contacts(engine, file, source=source, dry_run=dry_run)
    if dry_run:
        out.print(
            f"Проверка, ничего не записано: строк {rows}, было бы добавлено {inserted}, "
            f"изменено {updated}."
        )
    else:
        out.print(f"Строк {rows}: добавлено {inserted}, изменено {updated}.")


@contacts_app.command("export")
def contacts_export(
    out_file: Annotated[Path, typer.Option("--out", help="Куда записать (.csv или .xlsx).")],
    db: DbOption = None,
) -> None:
    """Выгрузить все контакты."""
    engine = database.open_database(db)
    rows = svc.export_rows(engine)
    write_rows(out_file, svc.EXPORT_HEADERS, rows)
    out.print(f"Записано контактов: {len(rows)} в {out_file}.")

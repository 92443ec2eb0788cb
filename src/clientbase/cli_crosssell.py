"""`clientbase crosssell …`: route range-expansion opportunities, show and load the rule table."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.core.crosssell import KIND_RU, TAKEOVER_RU, CrossSellRules
from clientbase.errors import BadInputError
from clientbase.services import crosssell as xs
from clientbase.services import database

crosssell_app = typer.Typer(
    help="Кросс-продажи: возможность расширить ассортимент у клиента — аккаунт-менеджеру "
    "или, если он занят операционкой, охотнику или старшему аккаунт-менеджеру.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Правила кросс-продаж: порог нагрузки, кто забирает.")
crosssell_app.add_typer(rules_app, name="rules", no_args_is_help=True)

STATUS_RU = {
    "created": "создана сделка",
    "planned": "будет создана",
    "exists": "уже есть",
    "unrouted": "не распределена",
}
HEADERS = [
    "строка",
    "id возможности",
    "клиент id",
    "клиент",
    "товар",
    "сумма",
    "аккаунт-менеджер",
    "кому",
    "кто",
    "итог",
    "сделка",
    "причина",
]


class Format(StrEnum):
    """How the decisions are printed."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"


@crosssell_app.command("route")
def route(
    db: DbOption = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV/XLSX: client, product_line, amount, необязательно opportunity_id.",
            show_default=False,
        ),
    ] = None,
    client: Annotated[
        str | None,
        typer.Option(
            help="Одна возможность: клиент (id, внешний id или название).", show_default=False
        ),
    ] = None,
    product_line: Annotated[
        str | None, typer.Option("--product-line", help="Вид товара/услуги.", show_default=False)
    ] = None,
    amount: Annotated[float | None, typer.Option(help="Сумма.", show_default=False)] = None,
    opportunity_id: Annotated[
        str | None,
        typer.Option(
            "--id", help="Внешний id возможности (повтор ничего не создаст).", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Показать решения, ничего не записывая.")
    ] = False,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="На какую дату считать.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
) -> None:
    """Распределить возможности кросс-продаж; каждое решение — с причиной."""
    single = [client, product_line, amount]
    if file is None and any(v is None for v in single):
        raise BadInputError("Укажите --file или все три: --client, --product-line, --amount.")
    if file is not None and any(v is not None for v in single):
        raise BadInputError("Либо --file, либо одна возможность (--client…), не вместе.")
    if fmt is Format.xlsx and path is None:
        raise BadInputError("--format xlsx: укажите файл через --out.")
    engine = database.open_database(db)
    day = today.date() if today else None
    if file is not None:
        report = xs.route_file(engine=engine, path=file, today=day, dry_run=dry_run)
    else:
        assert client is not None and product_line is not None and amount is not None
        decision = xs.route_one(
            engine=engine,
            client=client,
            product_line=product_line,
            amount=amount,
            external_id=opportunity_id,
            today=day,
            dry_run=dry_run,
        )
        report = xs.CrossSellReport(decisions=[decision], dry_run=dry_run)
    rows = [
        [
            d.row or "",
            d.external_id,
            d.client_id,
            d.client,
            d.product_line,
            d.amount,
            d.account or "—",
            d.manager or "—",
            KIND_RU.get(d.kind, ""),
            STATUS_RU[d.status],
            d.deal_id or "",
            d.reason,
        ]
        for d in report.decisions
    ]
    if fmt is Format.table:
        table = Table(title="Кросс-продажи" + (" (пробный прогон)" if dry_run else ""))
        for h in ("№", "возможность", "клиент", "товар", "сумма", "аккаунт", "кому", "итог"):
            table.add_column(h, overflow="fold")
        for i, d in enumerate(report.decisions, start=1):
            who = f"{d.manager} ({KIND_RU[d.kind]})" if d.manager and d.kind else d.manager
            deal = f" #{d.deal_id}" if d.deal_id else ""
            table.add_row(
                str(i),
                d.external_id,
                f"{d.client} (#{d.client_id})",
                d.product_line,
                f"{d.amount:,.0f}".replace(",", " "),
                d.account or "—",
                who or "—",
                STATUS_RU[d.status] + deal,
            )
        out.print(table)
        for i, d in enumerate(report.decisions, start=1):
            out.print(f"{i}. {d.reason}", highlight=False)
    else:
        target = path or Path("/dev/stdout")
        n = write_rows(target, HEADERS, rows)
        if path is not None:
            err.print(f"Записано строк: {n} → {path}")
    done = report.count("planned" if dry_run else "created")
    err.print(
        f"{'Будет создано' if dry_run else 'Создано'} сделок: {done} "
        f"(из них передано от аккаунт-менеджера: {report.moved}); "
        f"уже были: {report.count('exists')}; не распределено: {report.count('unrouted')}.",
        highlight=False,
    )


OUTCOME_RU = {"open": "открыта", "won": "выиграна", "lost": "проиграна"}


@crosssell_app.command("list")
def list_(
    db: DbOption = None,
    manager: Annotated[
        int | None, typer.Option("--manager", help="Только этого менеджера (id).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Все, не только открытые (выигранные, проигранные).")
    ] = False,
    limit: Annotated[int, typer.Option(help="Не больше строк.", min=1)] = 1000,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
) -> None:
    """Сделки кросс-продаж (по умолчанию открытые) с причиной распределения."""
    if fmt is Format.xlsx and path is None:
        raise BadInputError("--format xlsx: укажите файл через --out.")
    engine = database.open_database(db)
    deals = xs.list_deals(engine=engine, manager_id=manager, open_only=not all_, limit=limit)
    headers = [
        "сделка",
        "id возможности",
        "клиент id",
        "клиент",
        "товар",
        "сумма",
        "менеджер id",
        "менеджер",
        "создана",
        "исход",
        "причина",
    ]
    rows = [
        [
            d.deal_id,
            d.external_id or "",
            d.client_id,
            d.client,
            d.product_line or "",
            d.amount,
            d.manager_id or "",
            d.manager or "—",
            d.created.isoformat(),
            OUTCOME_RU.get(d.outcome, d.outcome),
            d.reason or "",
        ]
        for d in deals
    ]
    if fmt is not Format.table:
        target = path or Path("/dev/stdout")
        n = write_rows(target, headers, rows)
        if path is not None:
            err.print(f"Записано строк: {n} → {path}")
        return
    table = Table(title="Сделки кросс-продаж" + ("" if all_ else " (открытые)"))
    for h in ("сделка", "клиент", "товар", "сумма", "менеджер", "создана", "исход", "причина"):
        table.add_column(h, overflow="fold")
    for d in deals:
        table.add_row(
            f"#{d.deal_id}",
            f"{d.client} (#{d.client_id})",
            d.product_line or "—",
            f"{d.amount:,.0f}".replace(",", " "),
            d.manager or "—",
            d.created.isoformat(),
            OUTCOME_RU.get(d.outcome, d.outcome),
            d.reason or "—",
        )
    out.print(table)
    out.print(f"Сделок: {len(deals)}.")


def _print_rules(rules: CrossSellRules) -> None:
    out.print(
        f"Порог операционной нагрузки: {rules.threshold:g} % (доля времени не на развитие "
        f"клиентов по фотографии дня за {rules.window_days} дн.; меньше {rules.min_hours:g} ч "
        "в фотографии — оценки нет, возможность у аккаунт-менеджера).",
        highlight=False,
    )
    order = " → ".join(TAKEOVER_RU[k] for k in rules.takeover)
    out.print(
        f"Кто забирает: {order}; старший аккаунт-менеджер — грейд ≥ {rules.senior_grade}.",
        highlight=False,
    )
    if not rules.segments:
        out.print("Правил по сегментам нет.")
        return
    table = Table(title="Правила по сегментам (первое подходящее)")
    for h in ("правило", "условие", "порог %", "кто забирает"):
        table.add_column(h)
    for s in rules.segments:
        cond = "; ".join(f"{p.value} = {'|'.join(sorted(v))}" for p, v in s.match.items())
        table.add_row(
            s.name,
            cond,
            f"{s.threshold:g}" if s.threshold is not None else "—",
            " → ".join(TAKEOVER_RU[k] for k in s.takeover) if s.takeover else "—",
        )
    out.print(table)


@rules_app.command("show")
def rules_show(db: DbOption = None) -> None:
    """Показать правила кросс-продаж (app_meta «cross_sell_rules» или по умолчанию)."""
    engine = database.open_database(db)
    _print_rules(xs.cross_sell_rules(engine=engine))


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="Файл TOML или JSON с правилами.")],
    db: DbOption = None,
) -> None:
    """Загрузить правила кросс-продаж из файла (заменяют сохранённые)."""
    engine = database.open_database(db)
    rules = xs.import_rules(engine=engine, path=file)
    out.print("Правила кросс-продаж сохранены.")
    _print_rules(rules)

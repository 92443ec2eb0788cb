"""`clientbase rotate …`: warning list, rotation runs (cron-safe) and the effect report."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.services import database
from clientbase.services import rotation as rot

rotate_app = typer.Typer(
    help="Ротация «спящих» клиентов: предупреждения, прогоны и измеренный эффект. "
    "`clientbase rotate --date D [--dry-run]` — то же, что `rotate run` (для cron).",
)

DateOpt = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Дата (ГГГГ-ММ-ДД), по умолчанию сегодня."),
]


class Format(StrEnum):
    """Output format of a list."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"


def _emit(
    title: str, headers: list[str], rows: list[list[Any]], fmt: Format, path: Path | None
) -> None:
    if fmt is Format.table and path is None:
        table = Table(title=title)
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)
        return
    if path is None:
        if fmt is Format.xlsx:
            raise BadInputError("--format xlsx: укажите файл через --out.")
        path = Path("/dev/stdout")
    if fmt is Format.xlsx and path.suffix.lower() != ".xlsx":
        raise BadInputError(f"--out {path}: для --format xlsx нужен файл .xlsx.")
    n = write_rows(path, headers, rows)
    if str(path) != "/dev/stdout":
        err.print(f"Записано строк: {n} → {path}")


def _money(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _pp(value: float) -> str:
    return f"{100 * value:+.1f}"


@rotate_app.command("warn")
def warn(
    db: DbOption = None,
    days: Annotated[
        int | None,
        typer.Option("--days", help="За сколько дней предупреждать (по умолчанию 14).", min=0),
    ] = None,
    manager: Annotated[int | None, typer.Option("--manager", help="Номер менеджера.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    today: DateOpt = None,
) -> None:
    """Клиенты, которые станут «спящими» в ближайшие K дней, по менеджерам."""
    engine = database.open_database(db)
    rows = rot.warning_list(
        engine=engine,
        today=today.date() if today else None,
        days=days,
        manager_id=manager,
    )
    headers = [
        "manager_id",
        "менеджер",
        "client_id",
        "клиент",
        "значимость",
        "последняя покупка",
        "порог, дней",
        "«спящий» с",
        "осталось дней",
        "выручка 12 мес.",
        "примечание",
    ]
    data = [
        [
            r.manager_id,
            r.manager,
            r.client_id,
            r.client,
            r.tier,
            r.last_purchase.isoformat(),
            r.threshold_days,
            r.dormant_on.isoformat(),
            r.days_left,
            r.revenue_12m if fmt is not Format.table else _money(r.revenue_12m),
            r.note,
        ]
        for r in rows
    ]
    _emit("Скоро станут «спящими»", headers, data, fmt, path)
    if fmt is Format.table and path is None:
        per: dict[str, int] = {}
        for r in rows:
            per[r.manager] = per.get(r.manager, 0) + 1
        summary = "; ".join(f"{k}: {v}" for k, v in sorted(per.items()))
        out.print(
            f"Клиентов в списке: {len(rows)}." + (f" По менеджерам — {summary}." if rows else "")
        )


@rotate_app.command("run")
def run(
    db: DbOption = None,
    date: DateOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Показать передачи, ничего не записывая.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Зерно жребия контрольной группы.", min=0)] = 0,
    holdout: Annotated[
        float | None,
        typer.Option(help="Доля контрольной группы (по умолчанию 0.2).", min=0.0, max=1.0),
    ] = None,
    confirm_vip: Annotated[
        bool, typer.Option("--confirm-vip", help="Руководитель подтверждает ротацию всех VIP.")
    ] = False,
    vip: Annotated[
        list[int] | None,
        typer.Option("--vip", help="Подтвердить ротацию этого VIP-клиента (ID; можно повторять)."),
    ] = None,
    path: Annotated[
        Path | None, typer.Option("--out", help="Записать всех кандидатов в CSV или XLSX.")
    ] = None,
    show: Annotated[int, typer.Option(help="Сколько строк кандидатов показать.", min=0)] = 30,
) -> None:
    """Прогон ротации за дату: контрольная группа остаётся, остальные переходят к другим."""
    engine = database.open_database(db)
    day = date.date() if date else dt.date.today()
    confirmed: rot.VipConfirmation = confirm_vip or frozenset(vip or ())
    if dry_run:
        result = rot.run_rotation(
            engine=engine,
            run_date=day,
            dry_run=True,
            seed=seed,
            holdout=holdout,
            confirm_vip=confirmed,
        )
    else:
        with err.status("Ротация…"):
            result = rot.run_rotation(
                engine=engine, run_date=day, seed=seed, holdout=holdout, confirm_vip=confirmed
            )
    out.print(result.message)
    if result.already_done:
        return
    if result.on_trial:
        out.print(f"Ещё под наблюдением после прошлых прогонов (не трогаем): {result.on_trial}.")
    if result.deals_moved or result.activities_moved:
        out.print(
            f"За клиентами перешли открытые сделки: {result.deals_moved}, "
            f"открытые задачи и активности: {result.activities_moved}."
        )
    unplaced: dict[str, int] = {}
    for m in result.members:
        if m.arm == "unplaced":
            unplaced[m.reason] = unplaced.get(m.reason, 0) + 1
    for reason, n in sorted(unplaced.items(), key=lambda kv: -kv[1])[:5]:
        out.print(f"Не передано ({n}): {reason}")
    if any(r.startswith("нет подходящего менеджера") for r in unplaced):
        out.print(
            "Подсказка: чтобы передавать таких клиентов, допустите к их сегментам ещё "
            "менеджеров (clientbase managers list) или добавьте head в receiver_groups "
            "(clientbase rotate settings)."
        )
    if result.receivers:
        table = Table(title="Загрузка менеджеров (по клиентам и часам, большее из двух)")
        for h in ("менеджер", "получил", "отдал", "загрузка до", "загрузка после"):
            table.add_column(h)
        for r in result.receivers:
            table.add_row(
                r.manager,
                str(r.received),
                str(r.given_away),
                f"{r.utilization_before:.1f} %",
                f"{r.utilization_after:.1f} %",
            )
        out.print(table)
    headers = [
        "client_id",
        "клиент",
        "значимость",
        "группа",
        "от менеджера",
        "к менеджеру",
        "дней без покупки",
        "причина",
    ]
    rows = [
        [
            m.client_id,
            m.client,
            m.tier,
            m.arm_ru,
            m.from_manager or "",
            m.to_manager or "",
            m.dormant_days,
            m.reason,
        ]
        for m in result.members
    ]
    if path is not None:
        n = write_rows(path, headers, rows)
        err.print(f"Записано строк: {n} → {path}")
    if show and rows:
        title = "Кандидаты" + (f" (первые {show} из {len(rows)})" if len(rows) > show else "")
        _emit(title, headers, rows[:show], Format.table, None)


def _comparison_row(scope: str, c: rot.Comparison) -> list[Any]:
    return [
        scope,
        c.label,
        c.rotated_n,
        c.rotated_reactivated,
        round(100 * c.rotated_rate, 1),
        c.holdout_n,
        c.holdout_reactivated,
        round(100 * c.holdout_rate, 1),
        round(100 * c.difference, 1),
        round(100 * c.low, 1),
        round(100 * c.high, 1),
        c.rotated_revenue,
        c.holdout_revenue,
        c.verdict,
    ]


REPORT_HEADERS = [
    "прогон",
    "срез",
    "передано, n",
    "передано, реактив.",
    "передано, %",
    "контроль, n",
    "контроль, реактив.",
    "контроль, %",
    "разница, п. п.",
    "95 % ДИ от",
    "95 % ДИ до",
    "выручка переданных",
    "выручка контроля",
    "вывод",
]


def _print_comparisons(title: str, rows: list[rot.Comparison]) -> None:
    table = Table(title=title)
    for h in (
        "срез",
        "передано: реактив./n",
        "контроль: реактив./n",
        "разница, п. п. [95 % ДИ]",
        "выручка переданных",
        "вывод",
    ):
        table.add_column(h, overflow="fold")
    for c in rows:
        table.add_row(
            c.label,
            f"{c.rotated_reactivated}/{c.rotated_n} ({_pct(c.rotated_rate)})",
            f"{c.holdout_reactivated}/{c.holdout_n} ({_pct(c.holdout_rate)})",
            f"{_pp(c.difference)} [{_pp(c.low)}; {_pp(c.high)}]",
            _money(c.rotated_revenue),
            c.verdict,
        )
    out.print(table)


@rotate_app.command("report")
def report(
    db: DbOption = None,
    window: Annotated[
        int | None,
        typer.Option(
            help="Окно реактивации, дней: выигранная сделка в нём (по умолчанию 90).", min=1
        ),
    ] = None,
    run_id: Annotated[int | None, typer.Option("--run", help="Подробно по одному прогону.")] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="На какую дату (закрыто ли окно)."),
    ] = None,
    path: Annotated[
        Path | None, typer.Option("--out", help="Записать все срезы в CSV или XLSX.")
    ] = None,
) -> None:
    """Эффект ротации: реактивация переданных и контрольной группы с 95 % интервалом."""
    engine = database.open_database(db)
    rep = rot.effect_report(engine=engine, window=window, as_of=as_of.date() if as_of else None)
    if not rep.runs:
        out.print("Прогонов ротации ещё не было: сравнивать нечего.")
        return
    if run_id is not None and all(r.run_id != run_id for r in rep.runs):
        raise BadInputError(f"--run {run_id}: такого прогона нет.")
    table = Table(title=f"Эффект ротации: реактивация = выигранная сделка за {rep.window} дней")
    for h in (
        "прогон",
        "дата",
        "окно до",
        "передано: реактив./n",
        "контроль: реактив./n",
        "разница, п. п. [95 % ДИ]",
        "выручка переданных",
        "вывод",
    ):
        table.add_column(h, overflow="fold")
    scopes = [*rep.runs, *([rep.cumulative] if rep.cumulative else [])]
    for r in scopes:
        c = r.overall
        table.add_row(
            f"#{r.run_id}" if r.run_id is not None else "всего",
            r.run_date.isoformat() if r.run_date else "",
            (r.window_end.isoformat() + ("" if r.window_complete else " (идёт)"))
            if r.window_end
            else "",
            f"{c.rotated_reactivated}/{c.rotated_n} ({_pct(c.rotated_rate)})",
            f"{c.holdout_reactivated}/{c.holdout_n} ({_pct(c.holdout_rate)})",
            f"{_pp(c.difference)} [{_pp(c.low)}; {_pp(c.high)}]",
            _money(c.rotated_revenue),
            c.verdict,
        )
    out.print(table)
    detail = rep.cumulative if run_id is None else next(r for r in rep.runs if r.run_id == run_id)
    if detail is not None:
        name = "все прогоны" if detail.run_id is None else f"прогон #{detail.run_id}"
        _print_comparisons(f"По значимости — {name}", detail.by_tier)
        _print_comparisons(
            f"По получившим менеджерам (против всей контрольной группы) — {name}", detail.by_manager
        )
        if detail.overall.too_small:
            out.print(
                "Выборка слишком мала для вывода: нужно не меньше "
                f"{rot.load_settings(engine).min_n} клиентов в каждой группе и хотя бы 5 "
                "реактиваций и 5 нереактиваций."
            )
    if rep.open_windows:
        out.print(
            f"Окно наблюдения ещё не закрыто у прогонов: {rep.open_windows}; "
            "их доли реактивации могут вырасти."
        )
    if path is not None:
        rows: list[list[Any]] = []
        for r in scopes:
            scope = f"#{r.run_id}" if r.run_id is not None else "всего"
            rows.append(_comparison_row(scope, r.overall))
            rows += [_comparison_row(scope, c) for c in r.by_tier]
            rows += [_comparison_row(scope, c) for c in r.by_manager]
        n = write_rows(path, REPORT_HEADERS, rows)
        err.print(f"Записано строк: {n} → {path}")


@rotate_app.command("settings")
def settings(
    db: DbOption = None,
    path: Annotated[
        Path | None,
        typer.Option(
            "--set", help="JSON с новыми настройками (не названные ключи — по умолчанию)."
        ),
    ] = None,
) -> None:
    """Показать или задать политику ротации (пороги, исключения, окно, доля контроля)."""
    engine = database.open_database(db)
    if path is None:
        current = rot.load_settings(engine)
    else:
        data = readers.read_settings(path, what="Файл политики ротации")
        if not isinstance(data, dict):
            raise BadInputError(f"Файл {path}: ожидается объект JSON.")
        current = rot.save_settings(engine=engine, data=data)
        err.print("Настройки ротации сохранены.")
    out.print_json(json.dumps(current.to_dict(), ensure_ascii=False))


@rotate_app.callback(invoke_without_command=True)
def rotate(
    ctx: typer.Context,
    db: DbOption = None,
    date: DateOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Показать передачи, ничего не записывая.")
    ] = False,
) -> None:
    """Ротация «спящих» клиентов; с --date — прогон за дату, как `rotate run` (для cron)."""
    if ctx.invoked_subcommand is not None:
        return
    if date is None and not dry_run:
        out.print(ctx.get_help())
        return
    run(
        db=db,
        date=date,
        dry_run=dry_run,
        seed=0,
        holdout=None,
        confirm_vip=False,
        vip=None,
        path=None,
    )

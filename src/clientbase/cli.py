"""The `clientbase` command line: parses options, calls services, prints with Rich."""

from __future__ import annotations

import csv
import datetime as dt
import os
import sqlite3
import sys
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from clientbase import __version__

try:  # typer ≥ 0.26 vendors its own click; its exceptions live there
    from typer._click import exceptions as cli_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as cli_exc  # type: ignore[no-redef]
from clientbase.cli_assign import assign
from clientbase.cli_board import board_command
from clientbase.cli_bonus import bonus_app
from clientbase.cli_capacity import capacity_app
from clientbase.cli_competency import competency_app
from clientbase.cli_contacts import contacts_app
from clientbase.cli_crosssell import crosssell_app
from clientbase.cli_io import export, import_
from clientbase.cli_jobs import jobs_app
from clientbase.cli_kpi import kpi_app
from clientbase.cli_ops import backup, restore
from clientbase.cli_plan import plan_app
from clientbase.cli_rotate import rotate_app
from clientbase.cli_teams import handoff, leave, manager_app, route_app, rules_app, team_app
from clientbase.cli_users import users_app
from clientbase.core.filters import ClientFilter, ManagerFilter
from clientbase.core.types import ClientStatus, RoleGroup, Tier
from clientbase.errors import EXIT_BAD_INPUT, BadInputError, ClientbaseError, DatabaseError
from clientbase.io import writers
from clientbase.services import catalog, database
from clientbase.services.demo import DemoParams, create_demo, create_demo_file

app = typer.Typer(
    name="clientbase",
    help="clientbase: распределение клиентов, нагрузка, роли, ротация и KPI отдела продаж.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="База данных: создание и миграции схемы.", no_args_is_help=True)
clients_app = typer.Typer(help="Клиенты: списки с фильтрами.", no_args_is_help=True)
managers_app = typer.Typer(help="Менеджеры: списки с фильтрами и нагрузкой.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(clients_app, name="clients")
app.add_typer(managers_app, name="managers")
app.add_typer(plan_app, name="plan")
app.add_typer(capacity_app, name="capacity")
app.add_typer(competency_app, name="competency")
app.add_typer(contacts_app, name="contacts")
app.add_typer(crosssell_app, name="crosssell")
app.add_typer(kpi_app, name="kpi")
app.add_typer(bonus_app, name="bonus")
app.add_typer(rotate_app, name="rotate")
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.command("import")(import_)
app.command("export")(export)
app.command("assign")(assign)
app.command("board")(board_command)
app.command("backup")(backup)
app.command("restore")(restore)
app.add_typer(team_app, name="team")
app.add_typer(route_app, name="route")
app.add_typer(manager_app, name="manager")
app.add_typer(rules_app, name="rules")
app.command("handoff")(handoff)
managers_app.command("leave")(leave)

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Адрес базы (по умолчанию CLIENTBASE_DATABASE_URL или sqlite:///clientbase.db).",
        show_default=False,
    ),
]


class OutputFormat(StrEnum):
    """How a list is printed."""

    table = "table"
    csv = "csv"


@app.command()
def version() -> None:
    """Показать версию clientbase."""
    out.print(f"clientbase {__version__}")


@app.command()
def demo(
    db: DbOption = None,
    clients: Annotated[int, typer.Option(help="Число клиентов.", min=1)] = 900,
    managers: Annotated[
        int | None,
        typer.Option(
            help="Число менеджеров по работе с клиентами (фермеров); "
            "по умолчанию 10 и больше — по одному на 90 клиентов.",
            min=1,
        ),
    ] = None,
    months: Annotated[int, typer.Option(help="Месяцев истории сделок.", min=1, max=120)] = 24,
    seed: Annotated[int, typer.Option(help="Зерно генератора (воспроизводимость).", min=0)] = 42,
    today: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Отчётная дата (по умолчанию сегодня)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Заменить данные, если база не пуста.")
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            help="Пароль демо-пользователей admin, rop и manager (по умолчанию случайный).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Создать демо-компанию: оптовик цифровой техники с историей сделок и активностей."""
    params = DemoParams(
        clients=clients,
        managers=managers or max(10, -(-clients // 90)),
        months=months,
        seed=seed,
        today=today.date() if today else dt.date.today(),
    )
    params.check()
    url = database.resolve_url(db)
    path = database.sqlite_path(url)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("Генерация и запись демо-компании", total=12)

        def step(table: str, rows: int) -> None:
            progress.update(task, advance=1, description=f"{table}: {rows}")

        if path is not None and not path.exists():
            if not path.parent.exists():
                raise DatabaseError(f"Папка {path.parent} для базы данных не существует.")
            summary = create_demo_file(path, params, progress=step)
        else:
            engine = database.open_database(url, create=True)
            summary = create_demo(engine, params, replace=replace, progress=step)
    table = Table(title=f"Демо-компания создана за {summary.seconds:.1f} с")
    table.add_column("Таблица")
    table.add_column("Строк", justify="right")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}".replace(",", " "))
    out.print(table)
    out.print(f"База: {make_url(url).render_as_string(hide_password=True)}")
    from clientbase.core.access import USER_ROLE_RU
    from clientbase.services import accounts

    secret = password or accounts.new_password()
    logins = accounts.ensure_demo_accounts(database.open_database(url), password=secret)
    people = Table(title="Вход в веб-приложение (clientbase serve)")
    for title in ("Логин", "Пароль", "Роль", "Кто"):
        people.add_column(title)
    for person in logins:
        people.add_row(person.login, secret, USER_ROLE_RU[person.role], person.name)
    out.print(people)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Создать базу или обновить её схему до последней версии."""
    engine = database.open_database(db, create=True)
    out.print(f"Схема обновлена: {engine.url.render_as_string(hide_password=True)}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Показать ревизию схемы базы и последнюю известную ревизию."""
    from clientbase.db import migrate

    url = database.resolve_url(db)
    path = database.sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseError(f"База данных {path} не найдена.")
    from clientbase.db.engine import make_engine

    engine = make_engine(url)
    current = migrate.check_known(engine)
    out.print(f"Ревизия базы: {current or '—'}; последняя: {migrate.head_revision(engine)}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}".replace(",", " ")
    return str(value)


def _print_rows(rows: list[Any], columns: list[tuple[str, str]], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.csv:
        # Text a spreadsheet would take for a formula (=1+1, =HYPERLINK(…)) gets a leading
        # apostrophe, as in every other export.
        writer = csv.writer(sys.stdout)
        writer.writerow([name for name, _ in columns])
        for row in rows:
            data = asdict(row)
            writer.writerow([writers.csv_cell(data[name]) for name, _ in columns])
        return
    table = Table()
    for _, title in columns:
        table.add_column(title, overflow="fold")
    for row in rows:
        data = asdict(row)
        table.add_row(*(_cell(data[name]) for name, _ in columns))
    out.print(table)


RegionOpt = Annotated[str | None, typer.Option(help="Регион (география).")]
IndustryOpt = Annotated[str | None, typer.Option(help="Отрасль.")]
ProductOpt = Annotated[str | None, typer.Option("--product-line", help="Вид товара/услуги.")]
ChannelOpt = Annotated[str | None, typer.Option(help="Канал распределения.")]
OwnershipOpt = Annotated[str | None, typer.Option(help="Форма собственности.")]
TierOpt = Annotated[str | None, typer.Option(help="Значимость: VIP, A, B, C.")]
SearchOpt = Annotated[str | None, typer.Option(help="Поиск по названию, ИНН или e-mail.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="Вид вывода.")]


CLIENT_COLUMNS = [
    ("id", "ID"),
    ("name", "Клиент"),
    ("region", "Регион"),
    ("industry", "Отрасль"),
    ("product_line", "Товар"),
    ("channel", "Канал"),
    ("ownership", "Собственность"),
    ("tier", "Знач."),
    ("status", "Статус"),
    ("potential", "Потенциал"),
    ("owner", "Ответственный"),
]
MANAGER_COLUMNS = [
    ("id", "ID"),
    ("name", "Менеджер"),
    ("role_group", "Группа"),
    ("team", "Команда"),
    ("grade", "Грейд"),
    ("regions", "Регионы"),
    ("tiers", "Значимость"),
    ("ownerships", "Собственность"),
    ("clients", "Клиентов"),
]


@clients_app.command("set")
def clients_set(
    client_id: Annotated[int, typer.Argument(help="ID клиента.", min=1)],
    changes: Annotated[
        list[str], typer.Argument(help="Изменения поле=значение, например tier=A region=Москва.")
    ],
    db: DbOption = None,
    version: Annotated[
        int | None,
        typer.Option(help="Версия карточки, которую вы видели: при расхождении — отказ."),
    ] = None,
) -> None:
    """Изменить карточку клиента (значимость, статус, сегменты, потенциал, закрепление)."""
    from clientbase.services import client_edit

    parsed: dict[str, str] = {}
    for item in changes:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise BadInputError(f"«{item}»: ожидается поле=значение.")
        parsed[field.strip()] = value
    engine = database.open_database(db)
    if version is None:
        version = client_edit.current_version(engine, client_id)
    result = client_edit.edit_client(engine, client_id, parsed, expected_version=version)
    if not result.changed:
        out.print(f"Клиент {client_id}: ничего не изменилось (версия {result.version}).")
        return
    for field, (old, new) in result.changed.items():
        out.print(f"{client_edit.FIELD_NAMES_RU[field]}: {old} → {new}")
    out.print(f"Клиент {client_id} сохранён, версия {result.version}.")


@clients_app.command("list")
def clients_list(
    db: DbOption = None,
    region: RegionOpt = None,
    industry: IndustryOpt = None,
    product_line: ProductOpt = None,
    channel: ChannelOpt = None,
    ownership: OwnershipOpt = None,
    tier: Annotated[Tier | None, typer.Option(help="Значимость.")] = None,
    status: Annotated[ClientStatus | None, typer.Option(help="Статус клиента.")] = None,
    owner: Annotated[int | None, typer.Option(help="ID ответственного менеджера.")] = None,
    search: SearchOpt = None,
    limit: Annotated[int, typer.Option(help="Сколько строк показать.", min=1)] = 50,
    offset: Annotated[int, typer.Option(help="Сколько строк пропустить.", min=0)] = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Список клиентов с фильтрами по каждому принципу сегментации."""
    engine = database.open_database(db)
    f = ClientFilter(
        region=region,
        industry=industry,
        product_line=product_line,
        channel=channel,
        ownership=ownership,
        tier=tier.value if tier else None,
        status=status.value if status else None,
        owner_id=owner,
        search=search,
    )
    page = catalog.list_clients(engine, f, limit=limit, offset=offset)
    _print_rows(page.rows, CLIENT_COLUMNS, fmt)
    if fmt is OutputFormat.table:
        out.print(f"Показано {len(page.rows)} из {page.total} (с {offset + 1}).")


@managers_app.command("list")
def managers_list(
    db: DbOption = None,
    role_group: Annotated[
        RoleGroup | None, typer.Option("--role-group", help="Группа ролей.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Команда / отдел.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Только активные / неактивные.")
    ] = None,
    region: RegionOpt = None,
    industry: IndustryOpt = None,
    product_line: ProductOpt = None,
    channel: ChannelOpt = None,
    ownership: OwnershipOpt = None,
    tier: TierOpt = None,
    search: SearchOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Список менеджеров с допустимыми сегментами и числом клиентов."""
    engine = database.open_database(db)
    f = ManagerFilter(
        role_group=role_group.value if role_group else None,
        team=team,
        active=active,
        region=region,
        industry=industry,
        product_line=product_line,
        channel=channel,
        ownership=ownership,
        tier=tier,
        search=search,
    )
    rows = catalog.list_managers(engine, f)
    _print_rows(rows, MANAGER_COLUMNS, fmt)
    if fmt is OutputFormat.table:
        out.print(f"Менеджеров: {len(rows)}.")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Адрес, на котором слушать.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Порт.", min=1, max=65535)] = 8000,
) -> None:
    """Запустить веб-приложение (по умолчанию на http://127.0.0.1:8000)."""
    import uvicorn

    from clientbase.web.app import create_app

    engine = database.open_database(db)
    out.print(f"clientbase: http://{host}:{port}/  (Ctrl+C — остановить)")
    from clientbase.settings import get_settings

    app_ = create_app(engine, scheduler=get_settings().scheduler)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _fail(message: str, code: int) -> int:
    err.print(f"[bold red]Ошибка:[/] {message}", highlight=False, soft_wrap=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; every user-facing failure becomes one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="clientbase",
            standalone_mode=False,
        )
    except ClientbaseError as exc:
        return _fail(exc.message, exc.exit_code)
    except cli_exc.NoArgsIsHelpError as exc:
        err.print(exc.format_message() if hasattr(exc, "format_message") else str(exc))
        return 0
    except cli_exc.UsageError as exc:
        hint = f" (см. `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        return _fail(exc.format_message() + hint, EXIT_BAD_INPUT)
    except typer.Abort:
        return _fail("прервано.", 130)
    except cli_exc.ClickException as exc:
        return _fail(exc.format_message(), EXIT_BAD_INPUT)
    except OperationalError as exc:
        return _fail(f"база данных недоступна: {str(exc.orig).splitlines()[0]}", 1)
    except (SQLAlchemyError, sqlite3.Error, psycopg.Error) as exc:
        if os.environ.get("CLIENTBASE_DEBUG"):
            raise
        return _fail(f"ошибка базы данных: {str(exc).splitlines()[0]}", 1)
    except KeyboardInterrupt:
        return _fail("прервано.", 130)
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())


__all__ = ["app", "main", "run"]

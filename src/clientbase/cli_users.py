"""`clientbase users …`: web accounts (admin, head of sales, manager)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, out
from clientbase.core.access import USER_ROLE_RU, UserRole
from clientbase.core.passwords import policy_text
from clientbase.services import accounts, database

users_app = typer.Typer(
    help="Учётные записи веб-приложения: администратор, РОП, менеджер.", no_args_is_help=True
)

PASSWORD_ENV = "CLIENTBASE_NEW_PASSWORD"
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        help=f"Пароль ({policy_text()}). Без него берётся {PASSWORD_ENV} "
        "или создаётся случайный и печатается.",
        show_default=False,
    ),
]


def _password(given: str | None, login: str) -> tuple[str, bool]:
    """The password to set and whether it was generated (and so must be printed).

    A given one is checked against the password policy by the service (Russian message,
    exit code 1); a generated one always passes it.
    """
    if given:
        return given, False
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env, False
    return accounts.new_password(avoid=[login]), True


@users_app.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="Логин.")],
    role: Annotated[UserRole, typer.Option(help="Роль: manager, head или admin.")],
    db: DbOption = None,
    name: Annotated[str | None, typer.Option(help="Имя (по умолчанию — имя менеджера).")] = None,
    manager: Annotated[
        int | None, typer.Option(help="ID менеджера, чьи клиенты и результаты видны.", min=1)
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="Отдел (команда) РОП; без него — все отделы.")
    ] = None,
    language: Annotated[str, typer.Option(help="Язык интерфейса: ru или en.")] = "ru",
    password: PasswordOpt = None,
) -> None:
    """Добавить учётную запись."""
    engine = database.open_database(db)
    secret, generated = _password(password, login)
    user = accounts.create_user(
        engine,
        login=login,
        password=secret,
        role=role,
        name=name,
        manager_id=manager,
        team=team,
        language=language,
    )
    out.print(f"Учётная запись «{user.login}» ({USER_ROLE_RU[user.role]}) создана.")
    if generated:
        out.print(f"Пароль: {secret}", highlight=False)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """Список учётных записей."""
    engine = database.open_database(db)
    table = Table()
    for title in ("Логин", "Имя", "Роль", "Менеджер", "Отдел", "Активна"):
        table.add_column(title)
    for u in accounts.list_users(engine):
        table.add_row(
            u.login,
            u.name,
            USER_ROLE_RU[u.role],
            str(u.manager_id or ""),
            u.team or "все" if u.role is not UserRole.MANAGER else "",
            "да" if u.active else "нет",
        )
    out.print(table)


@users_app.command("disable")
def users_disable(
    login: Annotated[str, typer.Argument(help="Логин.")], db: DbOption = None
) -> None:
    """Отключить учётную запись; её сеансы завершаются сразу."""
    engine = database.open_database(db)
    ended = accounts.disable_user(engine, login=login)
    out.print(f"Учётная запись «{login}» отключена; завершено сеансов: {ended}.")


@users_app.command("enable")
def users_enable(login: Annotated[str, typer.Argument(help="Логин.")], db: DbOption = None) -> None:
    """Включить отключённую учётную запись."""
    engine = database.open_database(db)
    accounts.enable_user(engine, login=login)
    out.print(f"Учётная запись «{login}» включена.")


@users_app.command("reset-password")
def users_reset_password(
    login: Annotated[str, typer.Argument(help="Логин.")],
    db: DbOption = None,
    password: PasswordOpt = None,
) -> None:
    """Задать новый пароль (или случайный) и завершить все сеансы пользователя."""
    engine = database.open_database(db)
    secret, generated = _password(password, login)
    accounts.reset_password(engine, login=login, password=secret)
    out.print(f"Пароль «{login}» изменён; все сеансы завершены.")
    if generated:
        out.print(f"Новый пароль: {secret}", highlight=False)

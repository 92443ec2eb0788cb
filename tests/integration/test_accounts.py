"""Accounts and sessions: passwords, rotation, timeouts, disabling, the login rate limit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from clientbase.core.access import UserRole
from clientbase.db.tables import Manager, User, UserSession
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.services import accounts
from clientbase.services.accounts import AuthError

NOW = dt.datetime(2026, 11, 26, 9, 0)


def _head(engine: Engine, login: str = "rop", password: str = "secret-pass") -> None:
    accounts.create_user(engine, login=login, password=password, role=UserRole.HEAD)


def test_a_correct_password_opens_a_session_whose_token_is_stored_only_as_a_hash(
    engine: Engine,
) -> None:
    _head(engine)
    result = accounts.login(engine, login="ROP", password="secret-pass", now=NOW)
    assert result.user.login == "rop" and result.user.role is UserRole.HEAD
    with UnitOfWork(engine) as uow:
        stored = list(uow.session.scalars(select(UserSession.token_hash)))
        hashed = uow.session.scalar(select(User.password_hash))
    assert stored == [accounts.token_hash(result.token)] and result.token not in stored
    assert hashed is not None and hashed.startswith("$argon2")
    assert accounts.resolve(engine, result.token, now=NOW) is not None


def test_a_wrong_password_or_unknown_login_gets_the_same_answer(engine: Engine) -> None:
    _head(engine)
    with pytest.raises(AuthError) as wrong:
        accounts.login(engine, login="rop", password="nope-nope", now=NOW)
    with pytest.raises(AuthError) as unknown:
        accounts.login(engine, login="nobody", password="nope-nope", now=NOW)
    assert wrong.value.message == unknown.value.message == "Неверный логин или пароль."


def test_a_new_login_rotates_the_token_and_ends_the_old_session(engine: Engine) -> None:
    _head(engine)
    first = accounts.login(engine, login="rop", password="secret-pass", now=NOW)
    second = accounts.login(
        engine, login="rop", password="secret-pass", old_token=first.token, now=NOW
    )
    assert second.token != first.token
    assert accounts.resolve(engine, first.token, now=NOW) is None
    assert accounts.resolve(engine, second.token, now=NOW) is not None


def test_sessions_expire_after_the_idle_time_and_after_the_absolute_time(engine: Engine) -> None:
    _head(engine)
    idle = accounts.login(engine, login="rop", password="secret-pass", now=NOW).token
    assert accounts.resolve(engine, idle, now=NOW + dt.timedelta(minutes=119)) is not None
    assert accounts.resolve(engine, idle, now=NOW + dt.timedelta(minutes=119 + 121)) is None
    busy = accounts.login(engine, login="rop", password="secret-pass", now=NOW).token
    for minutes in range(0, 12 * 60, 100):  # active all day: still ends after 12 hours
        assert accounts.resolve(engine, busy, now=NOW + dt.timedelta(minutes=minutes))
    assert accounts.resolve(engine, busy, now=NOW + dt.timedelta(hours=12, minutes=1)) is None


def test_disabling_a_user_kills_his_sessions_at_once(engine: Engine) -> None:
    _head(engine)
    token = accounts.login(engine, login="rop", password="secret-pass", now=NOW).token
    assert accounts.disable_user(engine, login="rop") == 1
    assert accounts.resolve(engine, token, now=NOW) is None
    with pytest.raises(AuthError, match="отключена"):
        accounts.login(engine, login="rop", password="secret-pass", now=NOW)


def test_a_password_reset_ends_every_session_and_the_old_password(engine: Engine) -> None:
    _head(engine)
    token = accounts.login(engine, login="rop", password="secret-pass", now=NOW).token
    new = accounts.reset_password(engine, login="rop")
    assert len(new) == 12
    assert accounts.resolve(engine, token, now=NOW) is None
    with pytest.raises(AuthError):
        accounts.login(engine, login="rop", password="secret-pass", now=NOW)
    assert accounts.login(engine, login="rop", password=new, now=NOW).user.login == "rop"


def test_five_wrong_passwords_lock_the_account_for_a_while(engine: Engine) -> None:
    _head(engine)
    for _ in range(5):
        with pytest.raises(AuthError, match="Неверный"):
            accounts.login(engine, login="rop", password="guess-guess", now=NOW)
    with pytest.raises(AuthError, match="Слишком много"):
        accounts.login(engine, login="rop", password="secret-pass", now=NOW)
    later = NOW + dt.timedelta(minutes=16)
    assert accounts.login(engine, login="rop", password="secret-pass", now=later).user


def test_a_manager_account_must_name_an_existing_manager(engine: Engine) -> None:
    with pytest.raises(BadInputError, match="--manager"):
        accounts.create_user(engine, login="m", password="secret-pass", role=UserRole.MANAGER)
    with pytest.raises(BadInputError, match="не найден"):
        accounts.create_user(
            engine, login="m", password="secret-pass", role=UserRole.MANAGER, manager_id=999
        )


def test_short_passwords_and_taken_logins_are_refused(engine: Engine) -> None:
    with pytest.raises(BadInputError, match="короче"):
        accounts.create_user(engine, login="rop", password="short", role=UserRole.HEAD)
    _head(engine)
    with pytest.raises(BadInputError, match="занят"):
        _head(engine, login="Rop")


def test_demo_accounts_are_made_again_with_the_new_password(engine: Engine) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(Manager(name="Фермер", role_group="farmer"))
        uow.commit()
    accounts.ensure_demo_accounts(engine, password="first-pass")
    made = accounts.ensure_demo_accounts(engine, password="second-pass")
    assert [a.login for a in made] == ["admin", "rop"]  # no farmer holds clients yet
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(User)) == 2
    assert accounts.login(engine, login="admin", password="second-pass", now=NOW)

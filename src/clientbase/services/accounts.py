"""Web accounts: users, passwords (Argon2 via pwdlib), login sessions kept in the database.

A session cookie carries a random token; the table keeps only its SHA-256, so a copy of the
database does not let anybody in. Sessions end after an idle time and an absolute time, on
logout, on a password reset and when the user is disabled. A new token is issued at every
login (session fixation). After `login_max_failures` wrong passwords in a row the account
waits `login_lock_minutes` (the rate limit holds across web workers: it is in the database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlalchemy import Engine

from clientbase.core.access import Scope, UserRole
from clientbase.db.accounts_repository import AccountRepository
from clientbase.db.tables import User, UserSession
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ClientbaseError, NotFoundError
from clientbase.settings import get_settings

MIN_PASSWORD_LENGTH = 8
# Sessions are touched at most this often, so reading pages does not write on every click.
TOUCH_EVERY = dt.timedelta(seconds=60)

_hasher = PasswordHash.recommended()
# Verified when the login is unknown, so both answers take the same time (no user probing).
_DUMMY_HASH = _hasher.hash("clientbase-dummy-password")


class AuthError(ClientbaseError):
    """Login refused: wrong login or password, disabled or waiting account."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An account as listed."""

    id: int
    login: str
    name: str
    role: UserRole
    manager_id: int | None
    team: str | None
    language: str
    active: bool


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user behind a request, with what the session allows."""

    id: int
    login: str
    name: str
    role: UserRole
    manager_id: int | None
    team: str | None
    language: str
    csrf_token: str

    @property
    def scope(self) -> Scope:
        """What this user may see."""
        return Scope(role=self.role, manager_id=self.manager_id, team=self.team)


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A new session: the cookie's token and the user."""

    token: str
    user: CurrentUser


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A random password that is easy to type (12 characters, no look-alikes)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInputError(f"Пароль короче {MIN_PASSWORD_LENGTH} символов.")
    if len(password) > 200:
        raise BadInputError("Пароль длиннее 200 символов.")


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        login=user.login,
        name=user.name,
        role=UserRole(user.role),
        manager_id=user.manager_id,
        team=user.team,
        language=user.language,
        active=user.active,
    )


def create_user(
    engine: Engine,
    *,
    login: str,
    password: str,
    role: UserRole,
    name: str | None = None,
    manager_id: int | None = None,
    team: str | None = None,
    language: str = "ru",
) -> UserInfo:
    """Add an account; a manager's account must name his manager record."""
    login = login.strip()
    if not login or len(login) > 120 or any(c.isspace() for c in login):
        raise BadInputError("Логин: от 1 до 120 символов без пробелов.")
    _check_password(password)
    if role is UserRole.MANAGER and manager_id is None:
        raise BadInputError("Учётной записи менеджера нужен --manager (ID менеджера).")
    if language not in ("ru", "en"):
        raise BadInputError("Язык: ru или en.")
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        if repo.by_login(login) is not None:
            raise BadInputError(f"Логин «{login}» уже занят.")
        manager = repo.manager(manager_id) if manager_id is not None else None
        if manager_id is not None and manager is None:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        user = User(
            login=login,
            name=name or (manager.name if manager else login),
            password_hash=_hasher.hash(password),
            role=role.value,
            manager_id=manager_id,
            team=team or None,
            language=language,
            active=True,
            failed_logins=0,
        )
        repo.add(user)
        info = _info(user)
        uow.commit()
        return info


def list_users(engine: Engine) -> list[UserInfo]:
    """Every account."""
    with UnitOfWork(engine) as uow:
        return [_info(u) for u in AccountRepository(uow.session).all()]


def _user(repo: AccountRepository, login: str) -> User:
    user = repo.by_login(login)
    if user is None:
        raise NotFoundError(f"Учётная запись «{login}» не найдена.")
    return user


def disable_user(engine: Engine, *, login: str) -> int:
    """Disable an account and end its sessions at once; how many sessions were ended."""
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        user = _user(repo, login)
        user.active = False
        ended = repo.drop_sessions_of(user.id)
        uow.commit()
        return ended


def enable_user(engine: Engine, *, login: str) -> None:
    """Enable a disabled account again (its old sessions stay ended)."""
    with UnitOfWork(engine, write=True) as uow:
        user = _user(AccountRepository(uow.session), login)
        user.active = True
        user.failed_logins = 0
        user.locked_until = None
        uow.commit()


def set_language(engine: Engine, *, user_id: int, language: str) -> None:
    """Set the language of a user's web pages ('ru' or 'en'); it wins over the browser's."""
    if language not in ("ru", "en"):
        raise BadInputError(f"Язык «{language}» не поддерживается: ru или en.")
    with UnitOfWork(engine, write=True) as uow:
        user = AccountRepository(uow.session).get(user_id)
        if user is None:
            raise NotFoundError(f"Учётная запись #{user_id} не найдена.")
        user.language = language
        uow.commit()


def reset_password(engine: Engine, *, login: str, password: str | None = None) -> str:
    """Set a new password (random when not given), end all sessions; the new password."""
    password = password or new_password()
    _check_password(password)
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        user = _user(repo, login)
        user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        repo.drop_sessions_of(user.id)
        uow.commit()
    return password


def _current(user: User, csrf: str) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        login=user.login,
        name=user.name,
        role=UserRole(user.role),
        manager_id=user.manager_id,
        team=user.team,
        language=user.language,
        csrf_token=csrf,
    )


WRONG = "Неверный логин или пароль."


def login(
    engine: Engine,
    *,
    login: str,
    password: str,
    old_token: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a password and open a new session (the old one, if any, is ended)."""
    settings = get_settings()
    now = now or _now()
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        if old_token:
            repo.drop_session(token_hash(old_token))
        user = repo.by_login(login) if login and len(login) <= 120 else None
        if user is None:
            _hasher.verify(password[:200], _DUMMY_HASH)
            uow.commit()
            raise AuthError(WRONG)
        if user.locked_until is not None and user.locked_until > now:
            uow.commit()
            minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
            raise AuthError(f"Слишком много неверных попыток входа; повторите через {minutes} мин.")
        ok, new_hash = _hasher.verify_and_update(password[:200], user.password_hash)
        if not ok or not user.active:
            if not ok:
                user.failed_logins += 1
                if user.failed_logins >= settings.login_max_failures:
                    user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
                    user.failed_logins = 0
            uow.commit()
            raise AuthError(WRONG if not ok else "Учётная запись отключена.")
        if new_hash:
            user.password_hash = new_hash
        user.failed_logins = 0
        user.locked_until = None
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        repo.add_session(
            UserSession(
                token_hash=token_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                last_seen=now,
            )
        )
        current = _current(user, csrf)
        uow.commit()
        return LoginResult(token=token, user=current)


def resolve(engine: Engine, token: str, *, now: dt.datetime | None = None) -> CurrentUser | None:
    """The user of a live session, None when the token is unknown, expired or disabled."""
    if not token or len(token) > 100:
        return None
    settings = get_settings()
    now = now or _now()
    key = token_hash(token)
    with UnitOfWork(engine) as uow:
        found = AccountRepository(uow.session).session_with_user(key)
        if found is None:
            return None
        record, user = found
        idle = now - record.last_seen > dt.timedelta(minutes=settings.session_idle_minutes)
        old = now - record.created_at > dt.timedelta(hours=settings.session_absolute_hours)
        stale = now - record.last_seen > TOUCH_EVERY
        current = _current(user, record.csrf_token)
        alive = user.active and not idle and not old
    if not alive:
        logout(engine, token)
        return None
    if stale:
        with UnitOfWork(engine, write=True) as uow:
            AccountRepository(uow.session).touch(key, now)
            uow.commit()
    return current


def logout(engine: Engine, token: str) -> None:
    """End the session of this token (nothing when there is none)."""
    with UnitOfWork(engine, write=True) as uow:
        AccountRepository(uow.session).drop_session(token_hash(token))
        uow.commit()


def purge_sessions(engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Remove expired sessions (a scheduled job); how many were removed."""
    settings = get_settings()
    now = now or _now()
    with UnitOfWork(engine, write=True) as uow:
        removed = AccountRepository(uow.session).drop_expired(
            now - dt.timedelta(minutes=settings.session_idle_minutes),
            now - dt.timedelta(hours=settings.session_absolute_hours),
        )
        uow.commit()
        return removed


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A login made for the demo company, to be printed for the user."""

    login: str
    role: UserRole
    name: str


def ensure_demo_accounts(engine: Engine, *, password: str) -> list[DemoAccount]:
    """Admin, head of sales (whole company) and the busiest account manager, one password.

    Existing accounts of those logins get the password again (a re-made demo).
    """
    _check_password(password)
    made: list[DemoAccount] = []
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        farmer = repo.busiest_farmer()
        wanted: list[tuple[str, UserRole, str, int | None]] = [
            ("admin", UserRole.ADMIN, "Администратор", None),
            ("rop", UserRole.HEAD, "Руководитель отдела продаж", None),
        ]
        if farmer is not None:
            wanted.append(("manager", UserRole.MANAGER, farmer.name, farmer.id))
        hashed = _hasher.hash(password)
        for login_name, role, name, manager_id in wanted:
            user = repo.by_login(login_name)
            if user is None:
                user = User(login=login_name, failed_logins=0)
                repo.add_pending(user)
            user.name = name
            user.role = role.value
            user.manager_id = manager_id
            user.team = None
            user.active = True
            user.failed_logins = 0
            user.locked_until = None
            user.password_hash = hashed
            made.append(DemoAccount(login_name, role, name))
        uow.commit()
    return made

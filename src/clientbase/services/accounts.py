"""Web accounts: users, passwords (Argon2 via pwdlib), login sessions kept in the database.

A session cookie carries a random token; the table keeps only its SHA-256, so a copy of the
database does not let anybody in. Sessions end after an idle time and an absolute time, on
logout, on a password reset and when the user is disabled. A new token is issued at every
login (session fixation).

A login never holds the write lock while a password hash is checked: the user is read in a
read-only unit of work, the hash is verified with no transaction open (at most
`login_hash_concurrency` checks at once), and the outcome is written in a short write
transaction. Every attempt — unknown login, wrong password, account waiting — runs exactly
one hash check and gets the same answer. Wrong passwords in a row space out the account's
next checks (core/login_throttle.py, docs/decisions/0025-login-throttling.md); a browser
that logged in to the account before carries a device cookie and is not held by that wait.
Passwords follow the policy of core/passwords.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from pwdlib import PasswordHash
from sqlalchemy import Engine

from clientbase.core.access import Scope, UserRole
from clientbase.core.login_throttle import AccountBrake
from clientbase.core.passwords import MAX_LENGTH, password_problems
from clientbase.db.accounts_repository import AccountRepository
from clientbase.db.tables import User, UserSession
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ClientbaseError, NotFoundError
from clientbase.settings import get_settings

# Sessions are touched at most this often, so reading pages does not write on every click.
TOUCH_EVERY = dt.timedelta(seconds=60)
# How long a browser is remembered as one that logged in to an account (the device cookie).
DEVICE_DAYS = 90
# The logins `clientbase demo` makes; a generated password never contains one of them.
DEMO_LOGINS = ("admin", "rop", "manager")

_hasher = PasswordHash.recommended()

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


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
    """A new session: the cookie's token, the user and this browser's device token."""

    token: str
    user: CurrentUser
    device: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords shipped in the package (clientbase/data/README.md says whence)."""
    packed = files("clientbase").joinpath("data", "common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(packed).decode("utf-8").split())


def check_password(password: str, *, login: str) -> None:
    """Refuse a password the policy forbids (core/passwords.py), saying why in Russian."""
    problems = password_problems(
        password,
        login=login,
        common=common_passwords(),
        min_length=get_settings().password_min_length,
    )
    if problems:
        raise BadInputError(f"Пароль не подходит: {'; '.join(problems)}.")


def new_password(*, avoid: Iterable[str] = DEMO_LOGINS) -> str:
    """A random password that is easy to type (12 characters, no look-alikes).

    It passes the policy for every login in `avoid` (a random one almost always does; the
    loop makes sure).
    """
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    logins = list(avoid) or [""]
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if not any(
            password_problems(password, login=name, common=common_passwords()) for name in logins
        ):
            return password


def hash_concurrency() -> int:
    """How many password hash checks may run at once (`login_hash_concurrency`)."""
    configured = get_settings().login_hash_concurrency
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def _slot() -> threading.BoundedSemaphore:
    size = hash_concurrency()
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


def _verify(password: str, hashed: str) -> tuple[bool, str | None]:
    """One hash check (every login attempt runs exactly one), queued behind the others.

    Argon2id takes 64 MiB and a fifth of a second of CPU: unbounded, a flood of logins
    would take every core and the memory from the people working.
    """
    with _slot():
        return _hasher.verify_and_update(password[:MAX_LENGTH], hashed)


@cache
def _dummy_hash() -> str:
    """Verified when the login is unknown, so every answer costs one hash check."""
    return _hasher.hash("clientbase-dummy-password")


def _hash(password: str) -> str:
    """A new salted hash of a password."""
    with _slot():
        return _hasher.hash(password)


def _device_token(user_id: int, password_hash: str, nonce: str | None = None) -> str:
    """A token saying "this browser logged in to this account" (checked by `_device_knows`).

    Signed with the account's password hash, a secret of the database: it needs no table,
    holds across web workers and dies with a password change.
    """
    nonce = nonce or secrets.token_urlsafe(16)
    mac = hmac.new(password_hash.encode(), f"device:{user_id}:{nonce}".encode(), "sha256")
    return f"{nonce}.{mac.hexdigest()}"


def _device_knows(token: str | None, user_id: int, password_hash: str) -> bool:
    if not token or len(token) > 200 or "." not in token:
        return False
    nonce = token.split(".", 1)[0]
    expected = _device_token(user_id, password_hash, nonce)
    # As bytes: compare_digest refuses str with non-ASCII characters, which a cookie may hold.
    return hmac.compare_digest(token.encode(), expected.encode())


def _brake() -> AccountBrake:
    settings = get_settings()
    return AccountBrake(
        free_failures=settings.login_max_failures,
        first_wait=dt.timedelta(seconds=settings.login_first_wait_seconds),
        longest_wait=dt.timedelta(minutes=settings.login_lock_minutes),
        memory=dt.timedelta(minutes=settings.login_failure_memory_minutes),
    )


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
    check_password(password, login=login)
    if role is UserRole.MANAGER and manager_id is None:
        raise BadInputError("Учётной записи менеджера нужен --manager (ID менеджера).")
    if language not in ("ru", "en"):
        raise BadInputError("Язык: ru или en.")
    hashed = _hash(password)  # before the write lock is taken: it takes a fifth of a second
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
            password_hash=hashed,
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
    password = password or new_password(avoid=[login])
    check_password(password, login=login)
    hashed = _hash(password)
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        user = _user(repo, login)
        user.password_hash = hashed
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
DISABLED = "Учётная запись отключена."
# Refused by the per-address window of the web login (web/routes/auth.py), HTTP 429.
TOO_MANY = (
    "Слишком много неудачных попыток входа с вашего адреса. "
    "Подождите несколько минут и попробуйте снова."
)


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the read step learnt of the account (no session is kept open meanwhile)."""

    id: int
    password_hash: str
    locked_until: dt.datetime | None


def _seen(engine: Engine, login: str) -> _Seen | None:
    if not login or len(login) > 120:
        return None
    with UnitOfWork(engine) as uow:
        user = AccountRepository(uow.session).by_login(login)
        if user is None:
            return None
        return _Seen(user.id, user.password_hash, user.locked_until)


def _end_session(engine: Engine, old_token: str | None) -> None:
    if old_token:
        logout(engine, old_token)


def login(
    engine: Engine,
    *,
    login: str,
    password: str,
    old_token: str | None = None,
    device: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a password and open a new session (the old one, if any, is ended).

    Read, check, write: the hash is checked with no transaction open, so a flood of
    logins never holds the database's write lock. An unknown login, a wrong password and
    an account whose checks wait all run one hash check and raise the same `AuthError`.
    """
    now = now or _now()
    brake = _brake()
    seen = _seen(engine, login)
    if seen is None:
        _verify(password, _dummy_hash())
        _end_session(engine, old_token)
        raise AuthError(WRONG)
    # A browser that logged in to this account before is not held by the account's wait:
    # somebody guessing the password cannot lock its owner out.
    held = brake.waiting(seen.locked_until, now) and not _device_knows(
        device, seen.id, seen.password_hash
    )
    ok, new_hash = _verify(password, seen.password_hash)
    if held:
        _end_session(engine, old_token)
        raise AuthError(WRONG)
    with UnitOfWork(engine, write=True) as uow:
        repo = AccountRepository(uow.session)
        if old_token:
            repo.drop_session(token_hash(old_token))
        user = repo.get_for_update(seen.id)
        if user is None or user.password_hash != seen.password_hash:
            # Removed, or its password changed while the hash was being checked.
            uow.commit()
            raise AuthError(WRONG)
        if not ok:
            user.failed_logins, user.locked_until = brake.after_failure(
                user.failed_logins, user.locked_until, now
            )
            uow.commit()
            raise AuthError(WRONG)
        if not user.active:
            uow.commit()
            raise AuthError(DISABLED)
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
        remembered = _device_token(user.id, user.password_hash)
        uow.commit()
        return LoginResult(token=token, user=current, device=remembered)


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

    Existing accounts of those logins get the password again (a re-made demo). Each account
    gets its own salt and hash, so the three stored hashes differ; they are computed before
    the write lock is taken.
    """
    for login_name in DEMO_LOGINS:
        check_password(password, login=login_name)
    hashes = {login_name: _hash(password) for login_name in DEMO_LOGINS}
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
            user.password_hash = hashes[login_name]
            made.append(DemoAccount(login_name, role, name))
        uow.commit()
    return made

"""Accounts and sessions: passwords, rotation, timeouts, disabling, login throttling.

Every test runs on SQLite and on PostgreSQL (CLIENTBASE_TEST_PG_URL). The hash checks are
real Argon2id; `CountingHasher` wraps the real hasher to count them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, func, select, update

from clientbase.core.access import UserRole
from clientbase.db.engine import make_engine
from clientbase.db.tables import Manager, User, UserSession
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ConflictError
from clientbase.services import accounts
from clientbase.services.accounts import AuthError
from clientbase.settings import get_settings

NOW = dt.datetime(2026, 11, 26, 9, 0)
PASSWORD = "secret-pass"


class CountingHasher:
    """The real hasher, counting the checks, how many ran at once, and with a hook inside."""

    def __init__(self, real: Any, during: Callable[[], None] | None = None) -> None:
        self.real = real
        self.during = during
        self.checks = 0
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        with self._lock:
            self.checks += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if self.during is not None:
                self.during()
            result: tuple[bool, str | None] = self.real.verify_and_update(password, hashed)
            return result
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str) -> str:
        hashed: str = self.real.hash(password)
        return hashed


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2id at its cheapest, for tests that log in dozens of times (not timing ones)."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(accounts, "_hasher", cheap)
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set CLIENTBASE_* settings for one test."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"CLIENTBASE_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def _head(engine: Engine, login: str = "rop", password: str = PASSWORD) -> None:
    accounts.create_user(engine, login=login, password=password, role=UserRole.HEAD)


def _fail(engine: Engine, times: int, *, at: dt.datetime = NOW, login: str = "rop") -> None:
    for _ in range(times):
        with pytest.raises(AuthError):
            accounts.login(engine, login=login, password="guess-guess", now=at)


def _wait_until(engine: Engine, login: str = "rop") -> dt.datetime | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(User.locked_until).where(User.login == login))


# --- sessions -----------------------------------------------------------------------------


def test_a_correct_password_opens_a_session_whose_token_is_stored_only_as_a_hash(
    engine: Engine,
) -> None:
    _head(engine)
    result = accounts.login(engine, login="ROP", password=PASSWORD, now=NOW)
    assert result.user.login == "rop" and result.user.role is UserRole.HEAD
    with UnitOfWork(engine) as uow:
        stored = list(uow.session.scalars(select(UserSession.token_hash)))
        hashed = uow.session.scalar(select(User.password_hash))
    assert stored == [accounts.token_hash(result.token)] and result.token not in stored
    assert hashed is not None and hashed.startswith("$argon2")
    assert accounts.resolve(engine, result.token, now=NOW) is not None


def test_a_new_login_rotates_the_token_and_ends_the_old_session(engine: Engine) -> None:
    _head(engine)
    first = accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    second = accounts.login(engine, login="rop", password=PASSWORD, old_token=first.token, now=NOW)
    assert second.token != first.token
    assert accounts.resolve(engine, first.token, now=NOW) is None
    assert accounts.resolve(engine, second.token, now=NOW) is not None


def test_sessions_expire_after_the_idle_time_and_after_the_absolute_time(engine: Engine) -> None:
    _head(engine)
    idle = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).token
    assert accounts.resolve(engine, idle, now=NOW + dt.timedelta(minutes=119)) is not None
    assert accounts.resolve(engine, idle, now=NOW + dt.timedelta(minutes=119 + 121)) is None
    busy = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).token
    for minutes in range(0, 12 * 60, 100):  # active all day: still ends after 12 hours
        assert accounts.resolve(engine, busy, now=NOW + dt.timedelta(minutes=minutes))
    assert accounts.resolve(engine, busy, now=NOW + dt.timedelta(hours=12, minutes=1)) is None


def test_disabling_a_user_kills_his_sessions_at_once(engine: Engine) -> None:
    _head(engine)
    token = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).token
    assert accounts.disable_user(engine, login="rop") == 1
    assert accounts.resolve(engine, token, now=NOW) is None
    with pytest.raises(AuthError, match="отключена"):
        accounts.login(engine, login="rop", password=PASSWORD, now=NOW)


def test_a_password_reset_ends_every_session_and_the_old_password(engine: Engine) -> None:
    _head(engine)
    token = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).token
    new = accounts.reset_password(engine, login="rop")
    assert len(new) == 12
    assert accounts.resolve(engine, token, now=NOW) is None
    with pytest.raises(AuthError):
        accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    assert accounts.login(engine, login="rop", password=new, now=NOW).user.login == "rop"


# --- the same answer, the same time ---------------------------------------------------------


def test_a_wrong_password_an_unknown_login_and_a_waiting_account_get_the_same_answer(
    engine: Engine,
) -> None:
    _head(engine)
    _head(engine, login="waiting")
    with UnitOfWork(engine, write=True) as uow:
        uow.session.execute(
            update(User)
            .where(User.login == "waiting")
            .values(failed_logins=9, locked_until=NOW + dt.timedelta(minutes=10))
        )
        uow.commit()
    answers = []
    for login, password in [("rop", "nope-nope"), ("nobody", "nope-nope"), ("waiting", PASSWORD)]:
        with pytest.raises(AuthError) as refused:
            accounts.login(engine, login=login, password=password, now=NOW)
        answers.append(refused.value.message)
    assert answers == [accounts.WRONG] * 3 == ["Неверный логин или пароль."] * 3


def test_every_attempt_runs_exactly_one_hash_check_whatever_the_login(
    engine: Engine, quick: None, hasher: CountingHasher
) -> None:
    _head(engine)
    _fail(engine, 6)  # the sixth wrong password makes the account wait
    for login, password in [
        ("nobody", "x"),  # unknown
        ("rop", "wrong-wrong"),  # waiting, wrong password
        ("rop", PASSWORD),  # waiting, right password
        ("", ""),  # empty
        ("r" * 500, "x"),  # too long to be a login
    ]:
        before = hasher.checks
        with pytest.raises(AuthError):
            accounts.login(engine, login=login, password=password, now=NOW)
        assert hasher.checks == before + 1, login
    before = hasher.checks
    accounts.login(engine, login="rop", password=PASSWORD, now=NOW + dt.timedelta(hours=1))
    assert hasher.checks == before + 1


def test_a_wrong_an_unknown_and_a_waiting_login_take_the_same_time(engine: Engine) -> None:
    _head(engine)
    _head(engine, login="waiting")
    _fail(engine, 6, login="waiting")

    kinds = {"wrong": ("rop", "wrong-wrong"), "unknown": ("nobody", "wrong-wrong")}
    kinds["waiting"] = ("waiting", PASSWORD)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    # Interleaved rounds, the fastest of each kind: load on the machine only ever adds
    # time, and it falls on the three kinds alike.
    for _ in range(7):
        for kind, (login, password) in kinds.items():
            start = time.perf_counter()
            with pytest.raises(AuthError):
                accounts.login(engine, login=login, password=password, now=NOW)
            times[kind].append(time.perf_counter() - start)
    fastest = {kind: min(t) for kind, t in times.items()}
    # Before: an unknown login took 300 ms and a locked one 5 ms (60×); now each is one
    # hash check (and a wrong one a short write besides).
    assert max(fastest.values()) < 2 * min(fastest.values()), fastest


# --- no write lock while hashing, a bounded number of hash checks ----------------------------


def test_the_hash_is_checked_with_no_database_connection_held(
    engine: Engine, hasher: CountingHasher
) -> None:
    _head(engine)
    held: list[int] = []
    hasher.during = lambda: held.append(engine.pool.checkedout())  # type: ignore[attr-defined]
    _fail(engine, 1)
    with pytest.raises(AuthError):
        accounts.login(engine, login="nobody", password="x", now=NOW)
    accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    assert held == [0, 0, 0]


def test_a_write_during_a_hash_check_does_not_wait_for_the_login(
    db_url: str, hasher: CountingHasher
) -> None:
    engine = make_engine(db_url, busy_timeout_ms=300)
    from clientbase.db import migrate

    migrate.upgrade(engine)
    _head(engine)
    waited: list[float] = []

    def write_meanwhile() -> None:
        start = time.perf_counter()
        with UnitOfWork(engine, write=True) as uow:
            uow.session.execute(update(User).values(language="en"))  # the same user's row
            uow.commit()
        waited.append(time.perf_counter() - start)

    hasher.during = write_meanwhile
    _fail(engine, 1)
    accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    engine.dispose()
    assert len(waited) == 2 and max(waited) < 0.3


def test_hash_checks_run_at_most_login_hash_concurrency_at_once(
    engine: Engine, hasher: CountingHasher, settings: Callable[..., None]
) -> None:
    settings(login_hash_concurrency=2)
    _head(engine)
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            accounts.login(engine, login=f"nobody{n}", password="x", now=NOW)
        except AuthError:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and hasher.checks == 8
    assert hasher.most <= 2


def test_a_flood_of_bad_logins_does_not_make_a_concurrent_write_fail(db_url: str) -> None:
    # A short busy timeout: before, each login held the write lock for its hash check, and a
    # write behind twenty of them failed with "database is locked".
    engine = make_engine(db_url, busy_timeout_ms=2_000)
    from clientbase.db import migrate

    migrate.upgrade(engine)
    _head(engine)
    stop = threading.Event()
    unexpected: list[BaseException] = []

    def flood(n: int) -> None:
        login = "rop" if n % 2 else f"nobody{n}"
        while not stop.is_set():
            try:
                accounts.login(engine, login=login, password="wrong-wrong", now=NOW)
            except AuthError:
                pass
            except BaseException as exc:
                unexpected.append(exc)
                return

    attackers = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(20)]
    for thread in attackers:
        thread.start()
    failures: list[ConflictError] = []
    try:
        time.sleep(0.5)  # the flood is under way
        for n in range(15):
            try:
                with UnitOfWork(engine, write=True) as uow:
                    uow.session.add(Manager(name=f"Новый менеджер {n}", role_group="farmer"))
                    uow.commit()
            except ConflictError as exc:
                failures.append(exc)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    engine.dispose()
    assert failures == [] and unexpected == []
    assert not any(thread.is_alive() for thread in attackers)


# --- the account's brake -------------------------------------------------------------------


def test_five_wrong_passwords_do_not_lock_the_owner_out(engine: Engine, quick: None) -> None:
    _head(engine)
    _fail(engine, 5)
    assert accounts.login(engine, login="rop", password=PASSWORD, now=NOW).user.login == "rop"


def test_after_five_wrong_passwords_each_one_makes_the_account_wait_a_little_longer(
    engine: Engine,
    quick: None,
) -> None:
    _head(engine)
    _fail(engine, 6)
    assert _wait_until(engine) == NOW + dt.timedelta(seconds=15)
    with pytest.raises(AuthError):  # the right password is not even looked at meanwhile
        accounts.login(engine, login="rop", password=PASSWORD, now=NOW + dt.timedelta(seconds=10))
    later = NOW + dt.timedelta(seconds=16)
    _fail(engine, 1, at=later)
    assert _wait_until(engine) == later + dt.timedelta(seconds=30)
    after = later + dt.timedelta(seconds=31)
    assert accounts.login(engine, login="rop", password=PASSWORD, now=after).user.login == "rop"
    assert _wait_until(engine) is None  # a success clears the count


def test_attempts_during_the_wait_do_not_lengthen_it(engine: Engine, quick: None) -> None:
    _head(engine)
    _fail(engine, 6)
    until = _wait_until(engine)
    _fail(engine, 20, at=NOW + dt.timedelta(seconds=5))
    assert _wait_until(engine) == until


def test_a_run_of_wrong_passwords_is_forgotten_after_an_hour(engine: Engine, quick: None) -> None:
    _head(engine)
    _fail(engine, 5)
    next_day = NOW + dt.timedelta(hours=2)
    _fail(engine, 1, at=next_day)  # the first of a new run: no wait
    assert _wait_until(engine) == next_day
    assert accounts.login(engine, login="rop", password=PASSWORD, now=next_day).user


def test_a_browser_that_logged_in_before_is_not_held_by_the_wait(
    engine: Engine, quick: None
) -> None:
    _head(engine)
    device = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).device
    _fail(engine, 12)  # somebody guesses: the account waits
    assert _wait_until(engine) is not None
    with pytest.raises(AuthError):  # a new browser waits
        accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    mine = accounts.login(engine, login="rop", password=PASSWORD, device=device, now=NOW)
    assert mine.user.login == "rop"


def test_a_device_token_of_another_account_or_of_an_old_password_does_not_help(
    engine: Engine,
    quick: None,
) -> None:
    _head(engine)
    _head(engine, login="other")
    other = accounts.login(engine, login="other", password=PASSWORD, now=NOW).device
    old = accounts.login(engine, login="rop", password=PASSWORD, now=NOW).device
    new_password = accounts.reset_password(engine, login="rop")
    _fail(engine, 6)
    for device in (other, old, "forged.token", "x" * 500, "ключ.подделка"):
        with pytest.raises(AuthError):
            accounts.login(engine, login="rop", password=new_password, device=device, now=NOW)


def test_a_password_changed_while_its_hash_was_checked_opens_no_session(
    engine: Engine, hasher: CountingHasher, settings: Callable[..., None]
) -> None:
    settings(login_hash_concurrency=2)  # the reset hashes while the login holds a slot
    _head(engine)
    hasher.during = lambda: accounts.reset_password(engine, login="rop", password="new-secret-1")
    with pytest.raises(AuthError):
        accounts.login(engine, login="rop", password=PASSWORD, now=NOW)
    hasher.during = None
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert accounts.login(engine, login="rop", password="new-secret-1", now=NOW).user


# --- the password policy -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "короче 10 символов"),
        ("12345678", "короче 10 символов"),
        ("aaaaaaaaaa", "повторённый"),
        ("weak4weak4", "повторённый"),
        ("1234567890", "распространённых"),
        ("qwertyuiop", "распространённых"),
        ("Password@123", "распространённых"),
        ("rop-is-the-boss", "содержит логин"),
    ],
)
def test_weak_passwords_are_refused_on_creation_and_on_reset_saying_why(
    engine: Engine, password: str, why: str
) -> None:
    with pytest.raises(BadInputError, match=why) as created:
        accounts.create_user(engine, login="rop", password=password, role=UserRole.HEAD)
    assert created.value.message.startswith("Пароль не подходит: ")
    _head(engine)
    with pytest.raises(BadInputError, match=why):
        accounts.reset_password(engine, login="rop", password=password)


def test_generated_passwords_pass_the_policy_for_the_login_they_are_made_for() -> None:
    for _ in range(200):
        password = accounts.new_password(avoid=["abc", *accounts.DEMO_LOGINS])
        for login in ("abc", *accounts.DEMO_LOGINS):
            accounts.check_password(password, login=login)


def test_taken_logins_are_refused_whatever_their_case(engine: Engine) -> None:
    _head(engine)
    with pytest.raises(BadInputError, match="занят"):
        _head(engine, login="Rop")


def test_a_manager_account_must_name_an_existing_manager(engine: Engine) -> None:
    with pytest.raises(BadInputError, match="--manager"):
        accounts.create_user(engine, login="m", password=PASSWORD, role=UserRole.MANAGER)
    with pytest.raises(BadInputError, match="не найден"):
        accounts.create_user(
            engine, login="m", password=PASSWORD, role=UserRole.MANAGER, manager_id=999
        )


# --- the demo accounts ---------------------------------------------------------------------


def _farmer(engine: Engine) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(Manager(name="Фермер", role_group="farmer"))
        uow.commit()


def test_demo_accounts_are_made_again_with_the_new_password(engine: Engine) -> None:
    _farmer(engine)
    accounts.ensure_demo_accounts(engine, password="first-pass")
    made = accounts.ensure_demo_accounts(engine, password="second-pass")
    assert [a.login for a in made] == ["admin", "rop"]  # no farmer holds clients yet
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(User)) == 2
    assert accounts.login(engine, login="admin", password="second-pass", now=NOW)


def test_demo_accounts_sharing_a_password_each_get_their_own_salt(engine: Engine) -> None:
    accounts.ensure_demo_accounts(engine, password="demo-pass-1")
    with UnitOfWork(engine) as uow:
        hashes = list(uow.session.scalars(select(User.password_hash)))
    assert len(hashes) == len(set(hashes)) == 2
    assert len({h.rsplit("$", 2)[1] for h in hashes}) == 2  # the salts differ
    for login in ("admin", "rop"):
        assert accounts.login(engine, login=login, password="demo-pass-1", now=NOW)


def test_the_demo_refuses_a_weak_password(engine: Engine) -> None:
    with pytest.raises(BadInputError, match="распространённых"):
        accounts.ensure_demo_accounts(engine, password="password123")

"""The web login under attack: the address window (429), the same answer, the device cookie,
and logins that wait for a hash check without holding the threads pages need."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine

from clientbase.core.access import UserRole
from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import accounts
from clientbase.settings import get_settings
from clientbase.web.app import create_app
from clientbase.web.auth import DEVICE_COOKIE

PASSWORD = "login-web-pass-1"
_LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ERROR = re.compile(r'id="login-error"[^>]*>([^<]*)<')


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"CLIENTBASE_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def engine(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A database with the head of sales `rop`; cheap Argon2 parameters (no timing here)."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(accounts, "_hasher", cheap)
    accounts._dummy_hash.cache_clear()
    eng = make_engine(sqlite_url)
    migrate.upgrade(eng)
    accounts.create_user(eng, login="rop", password=PASSWORD, role=UserRole.HEAD)
    yield eng
    eng.dispose()
    accounts._dummy_hash.cache_clear()


def _post_login(client: httpx.Client, login: str, password: str) -> httpx.Response:
    form = client.get("/login")
    token = _LOGIN_CSRF.search(form.text.split('id="login-form"', 1)[-1])
    assert token, form.text
    data = {"login": login, "password": password, "csrf_token": token.group(1), "next": "/"}
    return client.post("/login", data=data, follow_redirects=False)


def _error(answer: httpx.Response) -> str:
    found = _ERROR.search(answer.text)
    assert found, answer.text
    return found.group(1)


def test_an_address_past_its_failed_logins_is_slowed_and_answered_429_in_russian(
    engine: Engine, settings: Callable[..., None]
) -> None:
    settings(login_address_failures=3, login_address_window_minutes=10)
    with TestClient(create_app(engine), client=("203.0.113.5", 5000)) as client:
        answers = [_post_login(client, "nobody", "wrong-wrong") for _ in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 401]
        start = time.perf_counter()
        refused = _post_login(client, "rop", PASSWORD)  # even the right password, for now
        slowed = time.perf_counter() - start
    assert refused.status_code == 429 and slowed >= 2.0  # a hammering client is slowed down
    assert "Слишком много неудачных попыток входа" in _error(refused)
    assert 590 <= int(refused.headers["Retry-After"]) <= 600


def test_another_address_still_logs_in_while_one_is_refused(
    engine: Engine, settings: Callable[..., None]
) -> None:
    settings(login_address_failures=2)
    app = create_app(engine)
    with TestClient(app, client=("203.0.113.5", 5000)) as attacker:
        for _ in range(3):
            last = _post_login(attacker, "rop", "wrong-wrong")
        assert last.status_code == 429
    with TestClient(app, client=("198.51.100.9", 5000)) as owner:
        assert _post_login(owner, "rop", PASSWORD).status_code == 303


def test_successful_logins_do_not_count_against_their_address(
    engine: Engine, settings: Callable[..., None]
) -> None:
    settings(login_address_failures=2)
    with TestClient(create_app(engine), client=("203.0.113.5", 5000)) as office:
        assert [_post_login(office, "rop", PASSWORD).status_code for _ in range(5)] == [303] * 5


def test_the_login_page_answers_an_unknown_a_wrong_and_a_waiting_login_alike(
    engine: Engine,
) -> None:
    accounts.create_user(engine, login="waiting", password=PASSWORD, role=UserRole.HEAD)
    with TestClient(create_app(engine)) as client:
        for _ in range(6):  # the sixth wrong password makes the account wait
            _post_login(client, "waiting", "wrong-wrong")
        answers = [
            _post_login(client, "nobody", "wrong-wrong"),
            _post_login(client, "rop", "wrong-wrong"),
            _post_login(client, "waiting", PASSWORD),
        ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert [_error(a) for a in answers] == ["Неверный логин или пароль."] * 3


def test_the_browser_that_logged_in_before_logs_in_while_the_account_waits(
    engine: Engine,
) -> None:
    app = create_app(engine)
    with TestClient(app) as mine:
        first = _post_login(mine, "rop", PASSWORD)
        assert first.status_code == 303
        cookie = next(
            h for h in first.headers.get_list("set-cookie") if h.startswith(DEVICE_COOKIE)
        )
        assert "Path=/login" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        with TestClient(app, client=("203.0.113.5", 5000)) as guesser:
            for _ in range(8):
                _post_login(guesser, "rop", "wrong-wrong")
            assert _post_login(guesser, "rop", PASSWORD).status_code == 401  # it waits
        assert _post_login(mine, "rop", PASSWORD).status_code == 303


class SlowWrongHasher:
    """A hand-written fake: every check takes a while and fails."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.1)
        with self._lock:
            self.running -= 1
        return False, None

    def hash(self, password: str) -> str:
        return "$fake$"


def test_logins_waiting_for_a_hash_check_hold_no_thread_of_the_shared_pool(
    engine: Engine, settings: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings(login_hash_concurrency=1, login_address_failures=100)
    fake = SlowWrongHasher()
    monkeypatch.setattr(accounts, "_hasher", fake)
    accounts._dummy_hash.cache_clear()
    inside = {"now": 0, "most": 0}
    real_login = accounts.login

    def counted_login(*args: Any, **kwargs: Any) -> accounts.LoginResult:
        inside["now"] += 1
        inside["most"] = max(inside["most"], inside["now"])
        try:
            return real_login(*args, **kwargs)
        finally:
            inside["now"] -= 1

    monkeypatch.setattr(accounts, "login", counted_login)
    app = create_app(engine)

    async def one(n: int) -> int:
        transport = httpx.ASGITransport(app=app, client=(f"203.0.113.{n}", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            form = await c.get("/login")
            token = _LOGIN_CSRF.search(form.text.split('id="login-form"', 1)[-1])
            assert token
            data = {"login": f"nobody{n}", "password": "x", "csrf_token": token.group(1)}
            return (await c.post("/login", data=data)).status_code

    async def flood() -> tuple[list[int], float]:
        logins = [asyncio.create_task(one(n)) for n in range(12)]
        await asyncio.sleep(0.15)  # the logins are queued behind one another now
        start = time.perf_counter()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.get("/login")).status_code == 200  # a page in the shared pool
        page = time.perf_counter() - start
        return list(await asyncio.gather(*logins)), page

    statuses, page = asyncio.run(flood())
    assert statuses == [401] * 12
    assert inside["most"] == 1 and fake.most == 1  # one login in a thread at a time
    assert page < 0.5  # the page did not wait for the twelve hash checks (1.2 s)


def test_a_form_token_in_any_alphabet_is_refused_not_a_server_error(engine: Engine) -> None:
    with TestClient(create_app(engine)) as client:
        client.get("/login")
        data = {"login": "rop", "password": PASSWORD, "csrf_token": "токен"}
        assert client.post("/login", data=data).status_code == 400

"""Logging a test client into the web app the way a browser does (form + CSRF cookie)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clientbase.services import accounts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app

_LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def log_in(client: httpx.Client, login: str, password: str) -> str:
    """Log in through the login form; the session's CSRF token for later writes."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    token = _LOGIN_CSRF.search(form.text.split('id="login-form"', 1)[-1])
    assert token, "login form without csrf_token"
    answer = client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/")
    assert page.status_code == 200, page.text
    csrf = _SESSION_CSRF.search(page.text)
    assert csrf, "page without the session's CSRF token"
    return csrf.group(1)


def demo_company(engine: Engine, *, clients: int, months: int, password: str) -> Engine:
    """A demo company as of today with the demo logins (admin, rop, manager) on `password`."""
    create_demo(engine, DemoParams(clients=clients, months=months, today=dt.date.today()))
    accounts.ensure_demo_accounts(engine, password=password)
    return engine


@contextmanager
def logged_in(engine: Engine, login: str, password: str) -> Iterator[tuple[TestClient, str]]:
    """A test client of the app, logged in as `login`, and its session's CSRF token."""
    with TestClient(create_app(engine)) as client:
        yield client, log_in(client, login, password)

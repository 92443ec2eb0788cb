"""Log in and log out.

A login is throttled twice: here per client address (a sliding window of failed attempts,
HTTP 429 past it), and in the service per account (wrong passwords in a row space out the
account's next checks). The check itself runs in a thread of its own small pool
(`login_limiter`): waiting logins wait on the event loop, not in the threads pages need.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
import time
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clientbase.services import accounts
from clientbase.web.auth import (
    DEVICE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    UserDep,
    client_address,
    login_addresses,
    login_limiter,
    set_device_cookie,
    set_session_cookie,
)
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates

router = APIRouter()

# A refused address waits this long for its 429 (on the event loop: it costs nothing), so a
# client that keeps hammering is slowed down instead of being answered as fast as it asks.
REFUSAL_DELAY_SECONDS = 2.0


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(request: Request, *, next_url: str, error: str | None, status: int) -> Response:
    csrf = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "auth/login.html",
        {"next": next_url, "error": error, "login_csrf": csrf},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, max_age=3600, path="/login", httponly=True, samesite="strict"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return _form(request, next_url=_safe_next(next), error=None, status=200)


@router.post("/login")
async def login_submit(
    request: Request,
    engine: EngineDep,
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=400)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password, open a new session (a new token every time), go on."""
    target = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _form(
            request,
            next_url=target,
            error=_("Форма входа устарела; попробуйте ещё раз."),
            status=400,
        )
    addresses = login_addresses(request.app)
    address = client_address(request)
    stamp = time.monotonic()
    wait = addresses.admit(address, stamp)
    if wait:
        await asyncio.sleep(min(wait, REFUSAL_DELAY_SECONDS))
        refused = _form(request, next_url=target, error=accounts.TOO_MANY, status=429)
        refused.headers["Retry-After"] = str(math.ceil(wait))
        return refused
    check = partial(
        accounts.login,
        engine,
        login=login,
        password=password,
        old_token=request.cookies.get(SESSION_COOKIE),
        device=request.cookies.get(DEVICE_COOKIE),
    )
    try:
        result = await anyio.to_thread.run_sync(check, limiter=login_limiter())
    except accounts.AuthError as exc:
        # The same answer for an unknown login, a wrong password and an account that waits.
        return _form(request, next_url=target, error=exc.message, status=401)
    except BaseException:
        addresses.forgive(address, stamp)  # not the client's failure (database busy…)
        raise
    addresses.forgive(address, stamp)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, result.token)
    set_device_cookie(response, request, result.device)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, engine: EngineDep, user: UserDep) -> Response:
    """End the session (the CSRF check has already run)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(accounts.logout, engine, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

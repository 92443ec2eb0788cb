"""Login sessions and CSRF protection for pages and API alike.

Every request but the login page, static files and the health check needs a live session:
a page without one is sent to the login page, an API call gets 401. Every state-changing
request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token, in the form field
`csrf_token` or the header `X-CSRF-Token` (HTMX sends the header, see base.html).
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated
from urllib.parse import quote
from weakref import WeakKeyDictionary

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from clientbase.core.access import Scope as AccessScope
from clientbase.core.login_throttle import AddressWindow, address_key
from clientbase.errors import ClientbaseError
from clientbase.services import accounts
from clientbase.services.accounts import CurrentUser
from clientbase.settings import get_settings

SESSION_COOKIE = "cb_session"
LOGIN_CSRF_COOKIE = "cb_login_csrf"
# "This browser logged in to this account before": spares it the account's login wait.
DEVICE_COOKIE = "cb_device"
PUBLIC_PREFIXES = ("/login", "/static/", "/healthz", "/favicon.ico")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ForbiddenError(ClientbaseError):
    """The user is logged in but his role may not do this (HTTP 403)."""


class CsrfError(ForbiddenError):
    """A state-changing request without the session's CSRF token."""


def is_public(path: str) -> bool:
    """Paths served without a session."""
    return any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES)


class SessionMiddleware:
    """Resolves the session cookie to a user before any route runs (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        token = request.cookies.get(SESSION_COOKIE, "")
        user: CurrentUser | None = None
        if token:
            engine = request.app.state.engine
            user = await run_in_threadpool(accounts.resolve, engine, token)
        scope.setdefault("state", {})["user"] = user
        if user is None and not is_public(path):
            response: Response
            if path.startswith("/api/"):
                response = JSONResponse(
                    {"detail": "Нужно войти в систему."},
                    status_code=401,
                    headers={"WWW-Authenticate": "Cookie"},
                )
            else:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            if token:
                response.delete_cookie(SESSION_COOKIE, path="/")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def current_user(request: Request) -> CurrentUser:
    """The logged-in user (the middleware guarantees one on non-public paths)."""
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is None:
        raise ForbiddenError("Нужно войти в систему.")
    return user


UserDep = Annotated[CurrentUser, Depends(current_user)]


def user_scope(user: UserDep) -> AccessScope:
    """What the logged-in user may see."""
    return user.scope


ScopeDep = Annotated[AccessScope, Depends(user_scope)]


def require_head(user: UserDep) -> CurrentUser:
    """Heads of sales and admins only (plans, rotation, import, rules)."""
    if not user.scope.may_manage:
        raise ForbiddenError("Это доступно руководителю отдела продаж и администратору.")
    return user


HeadDep = Annotated[CurrentUser, Depends(require_head)]


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request of a session without its CSRF token."""
    if request.method not in UNSAFE_METHODS or is_public(request.url.path):
        return
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is None:
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    # As bytes: a header or field with non-ASCII text is a wrong token, not a crash.
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise CsrfError("Форма устарела или пришла не из приложения (CSRF); обновите страницу.")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS or when configured."""
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
    )


def set_device_cookie(response: Response, request: Request, device: str) -> None:
    """The device cookie: sent only to /login, HttpOnly, SameSite=Strict, kept 90 days."""
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=accounts.DEVICE_DAYS * 24 * 3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=get_settings().secure_cookies or request.url.scheme == "https",
    )


def client_address(request: Request) -> str:
    """The throttling key of the request's client (behind a proxy: as uvicorn resolved it
    from X-Forwarded-For for the proxies it trusts, 127.0.0.1 by default)."""
    return address_key(request.client.host if request.client else None)


def login_addresses(app: FastAPI) -> AddressWindow:
    """The failed-login window of this app (one per web worker, made at the first login)."""
    window: AddressWindow | None = getattr(app.state, "login_addresses", None)
    if window is None:
        settings = get_settings()
        window = AddressWindow(
            limit=settings.login_address_failures,
            window_seconds=settings.login_address_window_minutes * 60,
        )
        app.state.login_addresses = window
    return window


_hash_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    WeakKeyDictionary()
)


def login_limiter() -> anyio.CapacityLimiter:
    """Threads for login checks, as many as hash checks may run at once.

    Logins waiting for a hash check wait here, on the event loop, instead of each holding
    a thread of the shared pool that every page and the session check need: a flood of
    logins cannot starve the people working.
    """
    loop = asyncio.get_running_loop()
    size = accounts.hash_concurrency()
    limiter = _hash_limiters.get(loop)
    if limiter is None or limiter.total_tokens != size:
        limiter = _hash_limiters[loop] = anyio.CapacityLimiter(size)
    return limiter

"""FastAPI application: pages for the head of sales and a JSON API over the same services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from clientbase import __version__
from clientbase.errors import (
    ClientbaseError,
    ConflictError,
    InfeasibleError,
    NotFoundError,
    OutsideScopeError,
)
from clientbase.services import jobs
from clientbase.web.auth import ForbiddenError, SessionMiddleware, csrf_protect
from clientbase.web.i18n import LanguageMiddleware
from clientbase.web.limits import RequestLimitsMiddleware, RequestTooLargeError
from clientbase.web.routes import (
    api,
    auth,
    board,
    bonus,
    capacity,
    clients,
    crosssell,
    dashboard,
    imports,
    kpi,
    language,
    managers,
    plans,
    roles,
    rotation,
)
from clientbase.web.templating import templates

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

# One mapping from error kind to HTTP status, as the CLI has one to exit codes.
HTTP_STATUS: list[tuple[type[ClientbaseError], int]] = [
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (OutsideScopeError, 403),
    (RequestTooLargeError, 413),
    (InfeasibleError, 422),
    (ConflictError, 409),
    (ClientbaseError, 400),
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduler thread while the app serves (services/scheduler.py)."""
    from clientbase.services.scheduler import InAppScheduler

    ticker = InAppScheduler(app.state.engine)
    app.state.scheduler = ticker
    ticker.start()
    try:
        yield
    finally:
        ticker.stop()


def create_app(engine: Engine, *, scheduler: bool = False) -> FastAPI:
    """Build the web app on an open database (with the in-app scheduler when asked)."""
    # The OpenAPI schema is served under /api/v1 behind the login like everything else;
    # no Swagger UI (it would load scripts from a CDN, which the CSP forbids).
    app = FastAPI(
        title="clientbase",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(csrf_protect)],
        lifespan=_lifespan if scheduler else None,
    )
    app.state.engine = engine
    # Jobs of a previous run of this server that died with it are failed, not "running".
    try:
        jobs.recover_interrupted(engine)
    except SQLAlchemyError as exc:  # a database not yet migrated: nothing to recover
        log.warning("interrupted jobs not checked: %s", exc)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth,
        dashboard,
        board,
        clients,
        managers,
        capacity,
        plans,
        roles,
        rotation,
        kpi,
        bonus,
        crosssell,
        imports,
        language,
        api,
    ):
        app.include_router(module.router)

    @app.exception_handler(ClientbaseError)
    def on_error(request: Request, exc: ClientbaseError) -> Response:
        status = next(code for kind, code in HTTP_STATUS if isinstance(exc, kind))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=status)
        return templates.TemplateResponse(
            request, "error.html", {"message": exc.message}, status_code=status
        )

    # Inside the session middleware: the language of a logged-in user is his own setting.
    app.add_middleware(LanguageMiddleware)
    # Inside the security headers, so a redirect to the login page carries them too.
    app.add_middleware(SessionMiddleware)
    # Before the session is even looked up: oversized bodies and control characters.
    app.add_middleware(RequestLimitsMiddleware)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        # Everything is served from our own origin; no inline scripts anywhere.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            # Pages hold personal data of clients: never kept by a shared cache or the
            # browser's back button after logout.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app

"""FastAPI application: a first overview page and read-only JSON endpoints."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from clientbase import __version__
from clientbase.core.filters import ClientFilter, ManagerFilter
from clientbase.services import catalog
from clientbase.services.overview import company_overview

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(engine: Engine) -> FastAPI:
    """Build the web app on an open database."""
    app = FastAPI(title="clientbase", version=__version__, docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        overview = company_overview(engine)
        managers = catalog.list_managers(engine, ManagerFilter())
        return TEMPLATES.TemplateResponse(
            request, "index.html", {"overview": overview, "managers": managers}
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/managers")
    def api_managers(
        role_group: str | None = None, region: str | None = None
    ) -> list[dict[str, Any]]:
        rows = catalog.list_managers(engine, ManagerFilter(role_group=role_group, region=region))
        return [asdict(r) for r in rows]

    @app.get("/api/clients")
    def api_clients(
        region: str | None = None,
        industry: str | None = None,
        tier: str | None = None,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        f = ClientFilter(region=region, industry=industry, tier=tier, status=status)
        page = catalog.list_clients(engine, f, limit=limit, offset=offset)
        return {"total": page.total, "rows": [asdict(r) for r in page.rows]}

    return app

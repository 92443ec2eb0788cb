"""Managers: who serves which segment and how many clients each holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clientbase.core.filters import ManagerFilter
from clientbase.services import catalog
from clientbase.web.deps import EngineDep
from clientbase.web.templating import templates

router = APIRouter()


@router.get("/managers", response_class=HTMLResponse)
def managers_page(
    request: Request, engine: EngineDep, role_group: str | None = None
) -> HTMLResponse:
    """Managers with their segments and current number of clients."""
    rows = catalog.list_managers(engine, ManagerFilter(role_group=role_group or None))
    top = max((m.clients for m in rows), default=0) or 1
    return templates.TemplateResponse(
        request, "managers/list.html", {"managers": rows, "top": top, "role_group": role_group}
    )

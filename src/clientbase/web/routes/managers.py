"""Managers: who serves which segment and how many clients each holds."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from clientbase.core.filters import ManagerFilter
from clientbase.services import catalog
from clientbase.web.auth import ScopeDep
from clientbase.web.deps import EngineDep
from clientbase.web.templating import templates

router = APIRouter()


PAGE_SIZE = 100


@router.get("/managers", response_class=HTMLResponse)
def managers_page(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    role_group: str | None = None,
    page: Annotated[int, Query(ge=1, le=2**24)] = 1,
) -> HTMLResponse:
    """Managers with their segments and current number of clients, a page at a time."""
    rows = catalog.list_managers(engine, ManagerFilter(role_group=role_group or None), scope=scope)
    top = max((m.clients for m in rows), default=0) or 1
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return templates.TemplateResponse(
        request,
        "managers/list.html",
        {
            "managers": shown,
            "total": len(rows),
            "first": (page - 1) * PAGE_SIZE + 1,
            "top": top,
            "role_group": role_group,
            "page_no": page,
            "pages": pages,
        },
    )

"""Cross-sell: range-expansion opportunities routed to the account manager, or away from an
account manager swallowed by operations, with the reason of every decision."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from clientbase.services import catalog, crosssell
from clientbase.web.auth import ScopeDep
from clientbase.web.company import CompanyHeadDep
from clientbase.web.deps import EngineDep
from clientbase.web.templating import templates
from clientbase.web.uploads import upload_on_disk

router = APIRouter()

MAX_BYTES = 20 * 1024 * 1024
SUFFIXES = {".csv", ".xlsx", ".xls", ".ods"}


@router.get("/crosssell", response_class=HTMLResponse)
def crosssell_page(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """Routed opportunities (a manager sees those given to him) and the rule in force."""
    visible = catalog.visible_manager_ids(engine, scope=scope)
    own = scope.manager_id if scope.is_manager else None
    deals = [
        d
        for d in crosssell.list_deals(engine=engine, manager_id=own, limit=5000)
        if d.manager_id in visible
    ]
    return templates.TemplateResponse(
        request,
        "crosssell/index.html",
        {
            "deals": deals[:1000],
            "total": len(deals),
            "rules": crosssell.cross_sell_rules(engine=engine),
        },
    )


@router.post("/crosssell", response_class=HTMLResponse)
async def crosssell_route(
    request: Request,
    engine: EngineDep,
    user: CompanyHeadDep,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> HTMLResponse:
    """Route a file of opportunities (a preview first, then for real); re-runs add nothing."""
    async with upload_on_disk(
        file, suffixes=SUFFIXES, max_bytes=MAX_BYTES, default_name="opportunities.csv"
    ) as path:
        report = await run_in_threadpool(
            partial(
                crosssell.route_file, engine=engine, path=path, dry_run=dry_run, actor=user.login
            )
        )
    return templates.TemplateResponse(
        request, "crosssell/routed.html", {"r": report, "file": path.name}
    )

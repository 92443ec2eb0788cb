"""Bonuses: the statement of a period (each line with the numbers behind it), Excel export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from clientbase.core import kpi as kpi_core
from clientbase.core.access import Scope
from clientbase.io.bonus_xlsx import write_statement
from clientbase.services import bonus, catalog
from clientbase.web.auth import HeadDep, ScopeDep
from clientbase.web.deps import EngineDep
from clientbase.web.templating import templates
from clientbase.web.uploads import upload_on_disk

router = APIRouter()

PeriodQuery = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}(-Q[1-4]|-\d{2})?$")]


def _default_period() -> str:
    """The last closed month: bonuses are paid on a month that is over."""
    first = dt.date.today().replace(day=1)
    last = first - dt.timedelta(days=1)
    return kpi_core.month_of(last.year, last.month).label


def _scoped(engine: EngineDep, scope: Scope, period: str) -> bonus.Statement:
    st = bonus.statement(engine=engine, period=period)
    if scope.is_everything:
        return st
    visible = catalog.visible_manager_ids(engine, scope=scope)
    rows = [r for r in st.rows if r.manager_id in visible]
    return dataclasses.replace(st, rows=rows, total=round(sum(r.total for r in rows), 2))


@router.get("/bonus", response_class=HTMLResponse)
def bonus_page(
    request: Request, engine: EngineDep, scope: ScopeDep, period: PeriodQuery = None
) -> HTMLResponse:
    """Every visible manager's bonus statement with its lines."""
    period = period or _default_period()
    return templates.TemplateResponse(
        request, "bonus/index.html", {"st": _scoped(engine, scope, period), "period": period}
    )


@router.get("/bonus/statement.xlsx")
def bonus_export(engine: EngineDep, scope: ScopeDep, period: PeriodQuery = None) -> FileResponse:
    """The statement workbook (summary, lines, deal shares), cut to the user's scope."""
    period = period or _default_period()
    st = _scoped(engine, scope, period)
    visible = {r.manager_id for r in st.rows}
    credits = [
        c
        for c in bonus.deal_credits(engine=engine, period=period)
        if scope.is_everything or c.manager_id in visible
    ]
    folder = Path(tempfile.mkdtemp(prefix="clientbase-bonus-"))
    path = folder / f"bonus-{period}.xlsx"
    write_statement(path, st, credits)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/bonus/what-if", response_class=HTMLResponse)
async def bonus_what_if(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    file: Annotated[UploadFile, File()],
    period: Annotated[str, Form(max_length=10, pattern=r"^\d{4}(-Q[1-4]|-\d{2})?$")],
    replace_all: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """What the period's bonuses would be under the schemes of a file, beside today's."""
    async with upload_on_disk(
        file, suffixes={".toml", ".json"}, max_bytes=1_000_000, default_name="schemes.toml"
    ) as path:
        proposed = await run_in_threadpool(partial(bonus.read_schemes_file, path=path))
        name = path.name
    result = bonus.what_if(engine=engine, period=period, schemes=proposed, replace_all=replace_all)
    return templates.TemplateResponse(request, "bonus/what_if.html", {"w": result, "file": name})

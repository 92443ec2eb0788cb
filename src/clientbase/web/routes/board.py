"""The daily board (планёрка): the head's morning view of every manager; a manager's own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clientbase.services import board, catalog
from clientbase.web.auth import ScopeDep
from clientbase.web.deps import EngineDep
from clientbase.web.templating import templates

router = APIRouter()


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """Plan vs fact, forecast, overdue tasks, unanswered requests, clients going quiet."""
    visible = catalog.visible_manager_ids(engine, scope=scope)
    result = board.daily_board(engine=engine, manager_ids=visible)
    return templates.TemplateResponse(request, "board/index.html", {"b": result})

"""Capacity and workload: load vs capacity with the drivers, coverage, buried clients,
the working-day photo, and headcount (what-if)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clientbase.core.capacity import tables_from_dict, tables_to_dict
from clientbase.core.season import season_from_dict, season_to_dict
from clientbase.errors import BadInputError
from clientbase.io.guards import MAX_JSON_DEPTH, json_depth
from clientbase.services import capacity, catalog, season
from clientbase.web.auth import HeadDep, ScopeDep
from clientbase.web.company import CompanyHeadDep
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import N_
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates

router = APIRouter()

TYPE_RU = {
    "call": N_("звонки"),
    "meeting": N_("встречи"),
    "email": N_("письма"),
    "task": N_("задачи"),
    "inbound": N_("входящие"),
}


@router.get("/capacity", response_class=HTMLResponse)
def capacity_page(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> HTMLResponse:
    """Every manager's capacity with its drivers, load, utilization, coverage; buried."""
    visible = catalog.visible_manager_ids(engine, scope=scope)
    report = capacity.buried_clients(engine, days=days)
    loads = [m for m in report.managers if m.manager_id in visible]
    buried = [c for c in report.clients if c.manager_id in visible]
    today = dt.date.today()
    photo = [
        p
        for p in capacity.working_day_photo(
            engine, since=today - dt.timedelta(days=30), until=today
        )
        if p.manager_id in visible
    ]
    types = sorted({k for p in photo for k in p.by_type})
    charts = {
        "load": {
            "type": "bar",
            "labels": [m.name for m in loads],
            "datasets": [
                {"label": _("Загрузка, %"), "data": [round(m.utilization, 1) for m in loads]},
                {"label": _("Охват, %"), "data": [round(m.coverage, 1) for m in loads]},
            ],
            "options": {"indexAxis": "y"},
        },
        "photo": {
            "type": "bar",
            "labels": [p.name for p in photo],
            "datasets": [
                {
                    "label": _(TYPE_RU.get(k, k)),
                    "data": [round(p.by_type.get(k, 0.0), 1) for p in photo],
                }
                for k in types
            ],
            "options": {
                "indexAxis": "y",
                "scales": {"x": {"stacked": True}, "y": {"stacked": True}},
            },
        },
    }
    return templates.TemplateResponse(
        request,
        "capacity/index.html",
        {
            "loads": loads,
            "buried": buried[:300],
            "buried_total": len(buried),
            "days": days,
            "photo": photo,
            "charts": charts,
            "correlation": report.correlation if scope.is_everything else None,
        },
    )


@router.get("/capacity/headcount", response_class=HTMLResponse)
def headcount_page(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    growth: Annotated[float, Query(ge=-0.9, le=10)] = 0.0,
    region: Annotated[str | None, Query(max_length=120)] = None,
) -> HTMLResponse:
    """How many managers are needed for today's base or a what-if base."""
    plan = capacity.headcount(engine, growth=growth, region=region or None)
    return templates.TemplateResponse(
        request, "capacity/headcount.html", {"h": plan, "growth": growth, "region": region or ""}
    )


@router.get("/capacity/settings", response_class=HTMLResponse)
def capacity_settings(request: Request, engine: EngineDep, user: HeadDep) -> HTMLResponse:
    """The capacity tables (role bases, driver factors, tier weights, service hours) as JSON."""
    text = json.dumps(tables_to_dict(capacity.load_tables(engine)), ensure_ascii=False, indent=2)
    months = json.dumps(
        season_to_dict(season.load_season(engine=engine)), ensure_ascii=False, indent=2
    )
    return templates.TemplateResponse(
        request, "capacity/settings.html", {"text": text, "season": months}
    )


@router.post("/capacity/settings")
def capacity_settings_save(
    engine: EngineDep,
    user: CompanyHeadDep,
    tables: Annotated[str, Form(max_length=200_000)],
    season_table: Annotated[str | None, Form(max_length=200_000)] = None,
) -> Response:
    """Store edited tables and season (both checked first, then saved together)."""
    checked = tables_from_dict(_json_object(tables, _("Таблицы нагрузки")))
    calendar = (
        season_from_dict(_json_object(season_table, _("Сезонность"))) if season_table else None
    )
    capacity.save_tables(engine, checked)
    if calendar is not None:
        season.save_season(engine=engine, table=calendar)
    return RedirectResponse("/capacity?saved=1", status_code=303)


def _json_object(text: str, what: str) -> dict[str, Any]:
    """A JSON object typed by the head of sales, or a message naming line and column."""

    def constant(name: str) -> Any:
        raise BadInputError(_("%(what)s: %(name)s — не число.") % {"what": what, "name": name})

    try:
        data = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            _("%(what)s: не JSON (строка %(line)s, столбец %(column)s: %(error)s).")
            % {"what": what, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from exc
    except RecursionError as exc:
        raise BadInputError(_("%(what)s: слишком глубокая вложенность.") % {"what": what}) from exc
    if json_depth(data) > MAX_JSON_DEPTH:
        raise BadInputError(_("%(what)s: слишком глубокая вложенность.") % {"what": what})
    if not isinstance(data, dict):
        raise BadInputError(_("%(what)s: ожидается JSON-объект.") % {"what": what})
    return data

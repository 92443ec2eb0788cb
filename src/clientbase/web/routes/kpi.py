"""KPIs: scorecard, leaderboard, plan vs actual, trends, funnel, drill-down, Excel export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from clientbase.core import kpi as core
from clientbase.core.access import Scope
from clientbase.errors import BadInputError, NotFoundError
from clientbase.io.kpi_xlsx import write_workbook
from clientbase.services import bonus, catalog, competencies, kpi
from clientbase.web.auth import HeadDep, ScopeDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.i18n import gettext
from clientbase.web.templating import templates

router = APIRouter()

PeriodQuery = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}(-Q[1-4]|-\d{2})?$")]
templates.env.globals.update(KPIS=core.KPIS, KPI_BY_CODE=core.KPI_BY_CODE)


def _kpi_value(value: Any, unit: str) -> str:
    """A KPI as a head of sales reads it: money, %, minutes, a score."""
    if value is None:
        return "—"
    if unit == "money":
        return f"{float(value):,.0f}".replace(",", "\u202f")
    if unit == "share":
        return f"{100 * float(value):.0f} %"
    if unit == "minutes":
        return f"{float(value):.0f} " + gettext("мин")
    if unit == "score":
        return f"{float(value):.1f}"
    return f"{value}"


templates.env.filters["kpi"] = _kpi_value


def _periods(today: dt.date) -> list[str]:
    """The choices of the period picker: 12 months, 4 quarters, 2 years."""
    months = [core.month_of(today.year, today.month - k).label for k in range(12)]
    quarter = (today.month - 1) // 3 + 1
    quarters = []
    year, q = today.year, quarter
    for _ in range(4):
        quarters.append(f"{year}-Q{q}")
        q -= 1
        if q == 0:
            year, q = year - 1, 4
    return months + quarters + [str(today.year), str(today.year - 1)]


def _visible(engine: Any, scope: Scope) -> set[int]:
    return catalog.visible_manager_ids(engine, scope=scope)


def _scoped(card: kpi.Scorecard, scope: Scope, visible: set[int]) -> kpi.Scorecard:
    """The scorecard cut to what the user may see: his own row, his team's rows."""
    if scope.is_everything:
        return card
    rows = [r for r in card.rows if r.manager_id in visible]
    teams = [t for t in card.teams if not scope.is_manager and t.key == scope.team]
    return dataclasses.replace(card, rows=rows, teams=teams, role_groups=[])


def _scoped_trend(trend: kpi.Trend, scope: Scope, visible: set[int]) -> kpi.Trend:
    """The trend cut to the scope: the "company" line becomes the sum of what is visible."""
    if scope.is_everything:
        return trend
    mine = {k: v for k, v in trend.managers.items() if k in visible}
    total = [round(sum(v[i] for v in mine.values()), 2) for i in range(len(trend.months))]
    return dataclasses.replace(trend, managers=mine, company=total)


def _check_manager(scope: Scope, visible: set[int], manager_id: int | None) -> None:
    if manager_id is not None and manager_id not in visible:
        raise NotFoundError(gettext("Менеджер #%(id)s не найден.") % {"id": manager_id})
    if manager_id is None and scope.is_manager:
        raise NotFoundError(gettext("Показатели всей компании доступны руководителю."))


@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(
    request: Request, engine: EngineDep, scope: ScopeDep, period: PeriodQuery = None
) -> HTMLResponse:
    """Scorecard, leaderboard, plan vs actual with forecast, trend and funnel charts."""
    today = dt.date.today()
    period = period or core.month_of(today.year, today.month).label
    visible = _visible(engine, scope)
    card = _scoped(kpi.scorecard(engine=engine, period=period, today=today), scope, visible)
    own = scope.manager_id if scope.is_manager else None
    trend = _scoped_trend(kpi.trends(engine=engine, period=period, manager_id=own), scope, visible)
    stages = kpi.funnel(engine=engine, period=period, manager_id=own)
    plan = [p for p in kpi.plan_vs_actual(card) if p.manager_id in visible]
    top = sorted(
        (mid for mid in trend.managers if mid in visible),
        key=lambda mid: -sum(trend.managers[mid]),
    )[:6]
    charts = {
        "plan": {
            "type": "bar",
            "labels": [p.manager for p in plan],
            "datasets": [
                {"label": gettext("План"), "data": [p.plan or 0 for p in plan]},
                {"label": gettext("Факт"), "data": [p.actual for p in plan]},
                {"label": gettext("Прогноз на конец периода"), "data": [p.forecast for p in plan]},
            ],
        },
        "trend": {
            "type": "line",
            "labels": trend.months,
            "datasets": (
                [] if scope.is_manager else [{"label": gettext("Компания"), "data": trend.company}]
            )
            + [{"label": trend.names[mid], "data": trend.managers[mid]} for mid in top],
        },
        "funnel": {
            "type": "bar",
            "labels": [gettext(s.name) for s in stages],
            "datasets": [{"label": gettext("Количество"), "data": [s.count for s in stages]}],
            "options": {"indexAxis": "y"},
        },
    }
    groups = sorted({r.role_group for r in card.rows})
    return templates.TemplateResponse(
        request,
        "kpi/index.html",
        {
            "card": card,
            "period": period,
            "periods": _periods(today),
            "boards": {g: kpi.leaderboard(card, role_group=g) for g in groups},
            "plan": plan,
            "charts": charts,
            # Won volume shared among each client's team (credit split, issue 12), beside the
            # volume of the manager responsible at close.
            "credited": {
                r.manager_id: r.credited
                for r in bonus.credit_report(engine=engine, period=period).rows
            },
            "shown": (
                "volume",
                "attainment",
                "conversion",
                "new_clients",
                "retention",
                "repeat_rate",
                "coverage",
                "satisfaction",
            ),
        },
    )


@router.get("/kpi/managers/{manager_id}", response_class=HTMLResponse)
def kpi_manager(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    manager_id: IdPath,
    period: PeriodQuery = None,
) -> HTMLResponse:
    """One manager's scorecard: every KPI with its percentile among peers, in words."""
    today = dt.date.today()
    period = period or core.month_of(today.year, today.month).label
    visible = _visible(engine, scope)
    _check_manager(scope, visible, manager_id)
    card = kpi.scorecard(engine=engine, period=period, today=today)
    row = card.row(manager_id)
    bars = kpi.scorecard_bars(card, manager_id)
    chart = {
        "type": "bar",
        "labels": [gettext(b.name) for b in bars],
        "datasets": [
            {
                "label": gettext("Процентиль среди коллег той же роли"),
                "data": [b.percentile for b in bars],
            }
        ],
        "options": {"indexAxis": "y", "scales": {"x": {"min": 0, "max": 100}}},
    }
    return templates.TemplateResponse(
        request,
        "kpi/manager.html",
        {
            "row": row,
            "bars": bars,
            "chart": chart,
            "period": period,
            "card": card,
            # Competency assessments sit next to the results they explain (issue 12).
            "skills": competencies.profile(engine, manager_id),
            "competency_list": competencies.list_competencies(engine),
        },
    )


@router.get("/kpi/drill", response_class=HTMLResponse)
def kpi_drill(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    kpi_code: Annotated[str, Query(alias="kpi", max_length=40)],
    period: PeriodQuery = None,
    manager_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    """The deals, activities, clients or scores behind one number."""
    today = dt.date.today()
    period = period or core.month_of(today.year, today.month).label
    _check_manager(scope, _visible(engine, scope), manager_id)
    if manager_id is None and not scope.is_everything:
        raise NotFoundError(
            gettext("Раскрытие по всей компании доступно руководителю всей компании.")
        )
    drill = kpi.drill_down(
        engine=engine, period=period, kpi=kpi_code, manager_id=manager_id, today=today, limit=2000
    )
    return templates.TemplateResponse(request, "kpi/drill.html", {"d": drill})


@router.get("/kpi/export.xlsx")
def kpi_export(engine: EngineDep, scope: ScopeDep, period: PeriodQuery = None) -> Response:
    """The KPI workbook (a sheet per view, native charts), cut to the user's scope."""
    today = dt.date.today()
    period = period or core.month_of(today.year, today.month).label
    visible = _visible(engine, scope)
    card = _scoped(kpi.scorecard(engine=engine, period=period, today=today), scope, visible)
    own = scope.manager_id if scope.is_manager else None
    trend = kpi.trends(engine=engine, period=period, manager_id=own)
    trend = _scoped_trend(trend, scope, visible)
    folder = Path(tempfile.mkdtemp(prefix="clientbase-kpi-"))
    path = folder / f"kpi-{period}.xlsx"
    write_workbook(
        path,
        card,
        trend=trend,
        funnel=kpi.funnel(engine=engine, period=period, manager_id=own),
        seasonality=kpi.seasonality(engine=engine, today=today),
    )
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/kpi/plans")
def kpi_set_plan(
    engine: EngineDep,
    user: HeadDep,
    manager_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    period: Annotated[str, Form(max_length=10)],
    amount: Annotated[float, Form(ge=0, le=1e13)],
) -> Response:
    """Set a manager's sales plan for a period (heads, within their department)."""
    _check_manager(user.scope, _visible(engine, user.scope), manager_id)
    kpi.set_plan(engine=engine, manager_id=manager_id, period=period, amount=amount)
    return RedirectResponse(f"/kpi?period={period}", status_code=303)


@router.post("/kpi/managers/{manager_id}/assess")
async def kpi_assess(
    request: Request, engine: EngineDep, user: HeadDep, manager_id: IdPath
) -> Response:
    """The head scores a manager on each competency (1–5) today; history is kept."""
    _check_manager(user.scope, _visible(engine, user.scope), manager_id)
    form = await request.form()
    scores: dict[str, int] = {}
    for key, value in form.items():
        if key.startswith("score-") and isinstance(value, str) and value.strip():
            if not value.strip().isdigit():
                raise BadInputError(gettext("Оценка — целое число от 1 до 5."))
            scores[key.removeprefix("score-")] = int(value)
    comment = form.get("comment")
    competencies.assess(
        engine,
        manager_id,
        scores,
        on=dt.date.today(),
        assessor=user.login,
        comment=comment.strip()[:2000] or None if isinstance(comment, str) else None,
    )
    return RedirectResponse(f"/kpi/managers/{manager_id}#competencies", status_code=303)

"""JSON API over the same services as the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from clientbase.core import kpi as kpi_core
from clientbase.core.filters import ManagerFilter
from clientbase.planning.schemas import Settings, Strategy
from clientbase.services import capacity, catalog, jobs, kpi, plans, rotation, routing, teams
from clientbase.web.auth import HeadDep, ScopeDep, UserDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.routes.clients import FilterDep

router = APIRouter(prefix="/api/v1")

Text = Annotated[str, Field(max_length=300)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)] | Annotated[str, Field(max_length=40)]


class LeadIn(BaseModel):
    """An arriving lead: the clients fields, each of its own type (a list is not a name)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Absent or blank: the service answers 400 «пустое название», as for a file's row.
    name: Text | None = None
    client_id: Text | None = None
    region: Text | None = None
    city: Text | None = None
    industry: Text | None = None
    product_line: Text | None = None
    channel: Text | None = None
    ownership: Text | None = None
    tax_id: Annotated[str, Field(max_length=20)] | None = None
    tier: Annotated[str, Field(max_length=20)] | None = None
    status: Annotated[str, Field(max_length=40)] | None = None
    potential: Amount | None = None
    revenue_12m: Amount | None = None


@router.get("/managers")
def api_managers(
    engine: EngineDep,
    scope: ScopeDep,
    role_group: str | None = None,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """Managers with segments and number of clients."""
    rows = catalog.list_managers(
        engine, ManagerFilter(role_group=role_group, region=region), scope=scope
    )
    return [asdict(r) for r in rows]


@router.get("/clients")
def api_clients(
    engine: EngineDep,
    scope: ScopeDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """A page of clients matching the filter, with the total."""
    page = catalog.list_clients(engine, f, limit=limit, offset=offset, scope=scope)
    return {"total": page.total, "rows": [asdict(r) for r in page.rows]}


@router.get("/clients/{client_id}")
def api_client(engine: EngineDep, scope: ScopeDep, client_id: IdPath) -> dict[str, Any]:
    """One client's card."""
    return asdict(catalog.client_card(engine, client_id, scope=scope))


def _visible(engine: EngineDep, scope: ScopeDep) -> set[int]:
    return catalog.visible_manager_ids(engine, scope=scope)


@router.get("/session")
def api_session(user: UserDep) -> dict[str, Any]:
    """Who is logged in, and the CSRF token to send as X-CSRF-Token with every write."""
    return {
        "login": user.login,
        "name": user.name,
        "role": user.role.value,
        "manager_id": user.manager_id,
        "team": user.team,
        "csrf_token": user.csrf_token,
    }


@router.get("/clients/{client_id}/team")
def api_client_team(engine: EngineDep, scope: ScopeDep, client_id: IdPath) -> dict[str, Any]:
    """The client's team: roles it needs, who holds them, past holders, history."""
    catalog.client_card(engine, client_id, scope=scope)  # 404 outside the scope
    return asdict(teams.client_team(engine=engine, client=client_id))


@router.get("/capacity")
def api_capacity(
    engine: EngineDep, scope: ScopeDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> list[dict[str, Any]]:
    """Every visible manager's capacity with its drivers, load, utilization and coverage."""
    visible = _visible(engine, scope)
    report = capacity.buried_clients(engine, days=days)
    return [asdict(m) for m in report.managers if m.manager_id in visible]


@router.get("/kpi")
def api_kpi(
    engine: EngineDep,
    scope: ScopeDep,
    period: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, Any]:
    """The scorecard of a period (default: this month), rows cut to the user's scope."""
    today = dt.date.today()
    period = period or kpi_core.month_of(today.year, today.month).label
    card = kpi.scorecard(engine=engine, period=period, today=today)
    visible = _visible(engine, scope)
    return {
        "period": card.period,
        "as_of": card.as_of.isoformat(),
        "rows": [asdict(r) for r in card.rows if r.manager_id in visible],
    }


@router.get("/rotation/warnings")
def api_rotation_warnings(
    engine: EngineDep, scope: ScopeDep, days: Annotated[int | None, Query(ge=0, le=365)] = None
) -> list[dict[str, Any]]:
    """Clients of visible managers turning dormant within `days` days."""
    visible = _visible(engine, scope)
    return [
        asdict(w)
        for w in rotation.warning_list(engine=engine, days=days)
        if w.manager_id in visible
    ]


@router.get("/rotation/effect")
def api_rotation_effect(engine: EngineDep, user: HeadDep) -> dict[str, Any]:
    """Reactivation of rotated vs held-out clients, per run and cumulative (heads)."""
    return asdict(rotation.effect_report(engine=engine))


@router.get("/plans")
def api_plans(engine: EngineDep, user: HeadDep) -> list[dict[str, Any]]:
    """Stored distribution plans, newest first (heads)."""
    return [asdict(p) for p in plans.list_plans(engine)]


@router.post("/plans", status_code=202)
def api_plan_create(
    engine: EngineDep,
    user: HeadDep,
    strategy: Strategy = Strategy.OPTIMAL,
    time_limit: Annotated[float, Query(ge=1, le=120)] = 10.0,
) -> dict[str, Any]:
    """Start solving a plan in the background; poll /api/v1/jobs/{id} for the result."""
    settings = Settings(time_limit=time_limit)

    def work(progress: jobs.Progress) -> dict[str, Any]:
        summary, plan = plans.create_plan(
            engine=engine,
            solver=plans.solve,
            settings=settings,
            strategy=strategy,
            actor=user.login,
        )
        return {"plan_id": summary.id, "status": plan.status.value}

    job_id = jobs.start_job(
        engine=engine, kind="plan", title="План распределения (API)", actor=user.login, work=work
    )
    return {"job_id": job_id}


@router.get("/jobs/{job_id}")
def api_job(engine: EngineDep, user: HeadDep, job_id: IdPath) -> dict[str, Any]:
    """A background job's state and, when done, its result."""
    job = jobs.get_job(engine, job_id)
    return {**asdict(job), "finished": job.finished}


@router.get("/plans/{plan_id}")
def api_plan(engine: EngineDep, user: HeadDep, plan_id: IdPath) -> dict[str, Any]:
    """A plan's summary, its moves and per-manager figures (a team's head: his team's)."""
    view = plans.view_plan(engine, plan_id, user.scope)
    plan = view.plan
    return {
        "summary": asdict(view.summary),
        "lower_bound": plan.lower_bound,
        "gap": plan.gap,
        "managers": {k: v.to_dict() for k, v in plan.managers.items() if view.shows_manager(k)},
        "moves": [asdict(m) for m in view.moves],
        "hidden_moves": view.hidden_moves,
        "diagnosis": plan.diagnosis.text if plan.diagnosis else None,
    }


@router.get("/plans/{plan_id}/explain/{client_id}")
def api_plan_explain(
    engine: EngineDep, user: HeadDep, plan_id: IdPath, client_id: IdPath
) -> dict[str, Any]:
    """Why the plan gives this client to this manager."""
    return asdict(plans.explanation_for(engine, plan_id, client_id, user.scope))


@router.post("/plans/{plan_id}/apply")
def api_plan_apply(engine: EngineDep, user: HeadDep, plan_id: IdPath) -> dict[str, Any]:
    """Apply a draft in one transaction (409 when the data changed or it is not a draft)."""
    return asdict(
        plans.apply_plan(engine=engine, plan_id=plan_id, actor=user.login, scope=user.scope)
    )


@router.post("/leads")
def api_route_lead(engine: EngineDep, user: HeadDep, lead: LeadIn) -> dict[str, Any]:
    """Route one arriving lead (canonical client fields: name, region, industry, tier…)."""
    fields = lead.model_dump(exclude_none=True)
    report = routing.route_lead(engine=engine, lead=fields, source="api", actor=user.login)
    return routing.lead_answer(engine, report, user.scope)

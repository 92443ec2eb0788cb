"""Distribution: create a plan in the background, see the diff and the why, apply, discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clientbase.core.types import Role
from clientbase.planning.schemas import Settings, Strategy
from clientbase.services import jobs, plan_views, plans
from clientbase.web.auth import HeadDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.i18n import N_, gettext
from clientbase.web.templating import templates

router = APIRouter()

RESULT_RU = {
    "optimal": N_("оптимальный"),
    "feasible": N_("допустимый"),
    "partial": N_("частичный"),
    "infeasible": N_("нет решения"),
}
PLAN_STATUS_RU = {"draft": N_("черновик"), "applied": N_("применён"), "discarded": N_("отклонён")}
STRATEGY_RU = {
    "optimal": N_("оптимизация (OR-Tools)"),
    "round-robin": N_("по кругу (как в CRM)"),
    "least-loaded": N_("наименее загруженному"),
    "weighted": N_("пропорционально ёмкости"),
}
templates.env.globals.update(
    RESULT_RU=RESULT_RU, PLAN_STATUS_RU=PLAN_STATUS_RU, STRATEGY_RU=STRATEGY_RU
)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, engine: EngineDep, user: HeadDep) -> HTMLResponse:
    """Stored plans and the form to compute a new one."""
    return templates.TemplateResponse(
        request,
        "plans/list.html",
        {
            "plans": plans.list_plans(engine),
            "running": [j for j in jobs.recent_jobs(engine, kind="plan") if not j.finished],
            "strategies": [s.value for s in Strategy],
            "roles": [Role.ACCOUNT.value, Role.ACQUISITION.value],
        },
    )


@router.post("/plans")
def plan_create(
    engine: EngineDep,
    user: HeadDep,
    role: Annotated[Role, Form()] = Role.ACCOUNT,
    strategy: Annotated[Strategy, Form()] = Strategy.OPTIMAL,
    time_limit: Annotated[float, Form(ge=1, le=120)] = 10.0,
    max_moves: Annotated[str, Form(max_length=9, pattern=r"^\d*$")] = "",
) -> Response:
    """Start solving in the background; the job page shows the progress."""
    settings = Settings(
        role=role,
        time_limit=time_limit,
        max_moves=int(max_moves) if max_moves else None,
    )

    def work(progress: jobs.Progress) -> dict[str, Any]:
        # Kept in Russian, the source language: the job page shows it translated.
        progress(N_("Собираю данные и решаю задачу распределения…"))
        summary, plan = plans.create_plan(
            engine=engine,
            solver=plans.solve,
            settings=settings,
            strategy=strategy,
            actor=user.login,
        )
        return {"plan_id": summary.id, "status": plan.status.value}

    job_id = jobs.start_job(
        engine=engine,
        kind="plan",
        title=gettext("План распределения (%(strategy)s)")
        % {"strategy": gettext(STRATEGY_RU.get(strategy.value, strategy.value))},
        actor=user.login,
        work=work,
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, engine: EngineDep, user: HeadDep, job_id: IdPath) -> Response:
    """A background job: polled every second by HTMX until it ends."""
    job = jobs.get_job(engine, job_id)
    target = None
    if job.status == "done" and job.result and "plan_id" in job.result:
        target = f"/plans/{job.result['plan_id']}"
    elif job.status == "done" and job.result and "url" in job.result:
        target = str(job.result["url"])
    if request.headers.get("HX-Request"):
        if target:
            return Response(status_code=200, headers={"HX-Redirect": target})
        return templates.TemplateResponse(request, "jobs/_status.html", {"job": job})
    if target:
        # A job that ended before its page was first opened (a short import on a busy
        # server) goes straight to its result, as the polling page would have.
        return RedirectResponse(target, status_code=303)
    return templates.TemplateResponse(request, "jobs/show.html", {"job": job, "target": target})


@router.get("/plans/compare", response_class=HTMLResponse)
def plans_compare(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    first: Annotated[int, Query(ge=1, le=2**63 - 1)],
    second: Annotated[int, Query(ge=1, le=2**63 - 1)],
) -> HTMLResponse:
    """Two drafts side by side: the clients whose manager differs."""
    moves = plans.diff_plans(engine, first, second, user.scope)
    return templates.TemplateResponse(
        request, "plans/compare.html", {"first": first, "second": second, "moves": moves}
    )


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, engine: EngineDep, user: HeadDep, plan_id: IdPath) -> HTMLResponse:
    """One plan: summary, loads before/after, moves with explanations, diagnosis."""
    page = plan_views.plan_page(engine, plan_id, user.scope)
    others = [p for p in plans.list_plans(engine) if p.id != plan_id][:20]
    return templates.TemplateResponse(request, "plans/show.html", {"p": page, "others": others})


@router.get("/plans/{plan_id}/explain/{client_id}", response_class=HTMLResponse)
def plan_explain(
    request: Request, engine: EngineDep, user: HeadDep, plan_id: IdPath, client_id: IdPath
) -> HTMLResponse:
    """Why this client goes to this manager (an HTMX fragment)."""
    explanation = plans.explanation_for(engine, plan_id, client_id, user.scope)
    return templates.TemplateResponse(
        request, "plans/_explain.html", {"e": explanation, "client_id": client_id}
    )


@router.post("/plans/{plan_id}/apply")
def plan_apply(engine: EngineDep, user: HeadDep, plan_id: IdPath) -> Response:
    """Apply a draft in one transaction (refused when the data changed)."""
    plans.apply_plan(engine=engine, plan_id=plan_id, actor=user.login, scope=user.scope)
    return RedirectResponse(f"/plans/{plan_id}?applied=1", status_code=303)


@router.post("/plans/{plan_id}/discard")
def plan_discard(engine: EngineDep, user: HeadDep, plan_id: IdPath) -> Response:
    """Discard a draft."""
    plans.discard_plan(engine=engine, plan_id=plan_id)
    return RedirectResponse("/plans", status_code=303)

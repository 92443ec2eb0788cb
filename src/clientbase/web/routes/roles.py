"""Roles and routing: the rule table, routing of the queue with its fairness, a client's
team edited by hand (hunter/farmer rule enforced), and a manager leaving."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from clientbase.errors import BadInputError, NotFoundError
from clientbase.services import catalog, routing, teams
from clientbase.web.auth import HeadDep
from clientbase.web.company import CompanyHeadDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates
from clientbase.web.uploads import upload_on_disk

router = APIRouter()

MAX_RULES_BYTES = 2 * 1024 * 1024
RULE_SUFFIXES = {".csv", ".xlsx", ".json", ".toml"}


@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, engine: EngineDep, user: HeadDep, days: int = 90) -> HTMLResponse:
    """Rules in evaluation order, routing strategies, fairness of routing."""
    days = max(1, min(days, 730))
    today = dt.date.today()
    fairness = routing.fairness_report(
        engine=engine, since=today - dt.timedelta(days=days), until=today
    )
    chart = {
        "type": "bar",
        "labels": [f"{r.manager} ({r.role})" for r in fairness.rows],
        "datasets": [
            {
                "label": _("Доля полученных клиентов, %"),
                "data": [round(r.share, 1) for r in fairness.rows],
            },
            {
                "label": _("Доля ёмкости, %"),
                "data": [round(r.capacity_share, 1) for r in fairness.rows],
            },
        ],
        "options": {"indexAxis": "y"},
    }
    return templates.TemplateResponse(
        request,
        "roles/index.html",
        {
            "rules": teams.list_rules(engine=engine),
            "config": routing.routing_config(engine=engine),
            "fairness": fairness,
            "days": days,
            "chart": chart,
            "managers": catalog.manager_choices(engine, scope=user.scope),
        },
    )


@router.post("/roles/rules")
async def rules_upload(
    engine: EngineDep,
    user: CompanyHeadDep,
    file: Annotated[UploadFile, File()],
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """Import a rules file (CSV, XLSX, JSON, TOML), all or nothing; rules match by name."""
    async with upload_on_disk(
        file, suffixes=RULE_SUFFIXES, max_bytes=MAX_RULES_BYTES, default_name="rules.csv"
    ) as path:
        await run_in_threadpool(
            partial(teams.import_rules, engine=engine, path=path, replace=replace)
        )
    return RedirectResponse("/roles?imported=1", status_code=303)


@router.get("/roles/rules.{suffix}")
def rules_export(engine: EngineDep, user: HeadDep, suffix: str) -> FileResponse:
    """The rule table as a file that imports back unchanged."""
    if f".{suffix}" not in RULE_SUFFIXES:
        raise BadInputError(_("Формат: csv, xlsx, json или toml."))
    folder = Path(tempfile.mkdtemp(prefix="clientbase-rules-"))
    path = folder / f"rules.{suffix}"
    teams.export_rules(engine=engine, path=path)
    return FileResponse(
        path,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/roles/route", response_class=HTMLResponse)
def route_now(
    request: Request,
    engine: EngineDep,
    user: CompanyHeadDep,
    dry_run: Annotated[bool, Form()] = True,
) -> HTMLResponse:
    """Route every client whose team lacks a needed role (a preview, or for real)."""
    report = routing.route_queue(
        engine=engine, dry_run=dry_run, seed=secrets.randbelow(2**31), actor=user.login
    )
    return templates.TemplateResponse(
        request, "roles/routed.html", {"r": report, "dry_run": dry_run}
    )


@router.post("/clients/{client_id}/team")
def set_team_member(
    engine: EngineDep,
    user: HeadDep,
    client_id: IdPath,
    role: Annotated[str, Form(max_length=20)],
    manager_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
) -> Response:
    """Give one role of the client to a manager; refused when the role rules forbid it."""
    catalog.client_card(engine, client_id, scope=user.scope)  # 404 outside the scope
    _in_department(engine, user, manager_id)
    teams.set_responsible(
        engine=engine,
        client=client_id,
        role=role,
        manager=manager_id,
        actor=user.login,
        reason="manual",
    )
    return RedirectResponse(f"/clients/{client_id}#team", status_code=303)


def _in_department(engine: EngineDep, user: HeadDep, manager_id: int) -> None:
    visible = catalog.visible_manager_ids(engine, scope=user.scope)
    if manager_id not in visible:
        raise NotFoundError(_("Менеджер #%(id)s не найден в вашем отделе.") % {"id": manager_id})


@router.post("/managers/{manager_id}/leave", response_class=HTMLResponse)
def manager_leave(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    manager_id: IdPath,
    apply: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """A manager leaves: preview where each of his clients goes, then apply in one go."""
    _in_department(engine, user, manager_id)
    report = teams.manager_leaves(engine=engine, manager=manager_id, apply=apply, actor=user.login)
    return templates.TemplateResponse(request, "roles/leave.html", {"r": report})


@router.post("/roles/leave", response_class=HTMLResponse)
def manager_leave_preview(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    manager_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
) -> HTMLResponse:
    """The preview of a leave chosen in the form of the roles page."""
    return manager_leave(request, engine, user, manager_id, apply=False)


@router.post("/roles/lead", response_class=HTMLResponse)
def route_one_lead(
    request: Request,
    engine: EngineDep,
    user: HeadDep,
    name: Annotated[str, Form(max_length=300)],
    region: Annotated[str, Form(max_length=120)] = "",
    industry: Annotated[str, Form(max_length=120)] = "",
    channel: Annotated[str, Form(max_length=120)] = "",
    ownership: Annotated[str, Form(max_length=120)] = "",
    tier: Annotated[str, Form(max_length=3)] = "",
    potential: Annotated[str, Form(max_length=30)] = "",
    tax_id: Annotated[str, Form(max_length=12)] = "",
) -> HTMLResponse:
    """One arriving lead, routed at once: its owner if it is already a client, else the
    eligible manager with the least relative load (or the queue, with the reason)."""
    lead = {
        "name": name,
        "region": region,
        "industry": industry,
        "channel": channel,
        "ownership": ownership,
        "tier": tier,
        "potential": potential,
        "tax_id": tax_id,
    }
    report = routing.route_lead(
        engine=engine, lead=lead, seed=secrets.randbelow(2**31), source="web", actor=user.login
    )
    return templates.TemplateResponse(request, "roles/routed.html", {"r": report, "dry_run": False})

"""Rotation of dormant clients: the warning list, a dry run, the run, the measured effect."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from clientbase.io.writers import escape_formula as neutralize
from clientbase.services import catalog, rotation
from clientbase.web.auth import ScopeDep
from clientbase.web.company import CompanyHeadDep
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates

router = APIRouter()

DayQuery = Annotated[int, Query(ge=0, le=365)]


def _warnings(engine: EngineDep, scope: ScopeDep, days: int | None) -> list[rotation.WarningRow]:
    visible = catalog.visible_manager_ids(engine, scope=scope)
    return [w for w in rotation.warning_list(engine=engine, days=days) if w.manager_id in visible]


@router.get("/rotation", response_class=HTMLResponse)
def rotation_page(
    request: Request, engine: EngineDep, scope: ScopeDep, days: DayQuery | None = None
) -> HTMLResponse:
    """Clients turning dormant soon (per manager); for heads: runs and their effect."""
    warnings = _warnings(engine, scope, days)
    report = rotation.effect_report(engine=engine) if scope.may_manage else None
    chart = None
    if report is not None and report.runs:
        runs = [r for r in report.runs if r.overall.rotated_n or r.overall.holdout_n]
        chart = {
            "type": "bar",
            "labels": [f"#{r.run_id} {r.run_date:%d.%m.%Y}" for r in runs if r.run_date],
            "datasets": [
                {
                    "label": _("Реактивация переданных, %"),
                    "data": [round(100 * r.overall.rotated_rate, 1) for r in runs],
                },
                {
                    "label": _("Реактивация контрольной группы, %"),
                    "data": [round(100 * r.overall.holdout_rate, 1) for r in runs],
                },
            ],
        }
    return templates.TemplateResponse(
        request,
        "rotation/index.html",
        {
            "warnings": warnings,
            "days": days,
            "report": report,
            "chart": chart,
            "today": dt.date.today(),
            "settings": rotation.load_settings(engine),
        },
    )


@router.get("/rotation/warnings.csv")
def warnings_csv(engine: EngineDep, scope: ScopeDep, days: DayQuery | None = None) -> Response:
    """The warning list as a CSV a manager can work from (Excel-safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            _("Менеджер"),
            _("ID клиента"),
            _("Клиент"),
            _("Значимость"),
            _("Последняя покупка"),
            _("Станет спящим"),
            _("Осталось дней"),
            _("Выручка 12 мес"),
            _("Примечание"),
        ]
    )
    for w in _warnings(engine, scope, days):
        writer.writerow(
            [
                neutralize(w.manager),
                w.client_id,
                neutralize(w.client),
                w.tier,
                w.last_purchase.isoformat(),
                w.dormant_on.isoformat(),
                w.days_left,
                f"{w.revenue_12m:.2f}",
                neutralize(w.note),
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rotation-warnings.csv"'},
    )


@router.post("/rotation/run", response_class=HTMLResponse)
def rotation_run(
    request: Request,
    engine: EngineDep,
    user: CompanyHeadDep,
    run_date: Annotated[dt.date, Form()],
    dry_run: Annotated[bool, Form()] = False,
    confirm_vip: Annotated[bool, Form()] = False,
    holdout: Annotated[float, Form(ge=0, le=1)] = 0.2,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    """A dry run (nothing written) or the run itself, in one transaction."""
    result = rotation.run_rotation(
        engine=engine,
        run_date=run_date,
        dry_run=dry_run,
        seed=seed,
        holdout=holdout,
        confirm_vip=confirm_vip,
        actor=user.login,
    )
    return templates.TemplateResponse(
        request,
        "rotation/result.html",
        {
            "r": result,
            "form": {
                "run_date": run_date.isoformat(),
                "holdout": holdout,
                "seed": seed,
                "confirm_vip": confirm_vip,
            },
        },
    )

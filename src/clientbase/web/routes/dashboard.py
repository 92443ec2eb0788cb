"""Dashboard: the client base at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from clientbase.core.filters import ManagerFilter
from clientbase.services import catalog
from clientbase.services.overview import company_overview, dashboard_alerts
from clientbase.web.auth import ScopeDep
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates

router = APIRouter()


DASHBOARD_MANAGERS = 40


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """Counts, clients and potential by region, and each manager's number of clients."""
    overview = company_overview(engine, scope=scope)
    everyone = catalog.list_managers(engine, ManagerFilter(), scope=scope)
    alerts = dashboard_alerts(
        engine,
        scope=scope,
        visible_managers_ids=None if scope.is_everything else {m.id for m in everyone},
    )
    # The chart shows the most loaded managers; the managers page lists everybody.
    managers = sorted(
        (m for m in everyone if m.clients),
        key=lambda m: (-m.clients, m.name),
    )[:DASHBOARD_MANAGERS]
    chart = {
        "regions": [r.value for r in overview.by_region],
        "potential": [round(r.potential) for r in overview.by_region],
        "dormant": [r.dormant for r in overview.by_region],
        "clients": [r.clients for r in overview.by_region],
        "managers": [m.name for m in managers],
        "load": [m.clients for m in managers],
        # Dataset names for static/charts.js, in the page's language.
        "names": {
            "potential": _("Потенциал, ₽"),
            "dormant": _("Спящих клиентов"),
            "clients": _("Клиентов"),
        },
    }
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {"overview": overview, "managers": managers, "chart": chart, "alerts": alerts},
    )

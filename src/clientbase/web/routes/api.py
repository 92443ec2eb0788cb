"""JSON API over the same services as the pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from clientbase.core.filters import ManagerFilter
from clientbase.services import catalog
from clientbase.web.auth import ScopeDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.routes.clients import FilterDep

router = APIRouter(prefix="/api/v1")


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
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """A page of clients matching the filter, with the total."""
    page = catalog.list_clients(engine, f, limit=limit, offset=offset, scope=scope)
    return {"total": page.total, "rows": [asdict(r) for r in page.rows]}


@router.get("/clients/{client_id}")
def api_client(engine: EngineDep, scope: ScopeDep, client_id: IdPath) -> dict[str, Any]:
    """One client's card."""
    return asdict(catalog.client_card(engine, client_id, scope=scope))

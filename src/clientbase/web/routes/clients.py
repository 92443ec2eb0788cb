"""Clients: filtered, sortable, paginated list and the client card."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from clientbase.core.filters import ClientFilter
from clientbase.db.repository import SORTABLE
from clientbase.services import catalog, contacts
from clientbase.web.auth import ScopeDep
from clientbase.web.deps import EngineDep, IdPath
from clientbase.web.templating import templates

router = APIRouter()
PAGE_SIZE = 50


def client_filter(
    region: str | None = None,
    industry: str | None = None,
    product_line: str | None = None,
    channel: str | None = None,
    ownership: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    owner_id: Annotated[str | None, Query(pattern=r"^\d{0,18}$")] = None,
    search: str | None = None,
    sort: str = "potential",
    desc: bool = True,
) -> ClientFilter:
    """Read a client filter from query parameters; empty strings mean no filter."""
    return ClientFilter(
        region=region or None,
        industry=industry or None,
        product_line=product_line or None,
        channel=channel or None,
        ownership=ownership or None,
        tier=tier or None,
        status=status or None,
        owner_id=int(owner_id) if owner_id else None,
        search=search or None,
        sort=sort if sort in SORTABLE else "potential",
        descending=desc,
    )


FilterDep = Annotated[ClientFilter, Depends(client_filter)]


@router.get("/clients", response_class=HTMLResponse)
def clients_page(
    request: Request,
    engine: EngineDep,
    scope: ScopeDep,
    f: FilterDep,
    page: Annotated[int, Query(ge=1, le=2**24)] = 1,
) -> HTMLResponse:
    """The client list; an HTMX request gets only the table."""
    result = catalog.list_clients(
        engine, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, scope=scope
    )
    context = {
        "page": result,
        "f": f,
        "page_no": page,
        "pages": max(1, math.ceil(result.total / PAGE_SIZE)),
    }
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "clients/_table.html", context)
    context.update(
        values=catalog.segment_values(engine),
        managers=catalog.manager_choices(engine, scope=scope),
    )
    return templates.TemplateResponse(request, "clients/list.html", context)


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_page(
    request: Request, engine: EngineDep, scope: ScopeDep, client_id: IdPath
) -> HTMLResponse:
    """One client's card: segment, team, contacts, deals, activities, history."""
    card = catalog.client_card(engine, client_id, scope=scope)
    people = contacts.list_contacts(engine, client_id)
    return templates.TemplateResponse(
        request,
        "clients/card.html",
        {
            "card": card,
            "contacts": people,
            "purchase_roles": contacts.PURCHASE_ROLES,
            # Heads edit the team on the card (the role rules are checked by the service).
            "team_choices": catalog.manager_choices(engine, scope=scope)
            if scope.may_manage
            else [],
        },
    )


@router.post("/clients/{client_id}/contacts")
def client_contact_add(
    engine: EngineDep,
    scope: ScopeDep,
    client_id: IdPath,
    name: Annotated[str, Form(max_length=200)],
    position: Annotated[str, Form(max_length=200)] = "",
    purchase_role: Annotated[str, Form(max_length=40)] = "other",
    phone: Annotated[str, Form(max_length=60)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    primary: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Add a person at the client (anyone who may see the client: his manager too)."""
    catalog.client_card(engine, client_id, scope=scope)  # 404 outside the scope
    contacts.add_contact(
        engine,
        client_id,
        name=name,
        position=position or None,
        phone=phone or None,
        email=email or None,
        purchase_role=purchase_role,
        primary=primary,
    )
    return RedirectResponse(f"/clients/{client_id}#contacts", status_code=303)

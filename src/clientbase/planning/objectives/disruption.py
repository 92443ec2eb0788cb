"""Disruption: the cost of handing a client to another manager.

    cost(c) = s(c) · (1 + min(3, revenue_12m(c) / R̃) + min(2, years(c) / 2))

- R̃ is the median `revenue_12m` over the instance's clients with positive revenue (the
  revenue term is 0 when nobody has revenue): a client buying three times the median or
  more costs four times a client with no revenue.
- years(c) is the length of the relationship with the current owner, from `owner_since`
  to the settings' `as_of` date (default: the latest `owner_since` in the instance, so
  the same files give the same plan on any day); unknown → 0. Four years or more add 2.
- s(c) = 0.5 for dormant or lost clients, 1 otherwise: moving a client who stopped buying
  is cheap, and rotation even recommends it (SPEC §6).

So the cost lies in [0.5, 6]; a new client without an owner costs nothing to place.
"""

from __future__ import annotations

import datetime as dt
import statistics

from clientbase.core.types import ClientStatus
from clientbase.planning.builder import ModelBuilder, Term
from clientbase.planning.schemas import Client, Instance

# Costs enter the integer model in hundredths.
COST_SCALE = 100
REVENUE_CAP = 3.0
TENURE_CAP = 2.0
DORMANT_FACTOR = 0.5


def reference_date(instance: Instance) -> dt.date | None:
    """The date relationship lengths are measured to."""
    if instance.settings.as_of is not None:
        return instance.settings.as_of
    dates = [c.owner_since for c in instance.clients if c.owner_since is not None]
    return max(dates) if dates else None


def median_revenue(instance: Instance) -> float:
    """R̃: median positive revenue over the last 12 months, 0 when nobody has revenue."""
    revenues = [c.revenue_12m for c in instance.clients if c.revenue_12m > 0]
    return statistics.median(revenues) if revenues else 0.0


def move_cost(client: Client, *, as_of: dt.date | None, median: float) -> float:
    """The documented cost of moving `client` away from his owner (0 without an owner)."""
    if client.owner_id is None:
        return 0.0
    revenue_term = min(REVENUE_CAP, client.revenue_12m / median) if median > 0 else 0.0
    years = 0.0
    if as_of is not None and client.owner_since is not None:
        years = max(0.0, (as_of - client.owner_since).days / 365.25)
    tenure_term = min(TENURE_CAP, years / 2)
    scale = DORMANT_FACTOR if client.status in (ClientStatus.DORMANT, ClientStatus.LOST) else 1.0
    return scale * (1.0 + max(0.0, revenue_term) + tenure_term)


def costs(instance: Instance) -> list[float]:
    """Move cost of every client, by position."""
    as_of = reference_date(instance)
    median = median_revenue(instance)
    return [move_cost(c, as_of=as_of, median=median) for c in instance.clients]


def total(instance: Instance, assignment: dict[str, str | None]) -> float:
    """Σ cost over the clients the assignment moves."""
    table = costs(instance)
    return sum(
        cost
        for client, cost in zip(instance.clients, table, strict=True)
        if client.owner_id is not None
        and assignment.get(client.id) is not None
        and assignment.get(client.id) != client.owner_id
    )


def terms(builder: ModelBuilder, table: list[float]) -> list[Term]:
    """Objective terms Σ cost·x over pairs that move a client (integer hundredths for CP-SAT)."""
    result: list[Term] = []
    for c, var in builder.moved_terms():
        cost = table[c] * COST_SCALE
        result.append((round(cost) if builder.backend.integral else cost, var))
    return result

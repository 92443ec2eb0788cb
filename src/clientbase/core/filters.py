"""Query filters over clients and managers, by every segment principle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientFilter:
    """Which clients to list; None means no restriction. Text matches are case-insensitive."""

    region: str | None = None
    industry: str | None = None
    product_line: str | None = None
    channel: str | None = None
    ownership: str | None = None
    tier: str | None = None
    status: str | None = None
    owner_id: int | None = None
    search: str | None = None
    client_id: int | None = None
    sort: str = "potential"
    descending: bool = True


@dataclass(frozen=True, slots=True)
class ManagerFilter:
    """Which managers to list; segment filters keep managers allowed to serve that value."""

    role_group: str | None = None
    team: str | None = None
    active: bool | None = None
    region: str | None = None
    industry: str | None = None
    product_line: str | None = None
    channel: str | None = None
    ownership: str | None = None
    tier: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ClientRow:
    """A client as shown in a list."""

    id: int
    name: str
    region: str | None
    city: str | None
    industry: str | None
    product_line: str | None
    channel: str | None
    ownership: str | None
    tier: str
    status: str
    potential: float
    revenue_12m: float
    last_purchase: str | None
    owner_id: int | None
    owner: str | None
    locked: bool


@dataclass(frozen=True, slots=True)
class ManagerRow:
    """A manager as shown in a list, with current load."""

    id: int
    name: str
    email: str | None
    role_group: str
    team: str | None
    grade: int
    active: bool
    regions: str
    industries: str
    product_lines: str
    channels: str
    ownerships: str
    tiers: str
    clients: int

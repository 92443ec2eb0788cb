"""Domain vocabulary of SPEC §1–2 as plain enums and frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a responsible person does for a client."""

    ACQUISITION = "acquisition"
    SALES = "sales"
    ACCOUNT = "account"
    SERVICE = "service"
    ADMIN = "admin"


class RoleGroup(StrEnum):
    """A manager's primary group."""

    HUNTER = "hunter"
    FARMER = "farmer"
    SERVICE = "service"
    ADMIN = "admin"
    HEAD = "head"


class Tier(StrEnum):
    """Client significance (значимость)."""

    VIP = "VIP"
    A = "A"
    B = "B"
    C = "C"


class ClientStatus(StrEnum):
    """Life-cycle status of a client."""

    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    LOST = "lost"


class Outcome(StrEnum):
    """Outcome of a deal."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityType(StrEnum):
    """Kinds of logged activity."""

    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    TASK = "task"
    INBOUND = "inbound"


class Direction(StrEnum):
    """Direction of a communication activity."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class FeedbackSource(StrEnum):
    """Where a satisfaction score came from."""

    SURVEY = "survey"
    MYSTERY_SHOPPING = "mystery_shopping"
    CALL_REVIEW = "call_review"


class ScoreScale(StrEnum):
    """Scale of a satisfaction score."""

    CSAT = "csat"  # 1–5
    NPS = "nps"  # 0–10


class Principle(StrEnum):
    """The six segment principles (принципы сегментации)."""

    REGION = "region"
    INDUSTRY = "industry"
    PRODUCT_LINE = "product_line"
    TIER = "tier"
    CHANNEL = "channel"
    OWNERSHIP = "ownership"


ANY = "*"

# Roles that belong to hunters and to farmers: never both for one manager (SPEC §1).
HUNTER_ROLES = frozenset({Role.ACQUISITION, Role.SALES})
FARMER_ROLES = frozenset({Role.ACCOUNT})

# Column name of each principle's allowed-values list on a manager (SPEC §8).
PRINCIPLE_LIST_FIELD: dict[Principle, str] = {
    Principle.REGION: "regions",
    Principle.INDUSTRY: "industries",
    Principle.PRODUCT_LINE: "product_lines",
    Principle.TIER: "tiers",
    Principle.CHANNEL: "channels",
    Principle.OWNERSHIP: "ownerships",
}


def roles_allowed(group: RoleGroup) -> frozenset[Role]:
    """Roles a manager of this group may hold; hunters and farmers are kept apart."""
    if group is RoleGroup.HUNTER:
        return frozenset({Role.ACQUISITION, Role.SALES})
    if group is RoleGroup.FARMER:
        return frozenset({Role.ACCOUNT, Role.SALES})
    if group is RoleGroup.SERVICE:
        return frozenset({Role.SERVICE})
    if group is RoleGroup.ADMIN:
        return frozenset({Role.ADMIN, Role.SALES})
    return frozenset({Role.ACCOUNT, Role.SALES, Role.SERVICE, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Allowed segment values per principle; a principle absent or holding `*` allows any."""

    allowed: dict[Principle, frozenset[str]] = field(default_factory=dict)

    def allows(self, principle: Principle, value: str | None) -> bool:
        """Whether a client with `value` for `principle` may be served."""
        values = self.allowed.get(principle)
        if values is None or ANY in values:
            return True
        if value is None:
            return False
        return value.casefold() in {v.casefold() for v in values}

    def admits(self, segment: dict[Principle, str | None]) -> bool:
        """Whether every principle of a client's segment is allowed."""
        return all(self.allows(p, segment.get(p)) for p in Principle)

    @classmethod
    def parse(cls, lists: dict[Principle, str | None]) -> Eligibility:
        """Build from `;`-separated lists, as in files (`*` or empty = any)."""
        allowed: dict[Principle, frozenset[str]] = {}
        for principle, text in lists.items():
            if text is None or not text.strip():
                continue
            values = frozenset(v.strip() for v in text.split(";") if v.strip())
            if values and ANY not in values:
                allowed[principle] = values
        return cls(allowed)

    def render(self, principle: Principle) -> str:
        """`;`-separated list for one principle, `*` when any."""
        values = self.allowed.get(principle)
        return ANY if not values else ";".join(sorted(values))


@dataclass(frozen=True, slots=True)
class ManagerProfile:
    """A manager as the core sees him."""

    id: int
    name: str
    role_group: RoleGroup
    grade: int = 1
    active: bool = True
    capacity: int | None = None
    hours: float | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """A client as the core sees him."""

    id: int
    name: str
    tier: Tier
    potential: float
    status: ClientStatus = ClientStatus.ACTIVE
    region: str | None = None
    industry: str | None = None
    product_line: str | None = None
    channel: str | None = None
    ownership: str | None = None
    revenue_12m: float = 0.0
    locked: bool = False
    first_purchase: dt.date | None = None
    last_purchase: dt.date | None = None

    def segment(self) -> dict[Principle, str | None]:
        """The client's value for each of the six principles."""
        return {
            Principle.REGION: self.region,
            Principle.INDUSTRY: self.industry,
            Principle.PRODUCT_LINE: self.product_line,
            Principle.TIER: self.tier.value,
            Principle.CHANNEL: self.channel,
            Principle.OWNERSHIP: self.ownership,
        }


def abc_tiers(
    revenues: dict[int, float], *, a_share: float = 0.8, b_share: float = 0.95
) -> dict[int, Tier]:
    """ABC analysis: clients making the first 80 % of revenue are A, next 15 % B, rest C."""
    total = sum(max(r, 0.0) for r in revenues.values())
    result: dict[int, Tier] = {}
    if total <= 0:
        return {cid: Tier.C for cid in revenues}
    running = 0.0
    for cid, revenue in sorted(revenues.items(), key=lambda kv: (-kv[1], kv[0])):
        share_before = running / total
        running += max(revenue, 0.0)
        if share_before < a_share:
            result[cid] = Tier.A
        elif share_before < b_share:
            result[cid] = Tier.B
        else:
            result[cid] = Tier.C
    return result

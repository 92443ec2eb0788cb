"""Instance and plan of the distribution problem: plain data, storable as JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clientbase.core.types import (
    ClientProfile,
    ClientStatus,
    Eligibility,
    ManagerProfile,
    Principle,
    Role,
    RoleGroup,
    Tier,
)


class PlanStatus(StrEnum):
    """How good a plan is: proven optimal, merely feasible, partial, or none found."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    PARTIAL = "partial"
    INFEASIBLE = "infeasible"


class Strategy(StrEnum):
    """How a plan is computed: our optimizer or one of the greedy rules other CRMs ship."""

    OPTIMAL = "optimal"
    ROUND_ROBIN = "round-robin"
    LEAST_LOADED = "least-loaded"
    WEIGHTED = "weighted"


@dataclass(frozen=True, slots=True)
class Manager:
    """A manager as the planner sees him; ids are strings so files and databases both fit."""

    id: str
    name: str = ""
    role_group: RoleGroup = RoleGroup.FARMER
    grade: int = 1
    active: bool = True
    absent: bool = False
    capacity: int = 40
    hours: float | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)

    @classmethod
    def from_profile(
        cls, profile: ManagerProfile, *, capacity: int, absent: bool = False
    ) -> Manager:
        """Adapt a core profile; the capacity is resolved by the capacity model beforehand."""
        return cls(
            id=str(profile.id),
            name=profile.name,
            role_group=profile.role_group,
            grade=profile.grade,
            active=profile.active,
            absent=absent,
            capacity=capacity,
            hours=profile.hours,
            eligibility=profile.eligibility,
        )


@dataclass(frozen=True, slots=True)
class Client:
    """A client as the planner sees him, with his current owner for the planned role."""

    id: str
    name: str = ""
    tier: Tier = Tier.C
    potential: float = 0.0
    region: str | None = None
    industry: str | None = None
    product_line: str | None = None
    channel: str | None = None
    ownership: str | None = None
    revenue_12m: float = 0.0
    hours: float = 0.0
    status: ClientStatus = ClientStatus.ACTIVE
    owner_id: str | None = None
    owner_since: dt.date | None = None
    locked: bool = False

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

    @classmethod
    def from_profile(
        cls,
        profile: ClientProfile,
        *,
        owner_id: str | None = None,
        owner_since: dt.date | None = None,
        hours: float = 0.0,
    ) -> Client:
        """Adapt a core profile plus the current responsibility for the planned role."""
        return cls(
            id=str(profile.id),
            name=profile.name,
            tier=profile.tier,
            potential=profile.potential,
            region=profile.region,
            industry=profile.industry,
            product_line=profile.product_line,
            channel=profile.channel,
            ownership=profile.ownership,
            revenue_12m=profile.revenue_12m,
            hours=hours,
            status=profile.status,
            owner_id=owner_id,
            owner_since=owner_since,
            locked=profile.locked,
        )


def _default_min_grade() -> dict[Tier, int]:
    return {Tier.VIP: 4}


def _default_tier_weight() -> dict[Tier, int]:
    return {Tier.VIP: 1, Tier.A: 1, Tier.B: 1, Tier.C: 1}


@dataclass(frozen=True, slots=True)
class Settings:
    """Knobs of one distribution run; the defaults are what a head of sales expects."""

    role: Role = Role.ACCOUNT
    # VIP (or any chosen tier) only to managers of at least this grade, or to the head.
    min_grade: dict[Tier, int] = field(default_factory=_default_min_grade)
    # How many capacity slots a client of each tier takes (SPEC §3: VIP may weigh more).
    tier_weight: dict[Tier, int] = field(default_factory=_default_tier_weight)
    max_moves: int | None = None
    # Within this much imbalance above the best, fewer moves win (objective 3 vs 2).
    balance_tolerance: float = 0.01
    # Resolution of the balance objective: spreads within one step are equally good.
    balance_step: float = 0.002
    time_limit: float = 10.0
    seed: int = 0
    num_workers: int = 2
    as_of: dt.date | None = None
    lang: str = "ru"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "role": self.role.value,
            "min_grade": {t.value: g for t, g in self.min_grade.items()},
            "tier_weight": {t.value: w for t, w in self.tier_weight.items()},
            "max_moves": self.max_moves,
            "balance_tolerance": self.balance_tolerance,
            "balance_step": self.balance_step,
            "time_limit": self.time_limit,
            "seed": self.seed,
            "num_workers": self.num_workers,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "lang": self.lang,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Inverse of `to_dict`."""
        as_of = data.get("as_of")
        return cls(
            role=Role(data.get("role", Role.ACCOUNT.value)),
            min_grade={Tier(t): int(g) for t, g in data.get("min_grade", {"VIP": 4}).items()},
            tier_weight={
                Tier(t): int(w)
                for t, w in data.get("tier_weight", {t.value: 1 for t in Tier}).items()
            },
            max_moves=data.get("max_moves"),
            balance_tolerance=float(data.get("balance_tolerance", 0.01)),
            balance_step=float(data.get("balance_step", 0.002)),
            time_limit=float(data.get("time_limit", 10.0)),
            seed=int(data.get("seed", 0)),
            num_workers=int(data.get("num_workers", 2)),
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            lang=str(data.get("lang", "ru")),
        )

    def weight(self, tier: Tier) -> int:
        """Capacity slots a client of `tier` takes."""
        return self.tier_weight.get(tier, 1)


@dataclass(frozen=True, slots=True)
class Instance:
    """Everything the planner needs: managers, clients with owners and locks, settings."""

    managers: tuple[Manager, ...]
    clients: tuple[Client, ...]
    settings: Settings = field(default_factory=Settings)

    def manager_index(self) -> dict[str, Manager]:
        """Managers by id."""
        return {m.id: m for m in self.managers}

    def client_index(self) -> dict[str, Client]:
        """Clients by id."""
        return {c.id: c for c in self.clients}


@dataclass(frozen=True, slots=True)
class ManagerStats:
    """What one manager receives under a plan."""

    manager_id: str
    clients: int
    load: int
    hours: float
    potential: float
    capacity: int
    hours_capacity: float | None
    moved_in: int
    moved_out: int

    @property
    def ratio(self) -> float:
        """Potential per capacity slot (r_m of SPEC §4)."""
        return self.potential / self.capacity if self.capacity > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "manager_id": self.manager_id,
            "clients": self.clients,
            "load": self.load,
            "hours": round(self.hours, 4),
            "potential": round(self.potential, 4),
            "capacity": self.capacity,
            "hours_capacity": self.hours_capacity,
            "moved_in": self.moved_in,
            "moved_out": self.moved_out,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManagerStats:
        """Inverse of `to_dict`."""
        return cls(
            manager_id=str(data["manager_id"]),
            clients=int(data["clients"]),
            load=int(data["load"]),
            hours=float(data["hours"]),
            potential=float(data["potential"]),
            capacity=int(data["capacity"]),
            hours_capacity=data.get("hours_capacity"),
            moved_in=int(data.get("moved_in", 0)),
            moved_out=int(data.get("moved_out", 0)),
        )


@dataclass(frozen=True, slots=True)
class Fix:
    """A concrete change that would let more clients be served."""

    kind: str  # raise_capacity | raise_hours | allow_segment | hire | unlock | raise_max_moves
    text: str
    manager_id: str | None = None
    amount: float | None = None
    principle: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "text": self.text,
            "manager_id": self.manager_id,
            "amount": self.amount,
            "principle": self.principle,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        """Inverse of `to_dict`."""
        return cls(
            kind=str(data["kind"]),
            text=str(data["text"]),
            manager_id=data.get("manager_id"),
            amount=data.get("amount"),
            principle=data.get("principle"),
            value=data.get("value"),
        )


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A client the plan cannot place, the rule that stops him and the reason in words."""

    client_id: str
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"client_id": self.client_id, "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why not everybody can be served and what would fix it."""

    binding: tuple[str, ...]
    unplaced: tuple[Unplaced, ...]
    fixes: tuple[Fix, ...]
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "binding": list(self.binding),
            "unplaced": [u.to_dict() for u in self.unplaced],
            "fixes": [f.to_dict() for f in self.fixes],
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        """Inverse of `to_dict`."""
        return cls(
            binding=tuple(data["binding"]),
            unplaced=tuple(Unplaced(**u) for u in data["unplaced"]),
            fixes=tuple(Fix.from_dict(f) for f in data["fixes"]),
            text=str(data["text"]),
        )


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a client got his manager: candidates, binding rules, runner-up and its cost."""

    client_id: str
    manager_id: str | None
    eligible: tuple[str, ...]
    binding: tuple[str, ...]
    runner_up: str | None
    runner_up_cost: dict[str, float]
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "client_id": self.client_id,
            "manager_id": self.manager_id,
            "eligible": list(self.eligible),
            "binding": list(self.binding),
            "runner_up": self.runner_up,
            "runner_up_cost": self.runner_up_cost,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        """Inverse of `to_dict`."""
        return cls(
            client_id=str(data["client_id"]),
            manager_id=data.get("manager_id"),
            eligible=tuple(data["eligible"]),
            binding=tuple(data["binding"]),
            runner_up=data.get("runner_up"),
            runner_up_cost=dict(data.get("runner_up_cost", {})),
            text=str(data["text"]),
        )


@dataclass(slots=True)
class Plan:
    """A proposed assignment client → manager (None = unassigned) with its quality."""

    assignment: dict[str, str | None]
    status: PlanStatus
    strategy: Strategy = Strategy.OPTIMAL
    objective: float = 0.0
    lower_bound: float = 0.0
    gap: float = 0.0
    moves: int = 0
    unassigned: int = 0
    imbalance: float = 0.0
    imbalance_role_group: float = 0.0
    disruption: float = 0.0
    solve_seconds: float = 0.0
    managers: dict[str, ManagerStats] = field(default_factory=dict)
    diagnosis: Diagnosis | None = None
    explanations: dict[str, Explanation] = field(default_factory=dict)
    components: int = 0
    violations: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; `from_dict` restores an equal plan."""
        return {
            "status": self.status.value,
            "strategy": self.strategy.value,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "gap": self.gap,
            "moves": self.moves,
            "unassigned": self.unassigned,
            "imbalance": self.imbalance,
            "imbalance_role_group": self.imbalance_role_group,
            "disruption": self.disruption,
            "solve_seconds": self.solve_seconds,
            "components": self.components,
            "violations": self.violations,
            "assignment": dict(self.assignment),
            "managers": {k: v.to_dict() for k, v in self.managers.items()},
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "explanations": {k: v.to_dict() for k, v in self.explanations.items()},
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Inverse of `to_dict`."""
        diagnosis = data.get("diagnosis")
        return cls(
            assignment=dict(data["assignment"]),
            status=PlanStatus(data["status"]),
            strategy=Strategy(data.get("strategy", Strategy.OPTIMAL.value)),
            objective=float(data.get("objective", 0.0)),
            lower_bound=float(data.get("lower_bound", 0.0)),
            gap=float(data.get("gap", 0.0)),
            moves=int(data.get("moves", 0)),
            unassigned=int(data.get("unassigned", 0)),
            imbalance=float(data.get("imbalance", 0.0)),
            imbalance_role_group=float(data.get("imbalance_role_group", 0.0)),
            disruption=float(data.get("disruption", 0.0)),
            solve_seconds=float(data.get("solve_seconds", 0.0)),
            components=int(data.get("components", 0)),
            violations=int(data.get("violations", 0)),
            managers={k: ManagerStats.from_dict(v) for k, v in data.get("managers", {}).items()},
            diagnosis=Diagnosis.from_dict(diagnosis) if diagnosis else None,
            explanations={
                k: Explanation.from_dict(v) for k, v in data.get("explanations", {}).items()
            },
            notes=list(data.get("notes", [])),
        )


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of a plan: which rule, which client, which manager, in words."""

    rule: str
    client_id: str | None
    manager_id: str | None
    message: str

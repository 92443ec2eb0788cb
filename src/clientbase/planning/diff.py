"""Compare two plans of the same clients: who changes hands and how every manager's book moves."""

from __future__ import annotations

from dataclasses import dataclass

from clientbase.planning.schemas import Plan


@dataclass(frozen=True, slots=True)
class ClientChange:
    """A client whose manager differs between the two plans."""

    client_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ManagerChange:
    """How one manager's clients and potential differ between the two plans."""

    manager_id: str
    clients_before: int
    clients_after: int
    potential_before: float
    potential_after: float


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """Everything that differs between plan A and plan B."""

    changes: tuple[ClientChange, ...]
    managers: tuple[ManagerChange, ...]
    imbalance_before: float
    imbalance_after: float

    @property
    def moved(self) -> int:
        """Number of clients whose manager differs."""
        return len(self.changes)


def diff(plan_a: Plan, plan_b: Plan) -> PlanDiff:
    """A pure comparison of two plans (clients absent from one side count as unassigned)."""
    clients = sorted(set(plan_a.assignment) | set(plan_b.assignment))
    changes = tuple(
        ClientChange(c, plan_a.assignment.get(c), plan_b.assignment.get(c))
        for c in clients
        if plan_a.assignment.get(c) != plan_b.assignment.get(c)
    )
    managers: list[ManagerChange] = []
    for manager_id in sorted(set(plan_a.managers) | set(plan_b.managers)):
        a = plan_a.managers.get(manager_id)
        b = plan_b.managers.get(manager_id)
        change = ManagerChange(
            manager_id,
            a.clients if a else 0,
            b.clients if b else 0,
            a.potential if a else 0.0,
            b.potential if b else 0.0,
        )
        if (change.clients_before, change.potential_before) != (
            change.clients_after,
            change.potential_after,
        ):
            managers.append(change)
    return PlanDiff(changes, tuple(managers), plan_a.imbalance, plan_b.imbalance)

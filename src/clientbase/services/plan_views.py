"""What the distribution page shows of a stored plan: loads before and after, moves, why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from clientbase.core.access import Scope
from clientbase.planning.schemas import Diagnosis, Plan
from clientbase.services import plans


@dataclass(frozen=True, slots=True)
class ManagerBeforeAfter:
    """One manager's clients and potential today and under the plan."""

    id: str
    name: str
    capacity: int
    clients_before: int
    clients_after: int
    potential_before: float
    potential_after: float
    moved_in: int
    moved_out: int

    @property
    def ratio_before(self) -> float:
        """Potential per capacity slot today."""
        return self.potential_before / self.capacity if self.capacity else 0.0

    @property
    def ratio_after(self) -> float:
        """Potential per capacity slot under the plan."""
        return self.potential_after / self.capacity if self.capacity else 0.0


@dataclass(frozen=True, slots=True)
class PlanPage:
    """A plan with everything its page shows."""

    summary: plans.PlanSummary
    plan: Plan
    managers: list[ManagerBeforeAfter]
    moves: list[plans.Move]
    diagnosis: Diagnosis | None
    hidden_moves: int = 0


def plan_page(engine: Engine, plan_id: int, scope: Scope | None = None) -> PlanPage:
    """A stored plan with the per-manager comparison of today and the plan.

    A head limited to one team sees his team's managers and the moves of its clients, and
    only the number of the other moves.
    """
    view = plans.view_plan(engine, plan_id, scope)
    summary, plan, inputs = view.summary, view.plan, view.inputs
    before_clients: dict[str, int] = {}
    before_potential: dict[str, float] = {}
    for c in inputs["clients"]:
        owner = c.get("owner_id")
        if owner:
            before_clients[owner] = before_clients.get(owner, 0) + 1
            before_potential[owner] = before_potential.get(owner, 0.0) + float(c["potential"])
    rows = []
    for m in inputs["managers"]:
        stats = plan.managers.get(m["id"])
        after_clients = stats.clients if stats else 0
        if not (after_clients or before_clients.get(m["id"])) or not view.shows_manager(m["id"]):
            continue
        rows.append(
            ManagerBeforeAfter(
                id=m["id"],
                name=m["name"],
                capacity=int(stats.capacity if stats else m["capacity"]),
                clients_before=before_clients.get(m["id"], 0),
                clients_after=after_clients,
                potential_before=before_potential.get(m["id"], 0.0),
                potential_after=stats.potential if stats else 0.0,
                moved_in=stats.moved_in if stats else 0,
                moved_out=stats.moved_out if stats else 0,
            )
        )
    rows.sort(key=lambda r: (-r.ratio_after, r.name))
    return PlanPage(
        summary=summary,
        plan=plan,
        managers=rows,
        moves=view.moves,
        diagnosis=plan.diagnosis,
        hidden_moves=view.hidden_moves,
    )

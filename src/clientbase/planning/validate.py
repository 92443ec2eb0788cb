"""What a valid plan is, stated without a solver: every broken rule, named."""

from __future__ import annotations

from clientbase.planning.constraints import (
    availability,
    capacity,
    eligibility,
    locks,
    max_moves,
    role_groups,
    tier_grade,
)
from clientbase.planning.schemas import Instance, Plan, Violation
from clientbase.planning.texts import text

RULE_UNASSIGNED = "unassigned"
RULE_UNKNOWN = "unknown"


def validate_assignment(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Every rule the assignment breaks; an empty list means the plan is valid and complete."""
    found: list[Violation] = []
    client_ids = {c.id for c in instance.clients}
    manager_ids = {m.id for m in instance.managers}
    for client_id, manager_id in assignment.items():
        if client_id not in client_ids:
            message = text("violation.unknown_client", lang, client=client_id)
            found.append(Violation(RULE_UNKNOWN, client_id, manager_id, message))
        elif manager_id is not None and manager_id not in manager_ids:
            message = text("violation.unknown_manager", lang, manager=manager_id)
            found.append(Violation(RULE_UNKNOWN, client_id, manager_id, message))
    for client in instance.clients:
        if assignment.get(client.id) is None:
            message = text("violation.unassigned", lang, client=client.id)
            found.append(Violation(RULE_UNASSIGNED, client.id, None, message))
    for check in (
        role_groups.check,
        availability.check,
        eligibility.check,
        tier_grade.check,
        locks.check,
        capacity.check,
        max_moves.check,
    ):
        found.extend(check(instance, assignment, lang))
    return found


def validate(instance: Instance, plan: Plan, lang: str = "ru") -> list[Violation]:
    """Every rule the plan breaks (unassigned clients of a partial plan included)."""
    return validate_assignment(instance, plan.assignment, lang)

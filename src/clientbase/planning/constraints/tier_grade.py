"""VIP (or any chosen tier) only to managers of a minimum grade, or to the head of sales."""

from __future__ import annotations

from clientbase.core.types import RoleGroup, Tier
from clientbase.planning.constraints.base import pair_violations
from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE = "tier_grade"


def admits_tier(manager: Manager, tier: Tier, settings: Settings) -> bool:
    """Whether the manager's grade (or being the head) is enough for clients of `tier`."""
    needed = settings.min_grade.get(tier)
    return needed is None or manager.grade >= needed or manager.role_group is RoleGroup.HEAD


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """Why the manager's grade is too low for the client's tier; None if it is enough."""
    if admits_tier(manager, client.tier, settings):
        return None
    return text(
        "why.tier_grade",
        lang,
        tier=client.tier.value,
        grade=settings.min_grade[client.tier],
        manager=manager.name or manager.id,
        have=manager.grade,
    )


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Assigned pairs where the manager's grade is below the tier's minimum."""
    return pair_violations(instance, assignment, RULE, why_not, lang)

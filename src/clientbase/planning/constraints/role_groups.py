"""Hunters and farmers apart: only role groups that may hold the planned role get clients.

For the `account` role (the default) that is farmers and heads of sales; hunters never
receive farmer responsibilities, and for `acquisition` farmers never receive hunter ones.
"""

from __future__ import annotations

from clientbase.core.types import roles_allowed
from clientbase.planning.constraints.base import pair_violations
from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE = "role_group"


def admits_manager(manager: Manager, settings: Settings) -> bool:
    """Whether the manager's role group may hold the role being planned."""
    return settings.role in roles_allowed(manager.role_group)


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """Why the manager's group may not hold the planned role; None if it may."""
    if admits_manager(manager, settings):
        return None
    return text(
        "why.role_group",
        lang,
        manager=manager.name or manager.id,
        group=manager.role_group.value,
        role=settings.role.value,
    )


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Assigned pairs where the manager's role group may not hold the planned role."""
    return pair_violations(instance, assignment, RULE, why_not, lang)

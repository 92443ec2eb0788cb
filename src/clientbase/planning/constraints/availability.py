"""Inactive or absent managers get nothing."""

from __future__ import annotations

from clientbase.planning.constraints.base import pair_violations
from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE = "availability"


def admits_manager(manager: Manager) -> bool:
    """Whether the manager is at work and may receive clients."""
    return manager.active and not manager.absent


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """Why the manager cannot receive clients now; None if he can."""
    if not manager.active:
        return text("why.inactive", lang, manager=manager.name or manager.id)
    if manager.absent:
        return text("why.absent", lang, manager=manager.name or manager.id)
    return None


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Clients given to inactive or absent managers."""
    return pair_violations(instance, assignment, RULE, why_not, lang)

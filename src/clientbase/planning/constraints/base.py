"""What the static (pair-wise) constraint modules share."""

from __future__ import annotations

from collections.abc import Callable

from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation

WhyNot = Callable[[Manager, Client, Settings, str], str | None]


def pair_violations(
    instance: Instance, assignment: dict[str, str | None], rule: str, why_not: WhyNot, lang: str
) -> list[Violation]:
    """Every assigned pair that a pair-wise rule refuses, as violations of `rule`."""
    managers = instance.manager_index()
    found: list[Violation] = []
    for client in instance.clients:
        manager_id = assignment.get(client.id)
        manager = managers.get(manager_id) if manager_id is not None else None
        if manager is None:
            continue
        reason = why_not(manager, client, instance.settings, lang)
        if reason is not None:
            found.append(Violation(rule, client.id, manager.id, reason))
    return found

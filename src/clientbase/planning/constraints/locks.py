"""Locked clients stay with their current owner.

A lock without an owner has nothing to keep and is ignored. A lock never overrides the other
hard rules: a client locked to an inactive or no longer eligible owner cannot be placed, and
the diagnosis says so (unlock him or make the owner available again).
"""

from __future__ import annotations

from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE = "lock"


def is_locked(client: Client) -> bool:
    """Whether the lock binds: the client is locked and has an owner to stay with."""
    return client.locked and client.owner_id is not None


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """Why the client may not go to this manager because of his lock; None if it may."""
    if is_locked(client) and manager.id != client.owner_id:
        return text("why.lock", lang, owner=client.owner_id)
    return None


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Locked clients the plan gives to someone other than their owner."""
    found: list[Violation] = []
    for client in instance.clients:
        manager_id = assignment.get(client.id)
        if is_locked(client) and manager_id is not None and manager_id != client.owner_id:
            message = text(
                "violation.lock", lang, client=client.id, owner=client.owner_id, manager=manager_id
            )
            found.append(Violation(RULE, client.id, manager_id, message))
    return found

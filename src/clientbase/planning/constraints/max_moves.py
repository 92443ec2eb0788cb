"""An optional hard limit on how many clients may change owner.

A move is a client with a current owner who gets a different manager; a client left
unassigned by a partial plan is counted as unassigned, not as moved.
"""

from __future__ import annotations

import math

from clientbase.planning.builder import ModelBuilder
from clientbase.planning.schemas import Instance, Violation
from clientbase.planning.texts import text

RULE = "max_moves"


def count_moves(instance: Instance, assignment: dict[str, str | None]) -> int:
    """Clients whose manager differs from their current owner."""
    return sum(
        1
        for c in instance.clients
        if c.owner_id is not None
        and assignment.get(c.id) is not None
        and assignment.get(c.id) != c.owner_id
    )


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """A violation when the plan moves more clients than the limit allows."""
    limit = instance.settings.max_moves
    if limit is None:
        return []
    moves = count_moves(instance, assignment)
    if moves <= limit:
        return []
    return [
        Violation(RULE, None, None, text("violation.max_moves", lang, moves=moves, limit=limit))
    ]


def add(builder: ModelBuilder) -> None:
    """Σ moved x ≤ limit − moves already fixed outside this sub-problem."""
    limit = builder.sub.moves_limit
    if limit is None:
        return
    terms = [(1, v) for _, v in builder.moved_terms()]
    if terms:
        builder.backend.add_linear(terms, -math.inf, max(limit - builder.sub.fixed_moves, 0))

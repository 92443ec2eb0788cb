"""Eligibility: a manager serves only the segment values he is allowed, on all six principles."""

from __future__ import annotations

from clientbase.core.types import ANY, Principle
from clientbase.planning.constraints.base import pair_violations
from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE = "eligibility"


def _allowed(manager: Manager, principle: Principle) -> frozenset[str] | None:
    values = manager.eligibility.allowed.get(principle)
    if values is None or ANY in values:
        return None
    return frozenset(v.casefold() for v in values)


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """The first principle on which the manager refuses the client, in words; None if allowed."""
    for principle, value in client.segment().items():
        allowed = _allowed(manager, principle)
        if allowed is None:
            continue
        if value is None or value.casefold() not in allowed:
            return text(
                "why.eligibility",
                lang,
                manager=manager.name or manager.id,
                principle=text(f"principle.{principle.value}", lang),
                value=value or "—",
            )
    return None


def admits(manager: Manager, client: Client, settings: Settings) -> bool:
    """Whether the manager may serve the client's segment."""
    return why_not(manager, client, settings) is None


def refusing_principles(manager: Manager, client: Client) -> list[tuple[Principle, str | None]]:
    """All principles (with the client's value) on which the manager refuses the client."""
    refused: list[tuple[Principle, str | None]] = []
    for principle, value in client.segment().items():
        allowed = _allowed(manager, principle)
        if allowed is not None and (value is None or value.casefold() not in allowed):
            refused.append((principle, value))
    return refused


class SegmentIndex:
    """Which managers admit a segment, as bit masks over manager positions.

    Checking 100 000 clients against 1 000 managers pair by pair is too slow in Python;
    an inverted index per principle turns it into a few integer ANDs per distinct segment.
    """

    def __init__(self, managers: tuple[Manager, ...]) -> None:
        self._any: dict[Principle, int] = {p: 0 for p in Principle}
        self._by_value: dict[Principle, dict[str, int]] = {p: {} for p in Principle}
        for position, manager in enumerate(managers):
            bit = 1 << position
            for principle in Principle:
                allowed = _allowed(manager, principle)
                if allowed is None:
                    self._any[principle] |= bit
                    continue
                table = self._by_value[principle]
                for value in allowed:
                    table[value] = table.get(value, 0) | bit
        self._cache: dict[tuple[str | None, ...], int] = {}

    def mask(self, client: Client) -> int:
        """Bit mask of the managers whose segment lists admit the client."""
        segment = client.segment()
        key = tuple(segment[p] for p in Principle)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = -1
        for principle in Principle:
            value = segment[principle]
            allowed = self._any[principle]
            if value is not None:
                allowed |= self._by_value[principle].get(value.casefold(), 0)
            result &= allowed
        self._cache[key] = result
        return result


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Assigned pairs whose segment the manager is not allowed to serve."""
    return pair_violations(instance, assignment, RULE, why_not, lang)

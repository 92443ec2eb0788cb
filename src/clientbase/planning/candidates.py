"""Which managers may take which client, all pair-wise hard rules applied at once."""

from __future__ import annotations

from clientbase.core.types import Tier
from clientbase.planning.constraints import (
    availability,
    capacity,
    eligibility,
    locks,
    role_groups,
    tier_grade,
)
from clientbase.planning.schemas import Client, Instance, Manager, Settings

# The pair-wise rules in the order a refusal is explained.
PAIR_RULES = (
    (role_groups.RULE, role_groups.why_not),
    (availability.RULE, availability.why_not),
    (capacity.RULE_CLIENTS, capacity.why_not),
    (eligibility.RULE, eligibility.why_not),
    (tier_grade.RULE, tier_grade.why_not),
    (locks.RULE, locks.why_not),
)


def refusal(
    manager: Manager, client: Client, settings: Settings, lang: str = "ru"
) -> tuple[str, str] | None:
    """The first pair-wise rule refusing the pair and why, or None if the pair is allowed."""
    for rule, why_not in PAIR_RULES:
        reason = why_not(manager, client, settings, lang)
        if reason is not None:
            return rule, reason
    return None


def candidate_lists(instance: Instance) -> list[list[int]]:
    """For each client position, the positions of the managers allowed to take him."""
    settings = instance.settings
    managers = instance.managers
    index = eligibility.SegmentIndex(managers)
    static = 0
    for position, manager in enumerate(managers):
        if (
            role_groups.admits_manager(manager, settings)
            and availability.admits_manager(manager)
            and manager.capacity > 0
        ):
            static |= 1 << position
    tier_masks: dict[Tier, int] = {}
    for tier in Tier:
        mask = 0
        for position, manager in enumerate(managers):
            if tier_grade.admits_tier(
                manager, tier, settings
            ) and manager.capacity >= settings.weight(tier):
                mask |= 1 << position
        tier_masks[tier] = mask
    position_of = {m.id: i for i, m in enumerate(managers)}
    has_hours = any(m.hours is not None for m in managers)
    decoded: dict[int, list[int]] = {}
    result: list[list[int]] = []
    for client in instance.clients:
        mask = index.mask(client) & static & tier_masks[client.tier]
        if locks.is_locked(client):
            owner = position_of.get(client.owner_id or "")
            mask = mask & (1 << owner) if owner is not None else 0
        positions = decoded.get(mask)
        if positions is None:
            positions = _positions(mask)
            decoded[mask] = positions
        if has_hours and client.hours > 0:
            positions = [
                m
                for m in positions
                if managers[m].hours is None
                or client.hours <= (managers[m].hours or 0.0) + capacity.HOURS_TOLERANCE
            ]
        result.append(positions)
    return result


def _positions(mask: int) -> list[int]:
    positions: list[int] = []
    while mask:
        low = mask & -mask
        positions.append(low.bit_length() - 1)
        mask ^= low
    return positions

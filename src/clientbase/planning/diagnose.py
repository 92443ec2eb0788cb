"""Infeasibility is an answer: which rule binds, for which clients, and what would fix it."""

from __future__ import annotations

import math
from collections import defaultdict

from clientbase.core.types import Principle
from clientbase.planning.candidates import refusal
from clientbase.planning.constraints import (
    capacity,
    eligibility,
    locks,
    max_moves,
    role_groups,
    tier_grade,
)
from clientbase.planning.metrics import manager_stats, moves
from clientbase.planning.schemas import (
    Client,
    Diagnosis,
    Fix,
    Instance,
    Manager,
    ManagerStats,
    Unplaced,
)
from clientbase.planning.texts import text

RULE_SEARCH = "search_limit"
# How many unplaced clients the text lists by name; the summary holds all of them.
LISTED = 20
# Capacity assumed for a new hire (the SPEC §3 base of an account manager).
HIRE_CAPACITY = 40


def _full(
    instance: Instance, stats: ManagerStats, manager: Manager, client: Client
) -> tuple[bool, bool]:
    weight = instance.settings.weight(client.tier)
    count_full = stats.load + weight > manager.capacity
    hours_full = manager.hours is not None and stats.hours + client.hours > (
        manager.hours + capacity.HOURS_TOLERANCE
    )
    return count_full, hours_full


def _segment_text(client: Client, instance: Instance | None = None) -> str:
    """The client's segment, limited to the principles that bind in `instance`.

    A principle binds when at least one working manager of a suitable role group refuses the
    client on it; principles every such manager accepts say nothing about whom to hire.
    """
    segment = client.segment()
    binding: set[Principle] | None = None
    if instance is not None:
        settings = instance.settings
        binding = set()
        for manager in instance.managers:
            if not (manager.active and not manager.absent):
                continue
            if not role_groups.admits_manager(manager, settings):
                continue
            binding.update(p for p, _ in eligibility.refusing_principles(manager, client))
    parts = [
        f"{p.value}={v}"
        for p, v in segment.items()
        if v is not None and (not binding or p in binding)
    ]
    return ", ".join(parts)


def _no_candidate(
    instance: Instance,
    client: Client,
    lang: str,
    fixes: dict[tuple[object, ...], Fix],
    hires: dict[str, int],
) -> Unplaced:
    settings = instance.settings
    managers = instance.manager_index()
    if locks.is_locked(client):
        owner = managers.get(client.owner_id or "")
        reason = text("why.lock", lang, owner=client.owner_id)
        if owner is not None:
            refused = refusal(owner, client, settings, lang)
            if refused is not None:
                reason = f"{reason}: {refused[1]}"
        key: tuple[object, ...] = ("unlock", client.id)
        fixes[key] = Fix(
            "unlock", text("fix.unlock", lang, client=client.id, owner=client.owner_id)
        )
        return Unplaced(client.id, locks.RULE, reason)
    # The managers closest to serving him: refused by one segment value or by grade only.
    counts: dict[str, int] = defaultdict(int)
    close: list[tuple[Manager, str, Principle | None, str | None]] = []
    first_reason = text("why.no_candidates", lang)
    for manager in instance.managers:
        refused = refusal(manager, client, settings, lang)
        if refused is None:
            continue
        rule, reason = refused
        counts[rule] += 1
        if rule == eligibility.RULE:
            principles = eligibility.refusing_principles(manager, client)
            grade_ok = tier_grade.admits_tier(manager, client.tier, settings)
            if len(principles) == 1 and grade_ok:
                close.append((manager, rule, principles[0][0], principles[0][1]))
        elif rule == tier_grade.RULE:
            close.append((manager, rule, None, None))
        if counts[rule] == 1 and rule in (eligibility.RULE, tier_grade.RULE):
            first_reason = reason
    main_rule = max(sorted(counts), key=lambda r: counts[r]) if counts else eligibility.RULE
    if close:
        manager, rule, principle, value = close[0]
        if rule == tier_grade.RULE:
            key = ("grade", manager.id, client.tier.value)
            fixes[key] = Fix(
                "allow_tier",
                text(
                    "fix.raise_grade",
                    lang,
                    tier=client.tier.value,
                    manager=manager.name or manager.id,
                    grade=manager.grade,
                ),
                manager_id=manager.id,
                value=client.tier.value,
            )
            return Unplaced(client.id, tier_grade.RULE, first_reason)
        assert principle is not None
        key = ("allow", manager.id, principle.value, value)
        fixes[key] = Fix(
            "allow_segment",
            text(
                "fix.allow_segment",
                lang,
                manager=manager.name or manager.id,
                principle=text(f"principle.{principle.value}", lang),
                value=value or "—",
            ),
            manager_id=manager.id,
            principle=principle.value,
            value=value,
        )
        return Unplaced(client.id, eligibility.RULE, first_reason)
    segment = _segment_text(client, instance)
    hires[segment] = hires.get(segment, 0) + instance.settings.weight(client.tier)
    return Unplaced(client.id, main_rule, first_reason)


def diagnose(
    instance: Instance,
    assignment: dict[str, str | None],
    candidates: list[list[int]],
    lang: str = "ru",
) -> Diagnosis:
    """Explain a partial assignment: every unplaced client with the rule that stops him."""
    stats = manager_stats(instance, assignment)
    settings = instance.settings
    fixes: dict[tuple[object, ...], Fix] = {}
    unplaced: list[Unplaced] = []
    capacity_need: dict[tuple[int, ...], int] = defaultdict(int)
    hours_need: dict[tuple[int, ...], float] = defaultdict(float)
    hires: dict[str, int] = {}
    moves_needed = 0
    limit = settings.max_moves
    moves_now = moves(instance, assignment)
    for c, client in enumerate(instance.clients):
        if assignment.get(client.id) is not None:
            continue
        cands = candidates[c]
        if not cands:
            unplaced.append(_no_candidate(instance, client, lang, fixes, hires))
            continue
        flags = [
            _full(instance, stats[instance.managers[m].id], instance.managers[m], client)
            for m in cands
        ]
        names = ", ".join(instance.managers[m].name or instance.managers[m].id for m in cands)
        key = tuple(cands)
        if all(count_full for count_full, _ in flags):
            capacity_need[key] += settings.weight(client.tier)
            reason = text("why.capacity_full", lang, managers=names)
            unplaced.append(Unplaced(client.id, capacity.RULE_CLIENTS, reason))
        elif all(count_full or hours_full for count_full, hours_full in flags):
            hours_need[key] += client.hours
            reason = text("why.hours_full", lang, managers=names)
            unplaced.append(Unplaced(client.id, capacity.RULE_HOURS, reason))
        elif limit is not None and client.owner_id is not None and moves_now >= limit:
            moves_needed += 1
            reason = text("why.max_moves", lang, limit=limit)
            unplaced.append(Unplaced(client.id, max_moves.RULE, reason))
        else:
            # The solver stopped before proving that this client cannot be placed.
            unplaced.append(Unplaced(client.id, RULE_SEARCH, text("why.no_candidates", lang)))
    for segment, load in sorted(hires.items()):
        # Nobody may serve this segment at all: new people, at a typical capacity of 40.
        count = math.ceil(load / HIRE_CAPACITY)
        fixes[("hire", segment)] = Fix(
            "hire",
            text("fix.hire", lang, amount=count, segment=segment),
            amount=float(count),
            value=segment,
        )
    for cands_key, need in sorted(capacity_need.items()):
        # The eligible manager with the most capacity is the natural one to stretch.
        target = max(cands_key, key=lambda m: (instance.managers[m].capacity, -m))
        manager = instance.managers[target]
        fixes[("capacity", manager.id, cands_key)] = Fix(
            "raise_capacity",
            text("fix.raise_capacity", lang, manager=manager.name or manager.id, amount=need),
            manager_id=manager.id,
            amount=float(need),
        )
        average = sum(instance.managers[m].capacity for m in cands_key) / len(cands_key)
        if need > average / 2:
            hire = math.ceil(need / max(average, 1))
            segment = _segment_text(
                instance.clients[_first_client(instance, candidates, cands_key)], instance
            )
            fixes[("hire", segment)] = Fix(
                "hire",
                text("fix.hire", lang, amount=hire, segment=segment),
                amount=float(hire),
                value=segment,
            )
    for cands_key, need_hours in sorted(hours_need.items()):
        target = max(cands_key, key=lambda m: (instance.managers[m].hours or 0.0, -m))
        manager = instance.managers[target]
        amount = round(need_hours, 2)
        fixes[("hours", manager.id, cands_key)] = Fix(
            "raise_hours",
            text("fix.raise_hours", lang, manager=manager.name or manager.id, amount=amount),
            manager_id=manager.id,
            amount=amount,
        )
    if moves_needed and limit is not None:
        fixes[("moves",)] = Fix(
            "raise_max_moves",
            text("fix.raise_max_moves", lang, amount=limit + moves_needed),
            amount=float(limit + moves_needed),
        )
    binding = tuple(sorted({u.rule for u in unplaced}))
    fix_list = tuple(fixes.values())
    lines = [
        text("diagnosis.head", lang, count=len(unplaced), total=len(instance.clients)),
        text(
            "diagnosis.binding",
            lang,
            rules=", ".join(text(f"rule.{r}", lang) if r != RULE_SEARCH else r for r in binding),
        ),
    ]
    if fix_list:
        lines.append(text("diagnosis.fixes", lang))
        lines.extend(f"  - {f.text}" for f in fix_list)
    lines.append(text("diagnosis.unplaced", lang))
    lines.extend(f"  - {u.client_id}: {u.reason}" for u in unplaced[:LISTED])
    if len(unplaced) > LISTED:
        lines.append(f"  … (+{len(unplaced) - LISTED})")
    return Diagnosis(binding, tuple(unplaced), fix_list, "\n".join(lines))


def _first_client(instance: Instance, candidates: list[list[int]], key: tuple[int, ...]) -> int:
    for c, cands in enumerate(candidates):
        if tuple(cands) == key:
            return c
    return 0

"""Capacity in clients (weighted by tier) and in monthly hours, both never exceeded."""

from __future__ import annotations

import math

from clientbase.planning.builder import (
    ModelBuilder,
    client_hours_units,
    manager_hours_units,
)
from clientbase.planning.schemas import Client, Instance, Manager, Settings, Violation
from clientbase.planning.texts import text

RULE_CLIENTS = "capacity_clients"
RULE_HOURS = "capacity_hours"
# Hours are money-like decimals; a plan is not refused for a float rounding residue.
HOURS_TOLERANCE = 1e-6


def why_not(manager: Manager, client: Client, settings: Settings, lang: str = "ru") -> str | None:
    """Why the manager could not take this client even when empty; None if he could."""
    if manager.capacity <= 0 or manager.capacity < settings.weight(client.tier):
        return text("why.no_capacity", lang, manager=manager.name or manager.id)
    if manager.hours is not None and client.hours > manager.hours + HOURS_TOLERANCE:
        return text(
            "why.hours_too_small",
            lang,
            need=client.hours,
            have=manager.hours,
            manager=manager.name or manager.id,
        )
    return None


def load_of(instance: Instance, assignment: dict[str, str | None]) -> dict[str, tuple[int, float]]:
    """Weighted client load and hours per manager id under an assignment."""
    settings = instance.settings
    load: dict[str, tuple[int, float]] = {m.id: (0, 0.0) for m in instance.managers}
    for client in instance.clients:
        manager_id = assignment.get(client.id)
        if manager_id in load:
            count, hours = load[manager_id]
            load[manager_id] = (count + settings.weight(client.tier), hours + client.hours)
    return load


def check(
    instance: Instance, assignment: dict[str, str | None], lang: str = "ru"
) -> list[Violation]:
    """Managers whose client load or hours exceed their capacity."""
    found: list[Violation] = []
    load = load_of(instance, assignment)
    for manager in instance.managers:
        count, hours = load[manager.id]
        if count > manager.capacity:
            message = text(
                "violation.capacity_clients",
                lang,
                manager=manager.name or manager.id,
                load=count,
                capacity=manager.capacity,
            )
            found.append(Violation(RULE_CLIENTS, None, manager.id, message))
        if manager.hours is not None and hours > manager.hours + HOURS_TOLERANCE:
            message = text(
                "violation.capacity_hours",
                lang,
                manager=manager.name or manager.id,
                hours=round(hours, 2),
                capacity=manager.hours,
            )
            found.append(Violation(RULE_HOURS, None, manager.id, message))
    return found


def add(builder: ModelBuilder, *, hours: bool = True) -> None:
    """Σ weight·x ≤ capacity − fixed load, and Σ hours·x ≤ hours − fixed hours, per manager."""
    sub = builder.sub
    instance = sub.instance
    settings = instance.settings
    for m, pairs in builder.by_manager.items():
        manager = instance.managers[m]
        free = manager.capacity - sub.fixed_load.get(m, 0)
        terms = [(settings.weight(instance.clients[c].tier), v) for c, v in pairs]
        builder.backend.add_linear(terms, -math.inf, max(free, 0))
        if hours and manager.hours is not None:
            free_hours = manager_hours_units(manager.hours) - sub.fixed_hours.get(m, 0)
            hour_terms = [
                (client_hours_units(instance.clients[c].hours), v)
                for c, v in pairs
                if instance.clients[c].hours > 0
            ]
            if hour_terms:
                builder.backend.add_linear(hour_terms, -math.inf, max(free_hours, 0))

"""Tiny hand-made instances for the planning tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from clientbase.core.types import Eligibility, Principle, RoleGroup, Tier
from clientbase.planning.schemas import Client, Instance, Manager, Settings


def manager(
    manager_id: str,
    *,
    regions: str = "*",
    group: RoleGroup = RoleGroup.FARMER,
    capacity: int = 10,
    grade: int = 3,
    **extra: Any,
) -> Manager:
    """A farmer allowed `regions` (`;`-separated, `*` = any)."""
    return Manager(
        id=manager_id,
        name=manager_id,
        role_group=group,
        grade=grade,
        capacity=capacity,
        eligibility=Eligibility.parse({Principle.REGION: regions}),
        **extra,
    )


def client(
    client_id: str,
    *,
    region: str = "Москва",
    potential: float = 100.0,
    tier: Tier = Tier.B,
    **extra: Any,
) -> Client:
    """A client of `region` with `potential`."""
    return Client(
        id=client_id, name=client_id, region=region, potential=potential, tier=tier, **extra
    )


def instance(managers: list[Manager], clients: list[Client], **settings: Any) -> Instance:
    """An instance with short time limits so that the tests stay fast."""
    base = Settings(time_limit=2.0)
    return Instance(tuple(managers), tuple(clients), replace(base, **settings))

"""Reproducible distribution instances for the benchmarks: same size and seed, same instance.

Three segment principles are combined, as the source material says is usual:
- region: regions are grouped into macro-regions (federal districts, about 40 managers
  each); a farmer covers one to three regions of his macro-region;
- ownership: about one manager in twelve serves only the government sector of his
  macro-region, the others only commercial clients (the worked example of SPEC §1);
- tier: VIP clients only to managers of grade ≥ 4 or the head of sales (one head per
  macro-region, his capacity small).
Clients are drawn from the segments the managers serve, in proportion to capacity, so that
the whole base loads capacity to the requested share (90 % by default). Potential is
log-normal (a few large clients, many small ones), revenue follows potential.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import replace

from clientbase.core.types import Eligibility, Principle, RoleGroup, Tier
from clientbase.planning.schemas import Client, Instance, Manager, Settings

MANAGERS_PER_MACRO = 40
REGIONS_PER_MACRO = 8
TIER_SHARES = ((Tier.VIP, 0.04), (Tier.A, 0.16), (Tier.B, 0.30), (Tier.C, 0.50))
HOURS_BY_TIER = {Tier.VIP: 6.0, Tier.A: 3.0, Tier.B: 2.0, Tier.C: 1.0}


def generate(
    n_clients: int,
    n_managers: int,
    *,
    seed: int = 0,
    load: float = 0.9,
    settings: Settings | None = None,
) -> Instance:
    """An instance of about `n_clients` clients (exactly that many) and `n_managers` managers."""
    rng = random.Random(seed)
    n_macro = max(1, round(n_managers / MANAGERS_PER_MACRO))
    managers: list[Manager] = []
    for i in range(n_managers):
        macro = i % n_macro
        regions = [f"R{macro:02d}-{r}" for r in range(REGIONS_PER_MACRO)]
        position = i // n_macro
        if position == 0:
            group, grade, capacity = RoleGroup.HEAD, 5, 15
            allowed_regions = regions
            ownership = "commercial;government"
        elif position % 12 == 1:
            group, grade, capacity = RoleGroup.FARMER, rng.randint(3, 5), rng.randint(30, 50)
            allowed_regions = regions
            ownership = "government"
        else:
            group, grade, capacity = RoleGroup.FARMER, rng.randint(1, 5), rng.randint(30, 60)
            first = rng.randrange(REGIONS_PER_MACRO)
            span = rng.choice((1, 2, 2, 3))
            allowed_regions = [regions[(first + k) % REGIONS_PER_MACRO] for k in range(span)]
            ownership = "commercial"
        managers.append(
            Manager(
                id=f"M{i:04d}",
                name=f"Manager {i}",
                role_group=group,
                grade=grade,
                capacity=capacity,
                eligibility=Eligibility.parse(
                    {
                        Principle.REGION: ";".join(allowed_regions),
                        Principle.OWNERSHIP: ownership,
                    }
                ),
            )
        )
    # Stretch capacities so that the base fills them to `load`.
    factor = n_clients / (load * sum(m.capacity for m in managers))
    managers = [replace(m, capacity=max(1, round(m.capacity * factor))) for m in managers]
    # Selling hours follow capacity: about 2.4 h per client slot (the mix needs ~1.8).
    managers = [replace(m, hours=float(round(m.capacity * 2.4))) for m in managers]
    clients = _draw_clients(rng, managers, n_clients, prefix="C")
    return Instance(tuple(managers), tuple(clients), settings or Settings())


def _draw_clients(
    rng: random.Random, managers: list[Manager], count: int, *, prefix: str
) -> list[Client]:
    """Clients following capacity: pick a manager by capacity, then a segment he serves."""
    weights = [m.capacity if m.active else 0 for m in managers]
    clients: list[Client] = []
    for j in range(count):
        manager = rng.choices(managers, weights=weights)[0]
        regions = sorted(manager.eligibility.allowed[Principle.REGION])
        ownerships = sorted(manager.eligibility.allowed[Principle.OWNERSHIP])
        tier = _tier(rng, manager)
        potential = round(math.exp(rng.gauss(13.0, 1.0)) * (3 if tier is Tier.VIP else 1))
        clients.append(
            Client(
                id=f"{prefix}{j:06d}",
                name=f"Client {prefix}{j}",
                tier=tier,
                potential=float(potential),
                region=rng.choice(regions),
                ownership=rng.choice(ownerships),
                revenue_12m=float(round(potential * rng.uniform(0.2, 0.8))),
                hours=HOURS_BY_TIER[tier],
            )
        )
    return clients


def _tier(rng: random.Random, manager: Manager) -> Tier:
    if manager.role_group is RoleGroup.HEAD or manager.grade >= 4:
        draw = rng.random()
        # Senior people attract the VIP share of the base.
        if draw < 0.15:
            return Tier.VIP
    draw = rng.random()
    running = 0.0
    for tier, share in TIER_SHARES[1:]:
        running += share / (1 - TIER_SHARES[0][1])
        if draw < running:
            return tier
    return Tier.C


def with_owners(
    instance: Instance,
    assignment: dict[str, str | None],
    *,
    seed: int = 0,
    new_share: float = 0.10,
    leaving: int = 2,
    locked_share: float = 0.02,
    today: dt.date = dt.date(2026, 11, 1),
) -> tuple[Instance, int]:
    """The rebalance scenario: owners from `assignment`, new clients, managers leaving.

    Returns the new instance and the unavoidable number of moves (clients of the leaving
    managers plus any overflow of a manager above his capacity).
    """
    rng = random.Random(seed)
    # Commercial farmers leave: their regions stay covered by colleagues.
    farmers = [
        m
        for m in instance.managers
        if m.role_group is RoleGroup.FARMER
        and "government" not in m.eligibility.allowed.get(Principle.OWNERSHIP, frozenset())
    ]
    gone = {m.id for m in rng.sample(farmers, leaving)}
    managers = tuple(replace(m, active=False) if m.id in gone else m for m in instance.managers)
    clients: list[Client] = []
    for client in instance.clients:
        owner = assignment.get(client.id)
        since = today - dt.timedelta(days=rng.randint(30, 2500))
        locked = owner is not None and owner not in gone and rng.random() < locked_share
        clients.append(replace(client, owner_id=owner, owner_since=since, locked=locked))
    # New clients come from the segments the remaining team serves.
    clients += _draw_clients(
        rng, list(managers), round(len(instance.clients) * new_share), prefix="N"
    )
    unavoidable = sum(1 for c in clients if c.owner_id in gone)
    load: dict[str, int] = {}
    for client in clients:
        if client.owner_id is not None and client.owner_id not in gone:
            load[client.owner_id] = load.get(client.owner_id, 0) + 1
    capacity = {m.id: m.capacity for m in managers}
    unavoidable += sum(max(0, n - capacity[m]) for m, n in load.items())
    return Instance(managers, tuple(clients), instance.settings), unavoidable

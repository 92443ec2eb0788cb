"""Dormancy policy and effect statistics for the rotation of dormant clients (SPEC §6).

Pure functions: no database. The policy is data (`DormancyPolicy`); the effect of a
run is a difference of two proportions with a Newcombe (hybrid Wilson score) 95 % CI.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Z95 = 1.959963984540054


@dataclass(frozen=True)
class DormancyPolicy:
    """Thresholds in days; the most specific one wins: segment, then tier, then global."""

    days: int = 60
    by_tier: Mapping[str, int] = field(default_factory=dict)
    by_segment: Mapping[str, int] = field(default_factory=dict)
    interval_multiple: float = 1.5
    min_intervals: int = 2
    open_deal_min_probability: float = 0.5
    vip_needs_confirmation: bool = True


@dataclass(frozen=True)
class ClientHistory:
    """What the policy needs to know about one client."""

    client_id: int
    tier: str
    segment: str | None
    won_dates: Sequence[dt.date]
    locked: bool = False
    open_deal_probability: float | None = None
    vip_confirmed: bool = False


def median_interval(won_dates: Sequence[dt.date]) -> float | None:
    """Median of days between consecutive distinct purchase dates, None if < 2 dates."""
    days = sorted(set(won_dates))
    if len(days) < 2:
        return None
    return float(statistics.median((b - a).days for a, b in itertools.pairwise(days)))


def threshold_days(policy: DormancyPolicy, client: ClientHistory) -> float:
    """Days without a purchase after which this client is dormant."""
    base: float = policy.days
    if client.segment is not None and client.segment in policy.by_segment:
        base = policy.by_segment[client.segment]
    elif client.tier in policy.by_tier:
        base = policy.by_tier[client.tier]
    distinct = sorted(set(client.won_dates))
    if len(distinct) - 1 >= policy.min_intervals:
        interval = median_interval(distinct)
        if interval is not None and interval > base:
            base = max(base, policy.interval_multiple * interval)
    return base


def dormant_since(policy: DormancyPolicy, client: ClientHistory) -> dt.date | None:
    """The date the client becomes dormant; None if it never bought."""
    if not client.won_dates:
        return None
    last = max(client.won_dates)
    return last + dt.timedelta(days=math.floor(threshold_days(policy, client)) + 1)


def is_dormant(policy: DormancyPolicy, client: ClientHistory, on: dt.date) -> bool:
    """True when the client has bought before and `on` is past its threshold."""
    since = dormant_since(policy, client)
    return since is not None and on >= since


def exclusion_reason(policy: DormancyPolicy, client: ClientHistory) -> str | None:
    """Why a dormant client must not rotate (Russian text), or None."""
    if client.locked:
        return "клиент закреплён"
    if (
        client.open_deal_probability is not None
        and client.open_deal_probability >= policy.open_deal_min_probability
    ):
        return "есть открытая сделка на поздней стадии"
    if client.tier == "VIP" and policy.vip_needs_confirmation and not client.vip_confirmed:
        return "VIP: нужно подтверждение руководителя"
    return None


def draw_holdout(
    clients_by_tier: Mapping[str, Sequence[int]], share: float = 0.2, seed: int = 0
) -> set[int]:
    """Random hold-out, stratified by tier: round(share × n) of each tier, reproducible."""
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must be within [0, 1]")
    rng = random.Random(seed)
    held: set[int] = set()
    for tier in sorted(clients_by_tier):
        ids = sorted(clients_by_tier[tier])
        k = round(share * len(ids))
        held.update(rng.sample(ids, k))
    return held


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for one proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Effect:
    """Rotated minus held-out reactivation rate, with Newcombe's 95 % interval."""

    rotated_n: int
    rotated_hits: int
    holdout_n: int
    holdout_hits: int
    difference: float
    low: float
    high: float
    too_small: bool

    @property
    def verdict(self) -> str:
        """A plain Russian sentence about the result."""
        if self.too_small:
            return "выборка слишком мала для вывода"
        if self.low > 0:
            return "ротация повышает реактивацию"
        if self.high < 0:
            return "ротация снижает реактивацию"
        return "разница не доказана"


def effect(
    rotated_hits: int, rotated_n: int, holdout_hits: int, holdout_n: int, min_n: int = 30
) -> Effect:
    """Newcombe (method 10, hybrid Wilson) CI for p_rotated − p_holdout.

    Too small to conclude: fewer than `min_n` clients in either group, or fewer than 5
    reactivations and 5 non-reactivations overall.
    """
    p1 = rotated_hits / rotated_n if rotated_n else 0.0
    p2 = holdout_hits / holdout_n if holdout_n else 0.0
    l1, u1 = wilson(rotated_hits, rotated_n)
    l2, u2 = wilson(holdout_hits, holdout_n)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    hits = rotated_hits + holdout_hits
    misses = rotated_n + holdout_n - hits
    too_small = min(rotated_n, holdout_n) < min_n or hits < 5 or misses < 5
    return Effect(rotated_n, rotated_hits, holdout_n, holdout_hits, d, low, high, too_small)

"""Dormancy rules, hold-out draw and effect statistics (SPEC §6)."""

from __future__ import annotations

import datetime as dt
import random

from clientbase.core.rotation import (
    ClientHistory,
    DormancyPolicy,
    draw_holdout,
    effect,
    exclusion_reason,
    is_dormant,
    threshold_days,
)

D = dt.date(2026, 1, 1)


def _client(dates: list[dt.date], tier: str = "B", segment: str | None = None) -> ClientHistory:
    return ClientHistory(client_id=1, tier=tier, segment=segment, won_dates=dates)


def test_client_without_purchase_for_61_days_is_dormant_with_default_threshold() -> None:
    c = _client([D])
    assert not is_dormant(DormancyPolicy(), c, D + dt.timedelta(days=60))
    assert is_dormant(DormancyPolicy(), c, D + dt.timedelta(days=61))


def test_client_that_never_bought_is_never_dormant() -> None:
    assert not is_dormant(DormancyPolicy(), _client([]), D + dt.timedelta(days=999))


def test_segment_threshold_beats_tier_threshold_which_beats_global() -> None:
    p = DormancyPolicy(days=60, by_tier={"A": 45}, by_segment={"Москва": 30})
    assert threshold_days(p, _client([D], tier="A")) == 45
    assert threshold_days(p, _client([D], tier="A", segment="Москва")) == 30
    assert threshold_days(p, _client([D], tier="C")) == 60


def test_client_with_long_own_interval_gets_a_multiple_of_it() -> None:
    dates = [D + dt.timedelta(days=100 * i) for i in range(4)]
    assert threshold_days(DormancyPolicy(), _client(dates)) == 150
    short = [D + dt.timedelta(days=10 * i) for i in range(4)]
    assert threshold_days(DormancyPolicy(), _client(short)) == 60


def test_locked_late_deal_and_unconfirmed_vip_are_excluded() -> None:
    p = DormancyPolicy()
    base = dict(client_id=1, segment=None, won_dates=[D])
    assert exclusion_reason(p, ClientHistory(tier="B", locked=True, **base))  # type: ignore[arg-type]
    assert exclusion_reason(p, ClientHistory(tier="B", open_deal_probability=0.7, **base))  # type: ignore[arg-type]
    assert exclusion_reason(p, ClientHistory(tier="B", open_deal_probability=0.2, **base)) is None  # type: ignore[arg-type]
    assert exclusion_reason(p, ClientHistory(tier="VIP", **base))  # type: ignore[arg-type]
    assert exclusion_reason(p, ClientHistory(tier="VIP", vip_confirmed=True, **base)) is None  # type: ignore[arg-type]


def test_holdout_draw_is_reproducible_and_stratified_by_tier() -> None:
    groups = {"A": list(range(10)), "B": list(range(100, 150)), "C": list(range(200, 300))}
    first = draw_holdout(groups, 0.2, seed=7)
    assert first == draw_holdout(groups, 0.2, seed=7)
    assert len([i for i in first if i < 100]) == 2
    assert len([i for i in first if 100 <= i < 200]) == 10
    assert len([i for i in first if i >= 200]) == 20


def _simulate(p_rot: float, p_hold: float, n: int, seed: int) -> tuple[int, int, int, int]:
    rng = random.Random(seed)
    n_hold = n // 5
    n_rot = n - n_hold
    rot = sum(rng.random() < p_rot for _ in range(n_rot))
    hold = sum(rng.random() < p_hold for _ in range(n_hold))
    return rot, n_rot, hold, n_hold


def test_interval_contains_plus_15_points_when_rotation_lifts_10_to_25_percent() -> None:
    e = effect(*_simulate(0.25, 0.10, 5000, seed=1))
    assert e.low <= 0.15 <= e.high
    assert e.low > 0 and not e.too_small


def test_interval_contains_zero_when_rotation_has_no_effect() -> None:
    e = effect(*_simulate(0.15, 0.15, 5000, seed=2))
    assert e.low <= 0.0 <= e.high


def test_small_sample_is_reported_as_too_small_to_conclude() -> None:
    e = effect(3, 10, 0, 3)
    assert e.too_small and e.verdict == "выборка слишком мала для вывода"

"""Seasonal capacity (core): month factors, presence from absences, rounding, the table."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.season import (
    DEFAULT_SEASON,
    SeasonTable,
    adjustment,
    month_bounds,
    parse_period,
    season_from_dict,
    season_to_dict,
    seasonal_capacity,
    seasonal_hours,
    working_days,
)
from clientbase.core.types import RoleGroup
from clientbase.errors import BadInputError

D = dt.date
DECEMBER = (D(2026, 12, 1), D(2026, 12, 31))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-12", D(2026, 12, 1), D(2026, 12, 31)),
        ("2028-02", D(2028, 2, 1), D(2028, 2, 29)),
        ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        ("2026-q1", D(2026, 1, 1), D(2026, 3, 31)),
        ("2026", D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_a_period_is_read_as_its_first_and_last_day(text: str, start: D, end: D) -> None:
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "12-2026", "2026-Q5", "декабрь", ""])
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(BadInputError, match="Период"):
        parse_period(text)


def test_december_2026_has_23_weekdays_and_a_holiday_takes_one_away() -> None:
    assert len(working_days(*DECEMBER)) == 23
    table = SeasonTable(holidays=frozenset({D(2026, 12, 31)}))
    assert len(working_days(*DECEMBER, table)) == 22
    assert month_bounds(D(2026, 12, 17)) == DECEMBER


def test_with_no_table_and_no_absence_the_capacity_is_unchanged() -> None:
    adj = adjustment(*DECEMBER)
    assert adj.scale == 1.0 and not adj.fully_absent and adj.explain() == ""
    assert seasonal_capacity(43, adj) == 43
    assert seasonal_hours(117.35, adj) == 117.35


def test_a_december_factor_of_0_8_lowers_capacity_by_20_percent_rounded() -> None:
    table = season_from_dict({"months": {"12": 0.8}})
    adj = adjustment(*DECEMBER, table=table)
    assert adj.factor == 0.8 and adj.presence == 1.0
    # 40 × 1.10 (grade 4) = 44 clients → 44 × 0.8 = 35.2 → 35.
    cap = client_capacity(RoleGroup.FARMER, Drivers(grade=4)).clients
    assert cap == 44
    assert seasonal_capacity(cap, adj) == 35
    assert seasonal_hours(120.0, adj) == 96.0
    assert adj.explain() == "сезон ×0.80"


def test_a_two_week_vacation_scales_capacity_by_the_working_days_present() -> None:
    # 14–25 December 2026: ten working days of the 23.
    adj = adjustment(*DECEMBER, [(D(2026, 12, 14), D(2026, 12, 25))])
    assert (adj.working_days, adj.present_days) == (23, 13)
    # 40 × 13/23 = 22.6 → 23.
    assert seasonal_capacity(40, adj) == 23
    assert "13 из 23" in adj.explain()


def test_season_and_vacation_multiply() -> None:
    table = season_from_dict({"months": {"december": 0.8}})
    adj = adjustment(*DECEMBER, [(D(2026, 12, 14), D(2026, 12, 25))], table)
    # 40 × 0.8 × 13/23 = 18.09 → 18.
    assert seasonal_capacity(40, adj) == 18


def test_absent_the_whole_month_takes_no_new_clients() -> None:
    adj = adjustment(*DECEMBER, [(D(2026, 11, 20), D(2027, 1, 10))])
    assert adj.fully_absent and adj.present_days == 0
    assert seasonal_capacity(40, adj) == 0


def test_weekend_absence_days_do_not_count() -> None:
    # Saturday 5 and Sunday 6 December.
    adj = adjustment(*DECEMBER, [(D(2026, 12, 5), D(2026, 12, 6))])
    assert adj.presence == 1.0


def test_a_quarter_weights_the_month_factors_by_working_days() -> None:
    table = season_from_dict({"months": {"10": 1.2, "12": 0.8}})
    adj = adjustment(D(2026, 10, 1), D(2026, 12, 31), table=table)
    # October 22, November 21, December 23 working days.
    expected = (22 * 1.2 + 21 * 1.0 + 23 * 0.8) / 66
    assert adj.factor == pytest.approx(expected, abs=1e-4)


def test_the_table_round_trips_through_its_stored_form() -> None:
    table = season_from_dict(
        {
            "months": {"jan": 0.7, "Декабрь": 0.8, "7": 0.9},
            "holidays": ["2026-12-31", D(2027, 1, 1)],
            "workdays": [1, 2, 3, 4, 5, 6],
        }
    )
    assert table.months == {1: 0.7, 7: 0.9, 12: 0.8}
    assert season_from_dict(season_to_dict(table)) == table
    assert not table.is_default and DEFAULT_SEASON.is_default


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"months": {"13": 0.8}}, "месяц «13»"),
        ({"months": {"12": 8}}, "коэффициент от"),
        ({"months": {"12": "0.8"}}, "нужно число"),
        ({"months": {"12": 0.8, "december": 0.9}}, "дважды"),
        ({"holidays": ["31.12.2026"]}, "праздник"),
        ({"workdays": [0, 1]}, "workdays"),
        ({"seasons": {}}, "неизвестные разделы"),
        ([0.8], "ожидается объект"),
    ],
)
def test_a_bad_season_table_is_refused_with_the_reason(data: object, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        season_from_dict(data)


_days = st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 12, 31))


@given(
    capacity=st.integers(min_value=0, max_value=150),
    factor=st.sampled_from([0.5, 0.7, 0.8, 0.9, 1.0]),
    month=st.integers(min_value=1, max_value=12),
    spans=st.lists(st.tuples(_days, st.integers(min_value=0, max_value=40)), max_size=3),
)
def test_seasonal_capacity_never_exceeds_the_model_and_falls_with_absence(
    capacity: int, factor: float, month: int, spans: list[tuple[D, int]]
) -> None:
    start, end = month_bounds(D(2026, month, 1))
    table = season_from_dict({"months": {str(month): factor}})
    absences = [(a, a + dt.timedelta(days=n)) for a, n in spans]
    adj = adjustment(start, end, absences, table)
    fewer = adjustment(start, end, absences[:-1], table)
    assert 0 <= adj.present_days <= adj.working_days
    assert 0 <= seasonal_capacity(capacity, adj) <= capacity
    # Dropping an absence never lowers the capacity.
    assert seasonal_capacity(capacity, fewer) >= seasonal_capacity(capacity, adj)
    if adj.fully_absent:
        assert seasonal_capacity(capacity, adj) == 0
    if not absences and factor == 1.0:
        assert seasonal_capacity(capacity, adj) == capacity

"""Value parsers: numbers and dates as people type them, round-tripped with Hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.io.values import (
    CellValueError,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", 1234.5),
        ("1 234,50", 1234.5),
        ("1\u00a0234\u00a0567,8", 1234567.8),
        ("1,234,567.25", 1234567.25),
        ("1.234.567,25", 1234567.25),
        ("10,5", 10.5),
        ("-3", -3.0),
        ("2 100 000 ₽", 2100000.0),
        (42, 42.0),
    ],
)
def test_numbers_are_read_in_russian_and_english_forms(text: object, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "1,2,3a", "", "--1"])
def test_text_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(CellValueError):
        parse_number(text)


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_a_number_written_the_russian_way_reads_back_the_same(value: object) -> None:
    whole, _, frac = f"{value:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    assert parse_number(f"{grouped},{frac}") == pytest.approx(float(str(value)))


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_a_date_reads_back_from_iso_and_russian_forms(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d.%m.%Y")) == day
    if day.day > 12 or day.day == day.month:
        assert parse_date(day.strftime("%m/%d/%Y")) == day


@given(st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2099, 1, 1)))
def test_unix_seconds_read_back_as_the_same_utc_moment(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=0)
    seconds = int(moment.replace(tzinfo=dt.UTC).timestamp())
    assert parse_datetime(seconds) == moment
    assert parse_datetime(str(seconds)) == moment


def test_an_ambiguous_slash_date_is_refused_with_advice() -> None:
    with pytest.raises(CellValueError, match="неоднозначная"):
        parse_date("03/04/2026")


def test_a_date_with_an_offset_keeps_its_calendar_day() -> None:
    assert parse_date("2026-05-15T00:00:00+03:00") == dt.date(2026, 5, 15)
    assert parse_datetime("2026-05-15T00:00:00+03:00") == dt.datetime(2026, 5, 14, 21, 0)


def test_russian_date_with_time_is_read() -> None:
    assert parse_datetime("05.05.2026 12:30") == dt.datetime(2026, 5, 5, 12, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("да", True), ("Нет", False), ("true", True), ("FALSE", False), ("1", True), ("0", False),
     ("Y", True), ("N", False), (1.0, True)],
)  # fmt: skip
def test_booleans_are_read_in_russian_and_english(text: object, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_an_unknown_boolean_word_is_refused() -> None:
    with pytest.raises(CellValueError):
        parse_bool("может быть")


def test_an_iso_date_that_does_not_exist_is_named_as_such() -> None:
    with pytest.raises(CellValueError, match="несуществующая дата"):
        parse_date("2026-02-30")
    with pytest.raises(CellValueError, match="несуществующая дата"):
        parse_date("31.04.2026")

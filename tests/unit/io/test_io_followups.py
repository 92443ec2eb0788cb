"""Reviewer findings on values and stages: strict numbers, negated stages, business time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from clientbase.io.mapping import outcome_from_stage
from clientbase.io.values import (
    CellValueError,
    parse_date,
    parse_datetime,
    parse_number,
    uses_comma_groups,
)
from clientbase.settings import get_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5", 1.5),
        ("1,500", 1.5),  # a single comma is the Russian decimal comma
        ("1 234,50", 1234.5),
        ("1\u00a0234\u00a0567,8", 1234567.8),
        ("1\u2009234", 1234.0),
        ("1\u202f234", 1234.0),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("1,234,567", 1234567.0),
        ("1.234.567", 1234567.0),
        ("-12,5", -12.5),
        ("100 ₽", 100.0),
        ("100 руб.", 100.0),
    ],
)
def test_numbers_with_proper_grouping_are_read(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["1,2,3", "12руб34", "12 34", "1.2.3", "1,23,456.7", "1.23,4,5", "1 2", "руб", "5-3"]
)
def test_garbage_numbers_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(CellValueError, match="число"):
        parse_number(text)


def test_a_single_comma_with_three_digits_is_ambiguous_when_the_column_groups_with_commas() -> None:
    column = ["1,234.50", "1,500", "2"]
    assert uses_comma_groups(column)
    with pytest.raises(CellValueError, match="неоднозначное"):
        parse_number("1,500", comma_groups=True)
    assert parse_number("1,5", comma_groups=True) == 1.5
    assert not uses_comma_groups(["1,500", "2,75", "1 234,50"])


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [
        # Bitrix24 default deal pipeline
        ("Новая", "open"),
        ("Подготовка документов", "open"),
        ("Счёт на предоплату", "open"),
        ("В работе", "open"),
        ("Финальный счёт", "open"),
        ("Сделка успешна", "won"),
        ("Сделка провалена", "lost"),
        ("Анализ причины провала", "lost"),
        # amoCRM default pipeline
        ("Неразобранное", "open"),
        ("Первичный контакт", "open"),
        ("Переговоры", "open"),
        ("Принимают решение", "open"),
        ("Согласование договора", "open"),
        ("Успешно реализовано", "won"),
        ("Закрыто и не реализовано", "lost"),
        # negations and refusals the reviewer found read as won
        ("Не заключена", "lost"),
        ("Сделка не заключена", "lost"),
        ("Не выиграна", "lost"),
        ("Неуспешно", "lost"),
        ("Не оплачено", "lost"),
        ("Отказ", "lost"),
        ("Отказ клиента", "lost"),
        ("Отменена клиентом", "lost"),
        ("Заключена", "won"),
        ("Оплачено", "won"),
        ("Closed Won", "won"),
        ("Closed Lost", "lost"),
    ],
)
def test_russian_crm_stage_words_give_the_right_outcome(stage: str, outcome: str) -> None:
    assert outcome_from_stage(stage) == outcome


@pytest.fixture
def utc_business_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLIENTBASE_BUSINESS_TIMEZONE", "UTC")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CLIENTBASE_BUSINESS_TIMEZONE")
    get_settings.cache_clear()


# 2026-01-31 22:00 UTC = 2026-02-01 01:00 in Moscow
WON_AT_ONE_AM_MOSCOW = 1_769_896_800


def test_a_unix_timestamp_belongs_to_the_calendar_day_of_the_business_time_zone() -> None:
    assert parse_date(WON_AT_ONE_AM_MOSCOW) == dt.date(2026, 2, 1)
    assert parse_date(str(WON_AT_ONE_AM_MOSCOW)) == dt.date(2026, 2, 1)
    # moments are still stored as naive UTC
    assert parse_datetime(WON_AT_ONE_AM_MOSCOW) == dt.datetime(2026, 1, 31, 22, 0)


@pytest.mark.usefixtures("utc_business_zone")
def test_the_business_time_zone_is_a_setting() -> None:
    assert parse_date(WON_AT_ONE_AM_MOSCOW) == dt.date(2026, 1, 31)

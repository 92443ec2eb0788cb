"""Seasonal capacity (issue 12): busy and quiet months, vacations, per period.

A manager's capacity for a period is his capacity from the capacity model (drivers, clamp,
override) scaled by two numbers:

- the **month factor** of the season table (e.g. December 0.8: fewer selling days, clients
  closing their year); for a period over several months, the mean of the month factors
  weighted by the working days of each month;
- his **presence**: the share of the period's working days he is not absent (vacation,
  sick leave). Fully absent → he takes no new clients, as on the day of an absence.

`seasonal = round(capacity × factor × presence)` — the same `round` as the capacity model;
the floor of the role group is not applied again, because a manager away half the month
really has half the month. Selling hours are scaled the same way (to 0.1 h).

With no season table and no absence the scale is exactly 1 and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clientbase.errors import BadInputError

MONTHS_RU = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
_MONTH_WORDS: dict[str, int] = {
    **{name: i for i, name in enumerate(MONTHS_RU, start=1)},
    **{
        name: i
        for i, name in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            start=1,
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
            start=1,
        )
    },
}
# A month factor outside these bounds is a typo (0.08 for 0.8, 8 for 0.8), not a season.
MIN_FACTOR, MAX_FACTOR = 0.1, 2.0
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-[Qq]([1-4]))?$")


@dataclass(frozen=True, slots=True)
class SeasonTable:
    """Month factors (1–12, missing = 1.0), holidays and the working week."""

    months: dict[int, float] = field(default_factory=dict)
    # Public holidays: not working days, so nobody is "absent" on them.
    holidays: frozenset[dt.date] = frozenset()
    # ISO weekdays that are working days (1 = Monday).
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})

    def factor(self, month: int) -> float:
        """The factor of a calendar month (1.0 when the table does not name it)."""
        return self.months.get(month, 1.0)

    @property
    def is_default(self) -> bool:
        """Whether the table changes nothing (every factor 1, no holidays, Mon–Fri)."""
        return (
            all(v == 1.0 for v in self.months.values())
            and not self.holidays
            and self.workdays == frozenset({1, 2, 3, 4, 5})
        )


DEFAULT_SEASON = SeasonTable()


@dataclass(frozen=True, slots=True)
class Adjustment:
    """How the season and a manager's absences scale his capacity in one period."""

    start: dt.date
    end: dt.date  # inclusive
    factor: float  # month factor (weighted by working days over several months)
    working_days: int
    present_days: int

    @property
    def presence(self) -> float:
        """Share of the period's working days the manager is at work (1.0 if none)."""
        return self.present_days / self.working_days if self.working_days else 1.0

    @property
    def scale(self) -> float:
        """factor × presence."""
        return self.factor * self.presence

    @property
    def fully_absent(self) -> bool:
        """Absent every working day of the period: takes no new clients."""
        return self.working_days > 0 and self.present_days == 0

    def explain(self) -> str:
        """The scaling in words (Russian), empty when nothing changes."""
        parts = []
        if self.factor != 1.0:
            parts.append(f"сезон ×{self.factor:.2f}")
        if self.present_days != self.working_days:
            parts.append(f"на работе {self.present_days} из {self.working_days} раб. дн.")
        return ", ".join(parts)


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`2026-12` (a month), `2026-Q4` (a quarter) or `2026` (a year) → first and last day."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise BadInputError(
            f"Период «{text}»: ожидается месяц 2026-12, квартал 2026-Q4 или год 2026."
        )
    year = int(match.group(1))
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise BadInputError(f"Период «{text}»: месяц должен быть от 01 до 12.")
        return month_bounds(dt.date(year, month, 1))
    if match.group(3):
        first = 3 * (int(match.group(3)) - 1) + 1
        return dt.date(year, first, 1), month_bounds(dt.date(year, first + 2, 1))[1]
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar month of `day`."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def working_days(
    start: dt.date, end: dt.date, table: SeasonTable = DEFAULT_SEASON
) -> list[dt.date]:
    """The working days from `start` to `end` inclusive."""
    days = []
    day = start
    while day <= end:
        if day.isoweekday() in table.workdays and day not in table.holidays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def adjustment(
    start: dt.date,
    end: dt.date,
    absences: Iterable[tuple[dt.date, dt.date]] = (),
    table: SeasonTable = DEFAULT_SEASON,
    *,
    days: Sequence[dt.date] | None = None,
) -> Adjustment:
    """Month factor and presence of one manager over a period (absences inclusive ranges).

    `days` are the period's working days when the caller computed them once for everybody.
    """
    if end < start:
        raise BadInputError("Период: конец раньше начала.")
    if days is None:
        days = working_days(start, end, table)
    spans = list(absences)
    present = [d for d in days if not any(a <= d <= b for a, b in spans)]
    if days:
        factor = sum(table.factor(d.month) for d in days) / len(days)
    else:
        # A period without working days (a weekend): the factor of its month.
        factor = table.factor(start.month)
    return Adjustment(start, end, round(factor, 4), len(days), len(present))


def seasonal_capacity(capacity: int, adj: Adjustment) -> int:
    """Capacity in clients for the period: round(capacity × factor × presence)."""
    if adj.scale == 1.0:
        return capacity
    return max(0, round(capacity * adj.scale))


def seasonal_hours(hours: float, adj: Adjustment) -> float:
    """Selling hours for the period, to 0.1 h."""
    if adj.scale == 1.0:
        return hours
    return round(hours * adj.scale, 1)


# ---------------------------------------------------------------- the table as data


def _month_key(key: Any) -> int:
    text = str(key).strip().lower()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    if text in _MONTH_WORDS:
        return _MONTH_WORDS[text]
    raise BadInputError(
        f"Сезонная ёмкость: месяц «{key}» — ожидается 1–12 или название (december, декабрь)."
    )


def _weekday(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7


def season_from_dict(data: Any) -> SeasonTable:
    """Parse `{"months": {"12": 0.8, …}, "holidays": ["2026-12-31"], "workdays": [1,…,5]}`."""
    if not isinstance(data, dict):
        raise BadInputError("Сезонная ёмкость: ожидается объект с разделом months.")
    unknown = sorted(set(data) - {"months", "holidays", "workdays"})
    if unknown:
        raise BadInputError(
            f"Сезонная ёмкость: неизвестные разделы {', '.join(unknown)}; "
            "допустимы: months, holidays, workdays."
        )
    raw_months = data.get("months", {})
    if not isinstance(raw_months, dict):
        raise BadInputError("Сезонная ёмкость: months — таблица «месяц = коэффициент».")
    months: dict[int, float] = {}
    for key, value in raw_months.items():
        month = _month_key(key)
        if month in months:
            raise BadInputError(f"Сезонная ёмкость: месяц {month} указан дважды.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInputError(f"Сезонная ёмкость: months.{key} — нужно число.")
        if not MIN_FACTOR <= float(value) <= MAX_FACTOR:
            raise BadInputError(
                f"Сезонная ёмкость: months.{key} = {value} — коэффициент от {MIN_FACTOR} "
                f"до {MAX_FACTOR} (0.8 = на 20 % меньше)."
            )
        months[month] = float(value)
    holidays: set[dt.date] = set()
    raw_holidays = data.get("holidays", [])
    if not isinstance(raw_holidays, list):
        raise BadInputError("Сезонная ёмкость: holidays — список дат ГГГГ-ММ-ДД.")
    for value in raw_holidays:
        if isinstance(value, dt.date):
            holidays.add(value)
            continue
        try:
            holidays.add(dt.date.fromisoformat(str(value)))
        except ValueError as exc:
            raise BadInputError(f"Сезонная ёмкость: праздник «{value}» — дата ГГГГ-ММ-ДД.") from exc
    raw_workdays = data.get("workdays", [1, 2, 3, 4, 5])
    if (
        not isinstance(raw_workdays, list)
        or not raw_workdays
        or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in raw_workdays
        )
    ):
        raise BadInputError("Сезонная ёмкость: workdays — дни недели 1–7 (1 = понедельник).")
    return SeasonTable(
        months=dict(sorted(months.items())),
        holidays=frozenset(holidays),
        workdays=frozenset(raw_workdays),
    )


def season_to_dict(table: SeasonTable) -> dict[str, Any]:
    """The table as plain data (the JSON stored in app_meta `seasonal_capacity`)."""
    return {
        "months": {str(k): v for k, v in sorted(table.months.items())},
        "holidays": [d.isoformat() for d in sorted(table.holidays)],
        "workdays": sorted(table.workdays),
    }

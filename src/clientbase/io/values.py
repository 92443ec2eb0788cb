"""Parsing cell values as people type them: Russian numbers, several date forms, да/нет."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo


class CellValueError(ValueError):
    """A cell value that cannot be read as the expected type; the text is shown to the user."""


# Group separators people type between thousands: space, no-break space, thin spaces, `'`.
_GROUP_SPACES = re.compile(r"[ \u00a0\u2009\u202f']")
_CURRENCY = re.compile(r"^(?:₽|руб\.?|р\.)\s*|\s*(?:₽|руб\.?|р\.|rub)$", re.IGNORECASE)
_PLAIN = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:G\d{3})+")  # "G" stands for the group separator
_NUMBER_HINT = "ожидается число, например 1234,5 или 1 234,50"

TRUE_WORDS = {"1", "true", "yes", "y", "да", "д", "истина", "+", "x", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "нет", "н", "ложь", "-"}

# Unix seconds between 2000-01-01 and 2100-01-01; smaller numbers are not timestamps.
_UNIX_MIN, _UNIX_MAX = 946_684_800, 4_102_444_800


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (None or whitespace)."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any, *, comma_groups: bool = False) -> float:
    """A number as people type it; garbage is refused rather than guessed.

    Accepted: `1234.5`, `1234,5` (a single comma is the Russian decimal comma), `1 234,50`
    (space, no-break or thin space between groups of three), `1,234.50` and `1.234,50` (the
    last separator is the decimal one, the other only between groups of three), `1,234,567`
    and `1.234.567` (several separators: groups of three). `₽`/`руб.` at either end is
    ignored. `comma_groups=True` (the column writes `,` between thousands elsewhere) makes
    `1,500` ambiguous: an error instead of 1.5.
    """
    if isinstance(value, bool):
        raise CellValueError("ожидается число")
    if isinstance(value, int | float):
        return float(value)
    original = str(value)
    text = _CURRENCY.sub("", original.strip()).strip()
    sign = ""
    if text and text[0] in "+-−":
        sign, text = ("-" if text[0] in "-−" else ""), text[1:].lstrip()
    if not text:
        raise CellValueError(_NUMBER_HINT)
    integer, decimal = _split_number(text, original, comma_groups)
    if _GROUP_SPACES.search(integer):
        if not _GROUPED.fullmatch(_GROUP_SPACES.sub("G", integer)):
            raise CellValueError(f"не число: {original!r} (разряды отделяются по три цифры)")
        integer = _GROUP_SPACES.sub("", integer)
    if not _PLAIN.fullmatch(integer) or (decimal and not _PLAIN.fullmatch(decimal)):
        raise CellValueError(f"не число: {original!r}; {_NUMBER_HINT}")
    return float(f"{sign}{integer}.{decimal or '0'}")


def _split_number(text: str, original: str, comma_groups: bool) -> tuple[str, str]:
    """The integer part (still with space groups) and the decimal digits."""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        integer, _, decimal = text.rpartition(decimal_sep)
        if decimal_sep in integer or not _GROUPED.fullmatch(integer.replace(group_sep, "G")):
            raise CellValueError(
                f"не число: {original!r} (разделитель тысяч «{group_sep}» — только между "
                "группами по три цифры)"
            )
        return integer.replace(group_sep, ""), decimal
    sep = "," if commas else "." if dots else ""
    if not sep:
        return text, ""
    if text.count(sep) > 1:
        if not _GROUPED.fullmatch(text.replace(sep, "G")):
            raise CellValueError(
                f"не число: {original!r} («{sep}» несколько раз, а группы не по три цифры)"
            )
        return text.replace(sep, ""), ""
    integer, _, decimal = text.partition(sep)
    if sep == "," and comma_groups and len(decimal) == 3 and re.fullmatch(r"\d{1,3}", integer):
        raise CellValueError(
            f"неоднозначное число {original!r}: в этой колонке запятая отделяет тысячи, "
            "а здесь может быть и дробь; запишите 1500 или 1,5"
        )
    return integer, decimal


def uses_comma_groups(values: Iterable[Any]) -> bool:
    """Whether a column writes `,` between thousands (`1,234.50` or `1,234,567`)."""
    pattern = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d{1,3}(?:,\d{3}){2,}")
    for value in values:
        if isinstance(value, str) and "," in value:
            text = _CURRENCY.sub("", value.strip()).strip()
            if pattern.fullmatch(text) and (text.count(",") > 1 or "." in text):
                return True
    return False


def parse_int(value: Any) -> int:
    """A whole number (`3`, `3.0`, `3,0`)."""
    number = parse_number(value)
    if not number.is_integer():
        raise CellValueError(f"ожидается целое число, а не {value!r}")
    return int(number)


def parse_bool(value: Any) -> bool:
    """да/нет, true/false, yes/no, 1/0, Y/N as Bitrix24 writes them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise CellValueError(f"ожидается да/нет, а не {value!r}")
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellValueError(f"ожидается да/нет (true/false), а не {value!r}")


def parse_datetime(value: Any) -> dt.datetime:
    """A moment from ISO text, DD.MM.YYYY [HH:MM[:SS]], unambiguous MM/DD/YYYY or Unix seconds."""
    return _naive_utc(_parse_moment(value))


def parse_date(value: Any) -> dt.date:
    """A calendar date as written: `2026-05-15T00:00:00+03:00` is 15 May, not 14 May in UTC."""
    return _parse_moment(value).date()


def _parse_moment(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise CellValueError("ожидается дата")
    if isinstance(value, int | float):
        return _from_unix(float(value), value)
    text = str(value).strip()
    if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
        return _from_unix(float(text), value)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise CellValueError(f"несуществующая дата: {value!r}") from None
    match = re.fullmatch(
        r"(\d{1,2})([./])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text
    )
    if not match:
        raise CellValueError(
            f"не дата: {value!r} (ожидается ГГГГ-ММ-ДД, ДД.ММ.ГГГГ или ММ/ДД/ГГГГ)"
        )
    a, sep, b, year = int(match[1]), match[2], int(match[3]), int(match[4])
    if sep == ".":
        day, month = a, b
    elif a > 12 >= b:
        day, month = a, b  # 25/12/2026 can only be day first
    elif b > 12 >= a:
        day, month = b, a
    elif a == b:
        day = month = a
    else:
        raise CellValueError(
            f"неоднозначная дата {value!r}: это ДД/ММ или ММ/ДД? Запишите её как ГГГГ-ММ-ДД"
        )
    hour, minute, second = (int(match[i]) if match[i] else 0 for i in (5, 6, 7))
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise CellValueError(f"несуществующая дата: {value!r}") from exc


def _from_unix(seconds: float, original: Any) -> dt.datetime:
    if not _UNIX_MIN <= seconds <= _UNIX_MAX:
        raise CellValueError(f"не дата: {original!r}")
    # A moment in the business time zone: a deal won at 01:00 Moscow time on the 1st
    # belongs to the 1st (parse_date), while parse_datetime still stores naive UTC.
    return dt.datetime.fromtimestamp(seconds, business_zone())


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def business_zone() -> ZoneInfo:
    """The business time zone (setting `CLIENTBASE_BUSINESS_TIMEZONE`, Europe/Moscow)."""
    from clientbase.settings import get_settings

    return _zone(get_settings().business_timezone)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    # Stored dates are naive UTC (see tables.py); Bitrix24 writes +03:00 offsets.
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def text_of(value: Any) -> str:
    """A cell as trimmed text; whole numbers from spreadsheets lose their `.0`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # Our own exports prefix `'` to formula-like text (ASVS 1.2.10); read it back as typed.
    if (
        len(text) > 1
        and text[0] == "'"
        and text.lstrip("'")[:1] in ("=", "+", "-", "@", "{", "\t", "\r")
    ):
        text = text[1:]
    return text.strip()

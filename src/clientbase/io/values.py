"""Parsing cell values as people type them: Russian numbers, several date forms, да/нет."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


class CellValueError(ValueError):
    """A cell value that cannot be read as the expected type; the text is shown to the user."""


_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")

TRUE_WORDS = {"1", "true", "yes", "y", "да", "д", "истина", "+", "x", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "нет", "н", "ложь", "-"}

# Unix seconds between 2000-01-01 and 2100-01-01; smaller numbers are not timestamps.
_UNIX_MIN, _UNIX_MAX = 946_684_800, 4_102_444_800


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (None or whitespace)."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any) -> float:
    """A number from `1234.5`, `1 234,50`, `1,234.50`, `1.234,50` or a spreadsheet number."""
    if isinstance(value, bool):
        raise CellValueError("ожидается число")
    if isinstance(value, int | float):
        return float(value)
    text = _SPACES.sub("", str(value)).replace("₽", "").replace("руб.", "").replace("руб", "")
    if not text:
        raise CellValueError("ожидается число")
    if "," in text and "." in text:
        # Whichever separator comes last is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        # "1,234,567" or "1,234" with groups of three and several commas = thousands;
        # a single comma is a decimal comma, as Russian Excel writes it.
        if text.count(",") > 1 and all(len(g) == 3 for g in text.split(",")[1:]):
            text = text.replace(",", "")
        else:
            text = f"{head.replace(',', '')}.{tail}"
    elif text.count(".") > 1:
        text = text.replace(".", "")
    if not _NUMBER.fullmatch(text):
        raise CellValueError(f"не число: {value!r}")
    return float(text)


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
        pass
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
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


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
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@{\t\r":
        text = text[1:]
    return text.strip()

"""Jinja2 templates with the filters the pages share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates

from clientbase.core.access import USER_ROLE_RU

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_RU = {
    "prospect": "потенциальный",
    "active": "активный",
    "dormant": "спящий",
    "lost": "потерян",
}
ROLE_RU = {
    "acquisition": "привлечение",
    "sales": "продажи",
    "account": "ведение",
    "service": "сервис",
    "admin": "администратор",
}
GROUP_RU = {
    "hunter": "охотник",
    "farmer": "фермер",
    "service": "сервис",
    "admin": "администратор",
    "head": "РОП",
}
ACTIVITY_RU = {
    "call": "звонок",
    "meeting": "встреча",
    "email": "письмо",
    "task": "задача",
    "inbound": "входящий запрос",
}
OUTCOME_RU = {"open": "открыта", "won": "выиграна", "lost": "проиграна"}


def money(value: Any) -> str:
    """1234567.8 → '1 234 568' (thin grouping, no decimals)."""
    if value is None:
        return ""
    return f"{float(value):,.0f}".replace(",", "\u202f")


def date(value: Any) -> str:
    """Dates as DD.MM.YYYY, datetimes with the time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def query(request: Request, **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return urlencode(params)


# Pages in the top menu: (path, label, for heads of sales and admins only).
NAV = [
    ("/", "Обзор", False),
    ("/clients", "Клиенты", False),
    ("/managers", "Менеджеры", False),
    ("/capacity", "Нагрузка", False),
    ("/plans", "Распределение", True),
    ("/roles", "Роли", True),
    ("/rotation", "Ротация", False),
    ("/kpi", "KPI", False),
    ("/import", "Импорт", True),
]

templates.env.filters.update(money=money, date=date)
templates.env.globals.update(
    STATUS_RU=STATUS_RU,
    ROLE_RU=ROLE_RU,
    GROUP_RU=GROUP_RU,
    ACTIVITY_RU=ACTIVITY_RU,
    OUTCOME_RU=OUTCOME_RU,
    query=query,
    NAV=NAV,
    USER_ROLE_RU=USER_ROLE_RU,
)

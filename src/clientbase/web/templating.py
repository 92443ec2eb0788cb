"""Jinja2 templates with the filters the pages share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates

from clientbase.core.access import USER_ROLE_RU
from clientbase.web import i18n
from clientbase.web.i18n import N_

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.add_extension("jinja2.ext.i18n")

STATUS_RU = {
    "prospect": N_("потенциальный"),
    "active": N_("активный"),
    "dormant": N_("спящий"),
    "lost": N_("потерян"),
}
ROLE_RU = {
    "acquisition": N_("привлечение"),
    "sales": N_("продажи"),
    "account": N_("ведение"),
    "service": N_("сервис"),
    "admin": N_("администратор"),
}
GROUP_RU = {
    "hunter": N_("охотник"),
    "farmer": N_("фермер"),
    "service": N_("сервис"),
    "admin": N_("администратор"),
    "head": N_("РОП"),
}
ACTIVITY_RU = {
    "call": N_("звонок"),
    "meeting": N_("встреча"),
    "email": N_("письмо"),
    "task": N_("задача"),
    "inbound": N_("входящий запрос"),
}
OUTCOME_RU = {"open": N_("открыта"), "won": N_("выиграна"), "lost": N_("проиграна")}


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
    ("/", N_("Обзор"), False),
    ("/board", N_("Планёрка"), False),
    ("/clients", N_("Клиенты"), False),
    ("/managers", N_("Менеджеры"), False),
    ("/capacity", N_("Нагрузка"), False),
    ("/plans", N_("Распределение"), True),
    ("/roles", N_("Роли"), True),
    ("/rotation", N_("Ротация"), False),
    ("/kpi", N_("KPI"), False),
    ("/bonus", N_("Бонусы"), False),
    ("/crosssell", N_("Кросс-продажи"), False),
    ("/import", N_("Импорт"), True),
]

# Labels that the core and the services keep in Russian and the pages show as they are
# (user roles, load status, rotation arms, funnel stages, purchase roles, KPI names): listed
# here so the catalog holds them; templates pass them through the `tr` filter.
# tests/integration/test_i18n.py checks that this list follows the services' dicts.
CORE_LABELS = (
    N_("менеджер"),
    N_("руководитель отдела продаж"),
    N_("администратор"),
    N_("недогружен"),
    N_("норма"),
    N_("перегружен"),
    N_("передан"),
    N_("контроль"),
    N_("не передан"),
    N_("Входящие обращения"),
    N_("Звонки и встречи"),
    N_("Создано сделок"),
    N_("Закрыто сделок"),
    N_("Выиграно сделок"),
    N_("ЛПР (принимает решение)"),
    N_("влияет на решение"),
    N_("закупщик"),
    N_("пользователь"),
    N_("секретарь / фильтр"),
    N_("другое"),
    N_("объём продаж"),
    N_("динамика к прошлому периоду"),
    N_("динамика к прошлому году"),
    N_("средний чек"),
    N_("конверсия сделок"),
    N_("конверсия контактов"),
    N_("новые клиенты"),
    N_("удержание клиентов"),
    N_("повторные продажи"),
    N_("скорость ответа"),
    N_("выполнение плана"),
    N_("охват клиентов"),
    N_("доля «спящих» клиентов"),
    N_("удовлетворённость клиентов"),
    N_("оценка коллег"),
    N_("дисциплина задач"),
    # Messages of web/auth.py and services/accounts.py shown on the login and error pages.
    N_("Нужно войти в систему."),
    N_("Это доступно руководителю отдела продаж и администратору."),
    N_("Форма устарела или пришла не из приложения (CSRF); обновите страницу."),
    N_("Неверный логин или пароль."),
    N_("Учётная запись отключена."),
    N_(
        "Слишком много неудачных попыток входа с вашего адреса. "
        "Подождите несколько минут и попробуйте снова."
    ),
)

# The gettext callables read the request's language from a context variable, so the one
# environment shared by every thread never holds a language (web/i18n.py). Newstyle:
# `_("… %(n)s …", n=x)` formats and escapes the values itself.
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates.env.filters.update(money=money, date=date, tr=i18n.translate_value)
templates.env.globals.update(
    current_language=i18n.current_language,
    LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
    STATUS_RU=STATUS_RU,
    ROLE_RU=ROLE_RU,
    GROUP_RU=GROUP_RU,
    ACTIVITY_RU=ACTIVITY_RU,
    OUTCOME_RU=OUTCOME_RU,
    query=query,
    NAV=NAV,
    USER_ROLE_RU=USER_ROLE_RU,
)

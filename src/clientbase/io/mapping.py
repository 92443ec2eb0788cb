"""Canonical fields per entity (SPEC §10), Russian aliases and matching of file columns to them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from clientbase.errors import BadInputError


class Kind(StrEnum):
    """How a cell of a field is read."""

    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"
    CLIENT = "client"
    MANAGER = "manager"


ENTITIES = ("managers", "clients", "teams", "deals", "activities", "plans", "surveys", "feedback")

# Canonical columns, in export order. The first entry is the entity's own id, if any.
FIELDS: dict[str, dict[str, Kind]] = {
    "managers": {
        "manager_id": Kind.TEXT,
        "name": Kind.TEXT,
        "email": Kind.TEXT,
        "role_group": Kind.TEXT,
        "team": Kind.TEXT,
        "grade": Kind.INT,
        "capacity": Kind.INT,
        "hours": Kind.NUMBER,
        "regions": Kind.LIST,
        "industries": Kind.LIST,
        "product_lines": Kind.LIST,
        "channels": Kind.LIST,
        "ownerships": Kind.LIST,
        "tiers": Kind.LIST,
        "active": Kind.BOOL,
    },
    "clients": {
        "client_id": Kind.TEXT,
        "name": Kind.TEXT,
        "region": Kind.TEXT,
        "industry": Kind.TEXT,
        "product_line": Kind.TEXT,
        "channel": Kind.TEXT,
        "ownership": Kind.TEXT,
        "tier": Kind.TEXT,
        "potential": Kind.NUMBER,
        "revenue_12m": Kind.NUMBER,
        "hours": Kind.NUMBER,
        "owner_id": Kind.MANAGER,
        "locked": Kind.BOOL,
        "tax_id": Kind.TEXT,
        "city": Kind.TEXT,
        "status": Kind.TEXT,
    },
    "teams": {
        "client": Kind.CLIENT,
        "role": Kind.TEXT,
        "manager": Kind.MANAGER,
        "since": Kind.DATE,
    },
    "deals": {
        "deal_id": Kind.TEXT,
        "client": Kind.CLIENT,
        "manager": Kind.MANAGER,
        "amount": Kind.NUMBER,
        "currency": Kind.TEXT,
        "stage": Kind.TEXT,
        "outcome": Kind.TEXT,
        "created": Kind.DATE,
        "closed": Kind.DATE,
        "product_line": Kind.TEXT,
    },
    "activities": {
        "activity_id": Kind.TEXT,
        "client": Kind.CLIENT,
        "manager": Kind.MANAGER,
        "type": Kind.TEXT,
        "direction": Kind.TEXT,
        "started": Kind.DATETIME,
        "ended": Kind.DATETIME,
        "completed": Kind.BOOL,
        "due": Kind.DATETIME,
    },
    "plans": {
        "plan_id": Kind.TEXT,
        "manager": Kind.MANAGER,
        "period": Kind.TEXT,
        "amount": Kind.NUMBER,
        "count": Kind.INT,
    },
    "surveys": {
        "survey_id": Kind.TEXT,
        "client": Kind.CLIENT,
        "manager": Kind.MANAGER,
        "date": Kind.DATE,
        "scale": Kind.TEXT,
        "score": Kind.NUMBER,
        "kind": Kind.TEXT,
        "comment": Kind.TEXT,
    },
    "feedback": {
        "feedback_id": Kind.TEXT,
        "from_manager": Kind.MANAGER,
        "to_manager": Kind.MANAGER,
        "date": Kind.DATE,
        "score": Kind.NUMBER,
        "comment": Kind.TEXT,
    },
}

# Fields that are read but not exported: CRM user lists split the full name in two.
EXTRA_FIELDS: dict[str, dict[str, Kind]] = {
    "managers": {"first_name": Kind.TEXT, "last_name": Kind.TEXT},
}

ID_FIELDS = {
    "managers": "manager_id",
    "clients": "client_id",
    "deals": "deal_id",
    "activities": "activity_id",
    "plans": "plan_id",
    "surveys": "survey_id",
    "feedback": "feedback_id",
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "managers": ("name",),
    "clients": ("name",),
    "teams": ("client", "role", "manager"),
    "deals": ("client", "created"),
    "activities": ("type", "started"),
    "plans": ("manager", "period", "amount"),
    "surveys": ("manager", "date", "score"),
    "feedback": ("from_manager", "to_manager", "date", "score"),
}

_ID = ("id", "ид", "идентификатор", "код", "номер", "№")

# Russian (and common English) column titles. Keys are canonical fields; matching is done
# on normalised text, so «E-mail», «e mail» and «EMAIL» are the same title.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "managers": {
        "manager_id": (*_ID, "id менеджера", "код менеджера", "табельный номер", "user id"),
        "name": ("ФИО", "менеджер", "сотрудник", "имя и фамилия", "full name", "полное имя"),
        "email": ("e-mail", "почта", "электронная почта", "эл. почта", "mail", "email адрес"),
        "role_group": ("группа", "группа ролей", "роль", "тип менеджера"),
        "team": ("команда", "отдел", "подразделение", "department", "group"),
        "grade": ("грейд", "уровень", "разряд"),
        "capacity": ("ёмкость", "емкость", "нагрузка", "макс клиентов", "лимит клиентов"),
        "hours": ("часы", "часов в месяц", "рабочие часы"),
        "regions": ("регионы",),
        "industries": ("отрасли",),
        "product_lines": ("товары", "виды товаров", "продукты"),
        "channels": ("каналы",),
        "ownerships": ("формы собственности",),
        "tiers": ("значимости", "уровни клиентов", "категории клиентов"),
        "active": ("активен", "активный", "активность", "работает", "is active"),
        "first_name": ("имя", "first name"),
        "last_name": ("фамилия", "last name"),
    },
    "clients": {
        "client_id": (*_ID, "id клиента", "код клиента", "id компании"),
        "name": (
            "название",
            "название компании",
            "наименование",
            "клиент",
            "компания",
            "организация",
            "контрагент",
            "company",
            "title",
        ),
        "tax_id": ("ИНН", "inn", "tin"),
        "region": ("регион", "область", "субъект рф", "state"),
        "city": ("город", "населённый пункт"),
        "industry": ("отрасль", "сфера деятельности", "сфера", "вид деятельности"),
        "product_line": ("товар", "вид товара", "продукт", "товарная группа", "направление"),
        "channel": ("канал", "канал продаж", "канал распределения"),
        "ownership": ("форма собственности", "собственность", "ОПФ"),
        "tier": ("значимость", "категория", "ABC", "класс"),
        "potential": ("потенциал", "потенциал в год"),
        "revenue_12m": ("выручка", "выручка за 12 месяцев", "оборот", "годовой оборот"),
        "hours": ("часы", "часы обслуживания"),
        "owner_id": ("ответственный", "менеджер", "ответственный менеджер", "владелец", "owner"),
        "locked": ("закреплён", "закреплен", "заблокирован"),
        "status": ("статус", "тип компании", "тип клиента"),
    },
    "teams": {
        "client": ("клиент", "компания", "id клиента", "client id", "client_id"),
        "role": ("роль",),
        "manager": ("менеджер", "ответственный", "сотрудник", "manager_id", "manager id"),
        "since": ("с", "с даты", "начало", "дата назначения"),
    },
    "deals": {
        "deal_id": (*_ID, "id сделки", "номер сделки"),
        "client": ("клиент", "компания", "название компании", "client_id", "id компании"),
        "manager": ("ответственный", "менеджер", "manager_id"),
        "amount": ("сумма", "бюджет", "стоимость", "сумма сделки"),
        "currency": ("валюта",),
        "stage": ("стадия", "стадия сделки", "этап", "этап сделки", "статус"),
        "outcome": ("результат", "итог"),
        "created": ("дата создания", "создана", "создано", "дата начала"),
        "closed": ("дата закрытия", "закрыта", "предполагаемая дата закрытия"),
        "product_line": ("товар", "вид товара", "продукт", "направление"),
    },
    "activities": {
        "activity_id": (*_ID, "id дела"),
        "client": ("клиент", "компания", "client_id"),
        "manager": ("ответственный", "менеджер", "manager_id"),
        "type": ("тип", "тип дела", "вид", "вид активности"),
        "direction": ("направление",),
        "started": ("начало", "дата начала", "дата", "время начала"),
        "ended": ("окончание", "дата окончания", "время окончания"),
        "completed": ("выполнено", "завершено", "выполнен"),
        "due": ("срок", "крайний срок", "дедлайн", "deadline"),
    },
    "plans": {
        "plan_id": _ID,
        "manager": ("менеджер", "сотрудник", "manager_id"),
        "period": ("период",),
        "amount": ("план", "сумма", "сумма плана", "план сумма"),
        "count": ("количество", "план штук", "число сделок"),
    },
    "surveys": {
        "survey_id": _ID,
        "client": ("клиент", "компания", "client_id"),
        "manager": ("менеджер", "ответственный", "manager_id"),
        "date": ("дата",),
        "scale": ("шкала",),
        "score": ("оценка", "балл"),
        "kind": ("вид", "источник", "source"),
        "comment": ("комментарий",),
    },
    "feedback": {
        "feedback_id": _ID,
        "from_manager": ("от кого", "оценивающий", "кто оценил", "from"),
        "to_manager": ("кому", "оцениваемый", "менеджер", "to"),
        "date": ("дата",),
        "score": ("оценка", "балл"),
        "comment": ("комментарий",),
    },
}

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_header(header: str) -> str:
    """Case-, space- and punctuation-insensitive form of a column title (ё = е)."""
    return _NON_WORD.sub("", header.lower().replace("ё", "е"))


def all_fields(entity: str) -> dict[str, Kind]:
    """Canonical and read-only extra fields of an entity."""
    return {**FIELDS[entity], **EXTRA_FIELDS.get(entity, {})}


def alias_index(
    entity: str, extra: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Normalised title → field (None = ignore), a source profile's titles taking precedence."""
    index: dict[str, str | None] = {}
    for name, aliases in ALIASES[entity].items():
        for alias in aliases:
            index.setdefault(normalize_header(alias), name)
    for name in all_fields(entity):
        index[normalize_header(name)] = name
    for title, target in (extra or {}).items():
        index[normalize_header(title)] = target
    return index


@dataclass
class ColumnPlan:
    """Which column of the file feeds which field, and what was left out and why."""

    columns: dict[int, str] = field(default_factory=dict)
    headers: dict[int, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    learned: dict[str, str | None] = field(default_factory=dict)

    def column_of(self, name: str) -> str:
        """The file's title of the column that feeds field `name` (the field itself if none)."""
        for index, mapped in self.columns.items():
            if mapped == name:
                return self.headers[index]
        return name

    @property
    def fields(self) -> set[str]:
        """Fields present in the file."""
        return set(self.columns.values())


def plan_columns(
    headers: list[str],
    entity: str,
    *,
    user_mapping: Mapping[str, str | None] | None = None,
    remembered: Mapping[str, str | None] | None = None,
    profile_aliases: Mapping[str, str | None] | None = None,
) -> ColumnPlan:
    """Match every column title to a field: user mapping, remembered choice, name, alias."""
    known = all_fields(entity)
    user = {normalize_header(k): v for k, v in (user_mapping or {}).items()}
    memory = {normalize_header(k): v for k, v in (remembered or {}).items()}
    for title, target in (user_mapping or {}).items():
        if target is not None and target not in known:
            raise BadInputError(
                f"Файл сопоставления: колонка «{title}» сопоставлена неизвестному полю "
                f"«{target}»; поля {entity}: {', '.join(FIELDS[entity])}."
            )
    index = alias_index(entity, profile_aliases)
    plan = ColumnPlan()
    for i, title in enumerate(headers):
        if not title:
            continue
        key = normalize_header(title)
        if key in user:
            target = user[key]
            plan.learned[title] = target
        elif key in memory and (memory[key] is None or memory[key] in known):
            target = memory[key]
        elif key in index:
            target = index[key]
        else:
            plan.warnings.append(
                f"колонка «{title}» не распознана и не загружена; "
                "укажите её в файле сопоставления (--mapping)"
            )
            continue
        if target is None:
            plan.ignored.append(title)
            continue
        if target in plan.columns.values():
            plan.warnings.append(
                f"колонка «{title}» тоже означает поле {target}; "
                f"используется «{plan.column_of(target)}»"
            )
            continue
        plan.columns[i] = target
        plan.headers[i] = title
    return plan


# Stage words that mean a closed deal (SPEC §10), compared after normalisation.
WON_WORDS = {
    "won", "win", "closedwon", "success", "successful", "выиграна", "выиграно", "выигрыш",
    "успешно", "успех", "успешнореализовано", "сделказаключена", "сделкауспешна",
    "заключена", "оплачено", "оплачена", "реализовано", "закрытауспешно",
}  # fmt: skip
LOST_WORDS = {
    "lost", "lose", "closedlost", "fail", "failed", "провал", "проиграна", "проиграно",
    "отказ", "отказался", "сделкапровалена", "закрытоинереализовано", "нереализовано",
    "отменена", "отменено", "неуспешно", "закрытанеуспешно",
}  # fmt: skip


# Stems of words meaning success; after a negation («не», «нет», «без») they mean lost.
_WON_STEMS = ("успеш", "выигр", "заключ", "реализ", "оплач", "won", "success")
_LOST_STEMS = (
    "провал", "отказ", "проигр", "отмен", "отклон", "нецелев", "lost", "lose", "fail",
    "cancel", "junk", "спам", "дубл",
)  # fmt: skip
_NEGATIONS = ("не", "нет", "без", "not", "no")


def outcome_from_stage(stage: str, stage_outcomes: Mapping[str, str] | None = None) -> str:
    """won / lost / open from a stage name: the user's table first, then known words.

    A negated success is a loss: «Не заключена», «Закрыто и не реализовано», «Неуспешно»,
    «Не выиграна» are lost; «Отказ», «Провал», «Сделка провалена» are lost; «Успешно
    реализовано», «Сделка успешна», «Заключена», «Оплачено» are won; anything else is open.
    """
    key = normalize_header(stage)
    for name, outcome in (stage_outcomes or {}).items():
        if normalize_header(name) == key:
            return outcome
    if key in LOST_WORDS:
        return "lost"
    if key in WON_WORDS:
        return "won"
    words = re.findall(r"\w+", stage.casefold().replace("ё", "е"))
    won = False
    for i, word in enumerate(words):
        if word.startswith(_LOST_STEMS):
            return "lost"
        if not word.startswith(_WON_STEMS):
            if word.startswith("не") and word[2:].startswith(_WON_STEMS):
                return "lost"  # «Неуспешно», «Нереализовано», «Незаключена»
            continue
        if i > 0 and words[i - 1] in _NEGATIONS:
            return "lost"
        won = True
    return "won" if won else "open"

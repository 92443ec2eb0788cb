"""User-facing sentences of the planner, Russian by default and English on request."""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, dict[str, str]] = {
    # rules
    "rule.eligibility": {"ru": "сегмент", "en": "segment"},
    "rule.role_group": {"ru": "группа ролей", "en": "role group"},
    "rule.tier_grade": {"ru": "грейд для значимости", "en": "grade for tier"},
    "rule.availability": {"ru": "доступность", "en": "availability"},
    "rule.lock": {"ru": "закрепление", "en": "lock"},
    "rule.capacity_clients": {"ru": "ёмкость (клиенты)", "en": "capacity (clients)"},
    "rule.capacity_hours": {"ru": "ёмкость (часы)", "en": "capacity (hours)"},
    "rule.max_moves": {"ru": "лимит перемещений", "en": "move limit"},
    "rule.unassigned": {"ru": "не назначен", "en": "unassigned"},
    "rule.unknown": {"ru": "неизвестный идентификатор", "en": "unknown id"},
    # why a manager cannot take a client
    "why.eligibility": {
        "ru": "{manager} не обслуживает {principle} = «{value}»",
        "en": "{manager} does not serve {principle} = '{value}'",
    },
    "why.role_group": {
        "ru": "{manager} в группе «{group}», а роль «{role}» ей не положена",
        "en": "{manager} is in group '{group}', which may not hold role '{role}'",
    },
    "why.tier_grade": {
        "ru": "клиентам {tier} нужен грейд ≥ {grade} или РОП, у {manager} грейд {have}",
        "en": "{tier} clients need grade ≥ {grade} or the head of sales, {manager} has {have}",
    },
    "why.inactive": {"ru": "{manager} неактивен", "en": "{manager} is inactive"},
    "why.absent": {"ru": "{manager} отсутствует", "en": "{manager} is absent"},
    "why.no_capacity": {"ru": "у {manager} ёмкость 0", "en": "{manager} has zero capacity"},
    "why.hours_too_small": {
        "ru": "клиенту нужно {need} ч/мес, у {manager} всего {have} ч/мес",
        "en": "the client needs {need} h/month, {manager} has only {have} h/month",
    },
    "why.lock": {
        "ru": "клиент закреплён за {owner}",
        "en": "the client is locked to {owner}",
    },
    "why.capacity_full": {
        "ru": "подходящие менеджеры заполнены: {managers}",
        "en": "the eligible managers are full: {managers}",
    },
    "why.hours_full": {
        "ru": "у подходящих менеджеров не хватает часов: {managers}",
        "en": "the eligible managers have no hours left: {managers}",
    },
    "why.max_moves": {
        "ru": "лимит перемещений ({limit}) не позволяет передать клиента",
        "en": "the move limit ({limit}) does not allow handing the client over",
    },
    "why.no_candidates": {
        "ru": "нет ни одного подходящего менеджера",
        "en": "no manager can serve this client",
    },
    # violations
    "violation.unassigned": {
        "ru": "клиент {client} не назначен",
        "en": "client {client} is unassigned",
    },
    "violation.unknown_client": {
        "ru": "в плане неизвестный клиент {client}",
        "en": "the plan names an unknown client {client}",
    },
    "violation.unknown_manager": {
        "ru": "в плане неизвестный менеджер {manager}",
        "en": "the plan names an unknown manager {manager}",
    },
    "violation.capacity_clients": {
        "ru": "{manager}: нагрузка {load} при ёмкости {capacity}",
        "en": "{manager}: load {load} over capacity {capacity}",
    },
    "violation.capacity_hours": {
        "ru": "{manager}: {hours} ч/мес при доступных {capacity}",
        "en": "{manager}: {hours} h/month over available {capacity}",
    },
    "violation.max_moves": {
        "ru": "перемещений {moves} при лимите {limit}",
        "en": "{moves} moves over the limit of {limit}",
    },
    "violation.lock": {
        "ru": "закреплённый клиент {client} передан от {owner} к {manager}",
        "en": "locked client {client} moved from {owner} to {manager}",
    },
    # fixes
    "fix.raise_capacity": {
        "ru": "увеличить ёмкость {manager} на {amount} (клиентов)",
        "en": "raise the capacity of {manager} by {amount} clients",
    },
    "fix.raise_hours": {
        "ru": "увеличить часы {manager} на {amount} ч/мес",
        "en": "raise the hours of {manager} by {amount} h/month",
    },
    "fix.allow_segment": {
        "ru": "разрешить {manager} {principle} = «{value}»",
        "en": "allow {principle} = '{value}' to {manager}",
    },
    "fix.hire": {
        "ru": "нанять {amount} менеджер(ов) для сегмента {segment}",
        "en": "hire {amount} manager(s) for segment {segment}",
    },
    "fix.unlock": {
        "ru": "снять закрепление клиента {client} или вернуть {owner} в работу",
        "en": "unlock client {client} or make {owner} available again",
    },
    "fix.raise_max_moves": {
        "ru": "поднять лимит перемещений до {amount}",
        "en": "raise the move limit to {amount}",
    },
    "fix.raise_grade": {
        "ru": "разрешить клиентов {tier} менеджеру {manager} (снизить требуемый грейд до {grade})",
        "en": "allow {tier} clients to {manager} (lower the required grade to {grade})",
    },
    # diagnosis
    "diagnosis.head": {
        "ru": "Назначить всех невозможно: не размещено {count} из {total} клиентов.",
        "en": "Not every client can be assigned: {count} of {total} are left unplaced.",
    },
    "diagnosis.binding": {"ru": "Ограничивает: {rules}.", "en": "Binding: {rules}."},
    "diagnosis.fixes": {"ru": "Что поможет:", "en": "What would help:"},
    "diagnosis.unplaced": {"ru": "Не размещены:", "en": "Unplaced:"},
    # explanations
    "explain.locked": {
        "ru": "закреплён за {manager}",
        "en": "locked to {manager}",
    },
    "explain.only": {
        "ru": "{manager} — единственный подходящий менеджер",
        "en": "{manager} is the only eligible manager",
    },
    "explain.stays": {"ru": "остаётся у {manager}", "en": "stays with {manager}"},
    "explain.moved": {
        "ru": "передан от {owner} к {manager}",
        "en": "handed over from {owner} to {manager}",
    },
    "explain.new": {"ru": "назначен {manager}", "en": "assigned to {manager}"},
    "explain.runner_up": {
        "ru": (
            "альтернатива {manager}: дисбаланс {delta_imbalance:+.4f}, перемещений {delta_moves:+d}"
        ),
        "en": "runner-up {manager}: imbalance {delta_imbalance:+.4f}, moves {delta_moves:+d}",
    },
    "explain.runner_up_full": {
        "ru": "альтернатива {manager} заполнен (нужно освободить место)",
        "en": "runner-up {manager} is full (a slot must be freed)",
    },
    "explain.eligible": {"ru": "подходят: {managers}", "en": "eligible: {managers}"},
    "explain.unassigned": {"ru": "не назначен: {reason}", "en": "unassigned: {reason}"},
    "principle.region": {"ru": "регион", "en": "region"},
    "principle.industry": {"ru": "отрасль", "en": "industry"},
    "principle.product_line": {"ru": "товарная линия", "en": "product line"},
    "principle.tier": {"ru": "значимость", "en": "tier"},
    "principle.channel": {"ru": "канал", "en": "channel"},
    "principle.ownership": {"ru": "форма собственности", "en": "ownership"},
}


def text(key: str, lang: str = "ru", **values: Any) -> str:
    """The sentence `key` in `lang` (Russian when the language is unknown), filled in."""
    entry = _TEXTS[key]
    template = entry.get(lang, entry["ru"])
    return template.format(**values)

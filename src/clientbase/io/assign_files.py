"""Files of `clientbase assign` (SPEC §8 file-mode contract): read clients and managers, write
the plan and its summary.

Input CSV: UTF-8 with or without BOM, or cp1251; `,` or `;` delimiter, sniffed from the
header. Every problem is a `BadInputError` naming the file, the row as Excel shows it (the
header is row 1) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.types import (
    ClientStatus,
    Eligibility,
    Principle,
    Role,
    RoleGroup,
    Tier,
    abc_tiers,
)
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.values import text_of
from clientbase.planning.schemas import Client, Manager, Plan, PlanStatus

T = TypeVar("T")

# Russian column names a head of sales is likely to type, mapped to the contract's names.
ALIASES: dict[str, str] = {
    "клиент": "client_id",
    "id клиента": "client_id",
    "код клиента": "client_id",
    "название": "name",
    "наименование": "name",
    "имя": "name",
    "регион": "region",
    "отрасль": "industry",
    "товарная линия": "product_line",
    "канал": "channel",
    "форма собственности": "ownership",
    "значимость": "tier",
    "категория": "tier",
    "потенциал": "potential",
    "выручка 12м": "revenue_12m",
    "выручка за 12 месяцев": "revenue_12m",
    "часы": "hours",
    "ответственный": "owner_id",
    "менеджер": "owner_id",
    "закреплён": "locked",
    "закреплен": "locked",
    "менеджер id": "manager_id",
    "id менеджера": "manager_id",
    "код менеджера": "manager_id",
    "группа": "role_group",
    "грейд": "grade",
    "ёмкость": "capacity",
    "сложность": "complexity",
    "готовность": "readiness",
    "поддержка": "support",
    "инструменты": "tools",
    "емкость": "capacity",
    "регионы": "regions",
    "отрасли": "industries",
    "товарные линии": "product_lines",
    "каналы": "channels",
    "формы собственности": "ownerships",
    "значимости": "tiers",
    "активен": "active",
    "отсутствует": "absent",
}

LIST_COLUMNS: dict[str, Principle] = {
    "regions": Principle.REGION,
    "industries": Principle.INDUSTRY,
    "product_lines": Principle.PRODUCT_LINE,
    "channels": Principle.CHANNEL,
    "ownerships": Principle.OWNERSHIP,
    "tiers": Principle.TIER,
}

TRUE_WORDS = {"true", "1", "yes", "y", "да", "д", "истина", "x", "+"}
FALSE_WORDS = {"false", "0", "no", "n", "нет", "н", "ложь", "-", ""}


class _Row:
    """One data row with its Excel row number, read by column name."""

    def __init__(self, path: Path, number: int, values: dict[str, str]) -> None:
        self.path = path
        self.number = number
        self.values = values

    def error(self, column: str, problem: str) -> BadInputError:
        """A bad-input error pointing at this row and `column`."""
        return BadInputError(
            f"{self.path.name}: строка {self.number}, столбец «{column}»: {problem}"
        )

    def text(self, column: str) -> str | None:
        """The cell stripped, None when empty or absent."""
        value = self.values.get(column)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def required(self, column: str) -> str:
        """The cell, which must not be empty."""
        value = self.text(column)
        if value is None:
            raise self.error(column, "значение обязательно")
        return value

    def parse(self, column: str, parser: Callable[[str], T], what: str) -> T | None:
        """The cell converted by `parser`, None when empty; an error names what was expected."""
        value = self.text(column)
        if value is None:
            return None
        try:
            return parser(value)
        except (ValueError, ArithmeticError):
            raise self.error(column, f"ожидается {what}, а не «{value}»") from None


def _number(value: str) -> float:
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _non_negative(value: str) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError(value)
    return number


def _integer(value: str) -> int:
    number = _number(value)
    if number != int(number):
        raise ValueError(value)
    return int(number)


def _bool(value: str) -> bool:
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(value)


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _canonical(name: str) -> str:
    key = name.strip().lstrip("\ufeff").casefold()
    return ALIASES.get(key, key.replace(" ", "_"))


def read_rows(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[_Row]]:
    """Header (canonical names) and data rows of a CSV file (read in the bounded child)."""
    table = readers.read_table(path)
    header = [_canonical(h) for h in table.headers]
    at = table.header_row
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise BadInputError(
                f"{path.name}: строка {at}, столбец {position}: столбец «{name}» повторяется"
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            raise BadInputError(f"{path.name}: строка {at}: нет обязательного столбца «{name}»")
    rows: list[_Row] = []
    # Rows as Excel numbers them: the header's and blank lines count too.
    for number, raw in table.rows:
        values = ["" if v is None else text_of(v) for v in raw]
        if len(values) > len(header):
            extra = values[len(header) :]
            if any(v.strip() for v in extra):
                raise BadInputError(
                    f"{path.name}: строка {number}, столбец {len(header) + 1}: "
                    "значений больше, чем столбцов в заголовке"
                )
        rows.append(_Row(path, number, dict(zip(header, values, strict=False))))
    return header, rows


# Capacity drivers a managers file may carry besides `grade` (SPEC §6), 1–5 each.
DRIVER_COLUMNS = ("complexity", "readiness", "support", "tools")


def read_managers(path: Path) -> list[Manager]:
    """Managers of managers.csv."""
    header, rows = read_rows(path, ("manager_id",))
    managers: list[Manager] = []
    seen: dict[str, int] = {}
    for row in rows:
        manager_id = row.required("manager_id")
        if manager_id in seen:
            raise row.error("manager_id", f"повтор: уже был в строке {seen[manager_id]}")
        seen[manager_id] = row.number
        group_text = row.text("role_group")
        try:
            group = RoleGroup(group_text.casefold()) if group_text else RoleGroup.FARMER
        except ValueError:
            options = "|".join(g.value for g in RoleGroup)
            raise row.error("role_group", f"ожидается {options}, а не «{group_text}»") from None
        grade = row.parse("grade", _integer, "целое 1–5")
        if grade is not None and not 1 <= grade <= 5:
            raise row.error("grade", f"ожидается целое 1–5, а не «{row.text('grade')}»")
        capacity = row.parse("capacity", _integer, "целое число клиентов ≥ 0")
        if capacity is not None and capacity < 0:
            raise row.error("capacity", "ёмкость не может быть отрицательной")
        if capacity is None:
            # No capacity of his own: the same formula as the database path, from the drivers
            # present in the file (missing drivers count as the neutral level 3).
            levels = {}
            for driver in DRIVER_COLUMNS:
                level = row.parse(driver, _integer, "целое 1–5")
                if level is not None and not 1 <= level <= 5:
                    raise row.error(driver, f"ожидается целое 1–5, а не «{row.text(driver)}»")
                levels[driver] = level
            drivers = Drivers(grade=grade, **levels)
            capacity = client_capacity(group, drivers).clients
        hours = row.parse("hours", _non_negative, "число часов ≥ 0")
        lists = {
            principle: row.text(column)
            for column, principle in LIST_COLUMNS.items()
            if column in header
        }
        tiers = lists.get(Principle.TIER)
        if tiers:
            for value in tiers.split(";"):
                value = value.strip()
                if value and value != "*" and value.upper() not in {t.value for t in Tier}:
                    raise row.error("tiers", f"неизвестная значимость «{value}» (VIP|A|B|C)")
        active = row.parse("active", _bool, "true/false")
        absent = row.parse("absent", _bool, "true/false")
        managers.append(
            Manager(
                id=manager_id,
                name=row.text("name") or manager_id,
                role_group=group,
                grade=grade if grade is not None else 1,
                active=True if active is None else active,
                absent=bool(absent),
                capacity=capacity,
                hours=hours,
                eligibility=Eligibility.parse(lists),
            )
        )
    return managers


def read_clients(path: Path, manager_ids: set[str]) -> list[Client]:
    """Clients of clients.csv; tiers missing from the file come from ABC analysis of revenue."""
    _, rows = read_rows(path, ("client_id", "potential"))
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in rows:
        client_id = row.required("client_id")
        if client_id in seen:
            raise row.error("client_id", f"повтор: уже был в строке {seen[client_id]}")
        seen[client_id] = row.number
        potential = row.parse("potential", _non_negative, "число ≥ 0")
        if potential is None:
            raise row.error("potential", "значение обязательно")
        tier_text = row.text("tier")
        tier: Tier | None = None
        if tier_text is not None:
            try:
                tier = Tier(tier_text.upper())
            except ValueError:
                raise row.error("tier", f"ожидается VIP|A|B|C, а не «{tier_text}»") from None
        owner = row.text("owner_id")
        if owner is not None and owner not in manager_ids:
            raise row.error("owner_id", f"менеджера «{owner}» нет в списке менеджеров")
        status_text = row.text("status")
        try:
            status = ClientStatus(status_text.casefold()) if status_text else ClientStatus.ACTIVE
        except ValueError:
            options = "|".join(s.value for s in ClientStatus)
            raise row.error("status", f"ожидается {options}, а не «{status_text}»") from None
        parsed.append(
            {
                "id": client_id,
                "name": row.text("name") or client_id,
                "tier": tier,
                "potential": potential,
                "region": row.text("region"),
                "industry": row.text("industry"),
                "product_line": row.text("product_line"),
                "channel": row.text("channel"),
                "ownership": row.text("ownership"),
                "revenue_12m": row.parse("revenue_12m", _non_negative, "число ≥ 0") or 0.0,
                "hours": row.parse("hours", _non_negative, "число часов ≥ 0") or 0.0,
                "status": status,
                "owner_id": owner,
                "owner_since": row.parse("owner_since", _date, "дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ"),
                "locked": bool(row.parse("locked", _bool, "true/false")),
            }
        )
    missing = [i for i, p in enumerate(parsed) if p["tier"] is None]
    if missing:
        computed = abc_tiers({i: float(parsed[i]["revenue_12m"]) for i in missing})
        for i in missing:
            parsed[i]["tier"] = computed[i]
    return [Client(**p) for p in parsed]


# Which clients need a responsible of the planned role (SPEC §5 defaults; the same table as
# services/plans.py, kept here so that file mode does not import the database layer).
STATUSES_FOR_ROLE: dict[Role, frozenset[ClientStatus]] = {
    Role.ACCOUNT: frozenset({ClientStatus.ACTIVE, ClientStatus.DORMANT}),
    Role.ACQUISITION: frozenset({ClientStatus.PROSPECT}),
    Role.SALES: frozenset({ClientStatus.PROSPECT}),
    Role.SERVICE: frozenset({ClientStatus.ACTIVE, ClientStatus.DORMANT}),
    Role.ADMIN: frozenset({ClientStatus.ACTIVE, ClientStatus.DORMANT}),
}

STATUS_NAMES_RU = {
    ClientStatus.PROSPECT: "потенциальный",
    ClientStatus.ACTIVE: "активный",
    ClientStatus.DORMANT: "спящий",
    ClientStatus.LOST: "потерянный",
}


def split_by_role(clients: list[Client], role: Role) -> tuple[list[Client], list[Client]]:
    """Clients whose status needs a responsible of `role`, and the others (left as they are)."""
    wanted = STATUSES_FOR_ROLE[role]
    needed = [c for c in clients if c.status in wanted]
    skipped = [c for c in clients if c.status not in wanted]
    return needed, skipped


def skipped_reason(client: Client, role: Role, lang: str = "ru") -> str:
    """Why a client is not distributed in this plan."""
    if lang == "en":
        return f"not distributed: status {client.status.value} needs no {role.value} manager"
    status = STATUS_NAMES_RU.get(client.status, client.status.value)
    return f"не распределяется: клиенту в статусе «{status}» не нужен ответственный этой роли"


def write_plan(path: Path, plan: Plan, clients: list[Client], reasons: dict[str, str]) -> None:
    """plan.csv: client_id, manager_id, previous_manager_id, moved, reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["client_id", "manager_id", "previous_manager_id", "moved", "reason"])
        for client in clients:
            # Clients outside the plan (their status needs no such manager) keep their owner.
            planned = client.id in plan.assignment
            manager_id = plan.assignment.get(client.id) if planned else client.owner_id
            moved = (
                client.owner_id is not None
                and manager_id is not None
                and manager_id != client.owner_id
            )
            writer.writerow(
                [
                    client.id,
                    manager_id or "",
                    client.owner_id or "",
                    "true" if moved else "false",
                    reasons.get(client.id, ""),
                ]
            )


def summary(plan: Plan, *, seed: int, time_limit: float) -> dict[str, Any]:
    """summary.json content: the contract's fields plus imbalance, notes and diagnosis."""
    partial = plan.status is PlanStatus.PARTIAL
    status = PlanStatus.INFEASIBLE.value if partial else plan.status.value
    return {
        "status": status,
        "partial": partial,
        "strategy": plan.strategy.value,
        "objective": plan.objective,
        "lower_bound": plan.lower_bound,
        "gap": plan.gap,
        "moves": plan.moves,
        "unassigned": plan.unassigned,
        "imbalance": plan.imbalance,
        "imbalance_role_group": plan.imbalance_role_group,
        "disruption": plan.disruption,
        "violations": plan.violations,
        "components": plan.components,
        "solve_seconds": round(plan.solve_seconds, 3),
        "seed": seed,
        "time_limit": time_limit,
        "managers": {
            m: {
                "clients": s.clients,
                "load": s.load,
                "hours": round(s.hours, 2),
                "potential": round(s.potential, 2),
                "capacity": s.capacity,
                "hours_capacity": s.hours_capacity,
                "utilization": round(s.load / s.capacity, 4) if s.capacity else None,
            }
            for m, s in plan.managers.items()
        },
        "diagnosis": plan.diagnosis.to_dict() if plan.diagnosis else None,
        "notes": plan.notes,
    }


def write_summary(path: Path, content: dict[str, Any]) -> None:
    """Write summary.json (UTF-8, Russian text kept readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")

"""Cross-sell routing on the database: opportunities from a file or one at a time.

Evidence is read first, outside the write transaction: the rule table, each manager's
working-day photo over the rule's window (`capacity.working_day_photo`) and his load
(`capacity.manager_loads`, seasonal for this month). Then one unit of work resolves the
clients, skips opportunities already routed (`deals.source = "cross_sell"` with the file's
external id: re-running a file creates nothing new), asks the pure core who takes each one,
and writes an open deal at stage "cross-sell" for the chosen manager with a change-history
row that keeps the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.core.crosssell import (
    DEFAULT_RULES,
    CrossSellRules,
    Person,
    Router,
    rules_from_dict,
    rules_to_dict,
)
from clientbase.core.types import PRINCIPLE_LIST_FIELD, Eligibility, Principle, RoleGroup
from clientbase.db import crosssell_repository as repo
from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.mapping import normalize_header
from clientbase.io.values import CellValueError, is_blank, parse_number, text_of
from clientbase.services.capacity import manager_loads, working_day_photo

RULES_KEY = "cross_sell_rules"
# Column titles of an opportunities file (normalised like import headers).
COLUMNS: dict[str, tuple[str, ...]] = {
    "opportunity_id": (
        "opportunity_id",
        "opportunity",
        "id",
        "external_id",
        "deal_id",
        "номер",
        "возможность",
        "id возможности",
    ),
    "client": ("client", "client_id", "client_name", "клиент", "компания", "id клиента"),
    "product_line": ("product_line", "product", "товар", "вид товара", "продукт", "линейка"),
    "amount": ("amount", "sum", "сумма", "бюджет", "потенциал сделки"),
}
REQUIRED = ("client", "product_line", "amount")


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One range-expansion opportunity as read from a file or the command line."""

    client: str  # client id, external id or exact name
    product_line: str
    amount: float
    external_id: str | None = None
    row: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What happened to one opportunity."""

    row: int | None
    external_id: str
    client_id: int
    client: str
    product_line: str
    amount: float
    account_id: int | None
    account: str | None
    manager_id: int | None
    manager: str | None
    kind: str  # account | hunter | senior_farmer | none
    reason: str
    status: str  # created | planned (dry run) | exists | unrouted
    deal_id: int | None = None


@dataclass(slots=True)
class CrossSellReport:
    """Decisions of one run."""

    decisions: list[Decision] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        """How many opportunities ended with `status`."""
        return sum(1 for d in self.decisions if d.status == status)

    @property
    def moved(self) -> int:
        """Opportunities taken from the account manager (or from a client without one)."""
        return sum(
            1 for d in self.decisions if d.status in ("created", "planned") and d.kind != "account"
        )


# ---------------------------------------------------------------- rules


def stored_rules(session: Session) -> CrossSellRules:
    """The rule table of app_meta `cross_sell_rules`, else the defaults."""
    data = repo.get_meta(session, RULES_KEY)
    return DEFAULT_RULES if data is None else rules_from_dict(data)


def cross_sell_rules(*, engine: Engine) -> CrossSellRules:
    """The rule table in force."""
    with UnitOfWork(engine) as uow:
        return stored_rules(uow.session)


def read_rules_file(path: Path) -> CrossSellRules:
    """Read a rule table from a .toml or .json file."""
    data = readers.read_settings(path, what="Файл правил кросс-продаж")
    return rules_from_dict(data)


def import_rules(*, engine: Engine, path: Path) -> CrossSellRules:
    """Check a rule file and store it (replaces the stored table)."""
    rules = read_rules_file(path)
    with UnitOfWork(engine, write=True) as uow:
        repo.set_meta(uow.session, RULES_KEY, rules_to_dict(rules))
        uow.commit()
    return rules


# ---------------------------------------------------------------- opportunities file


def read_opportunities(path: Path) -> list[Opportunity]:
    """Read an opportunities file (CSV/XLSX); every error names the file, row and column."""
    table = readers.read_table(path)
    index = {normalize_header(a): name for name, aliases in COLUMNS.items() for a in aliases}
    columns: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        name = index.get(normalize_header(header))
        if name is not None and name not in columns:
            columns[name] = i
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        raise BadInputError(
            f"{table.file}, строка {table.header_row}: нет колонок {', '.join(missing)} "
            "(нужны client, product_line, amount; необязательна opportunity_id)."
        )
    errors: list[str] = []
    result: list[Opportunity] = []
    seen: dict[str, int] = {}
    for row in table.rows:

        def cell(name: str, values: tuple[Any, ...] = row.values) -> Any:
            i = columns.get(name)
            value = values[i] if i is not None and i < len(values) else None
            return None if is_blank(value) else value

        def fail(name: str, message: str, number: int = row.number) -> None:
            errors.append(
                f"{table.file}, строка {number}, колонка «{table.headers[columns[name]]}»: "
                f"{message}"
            )

        client = cell("client")
        product = cell("product_line")
        raw_amount = cell("amount")
        if client is None:
            fail("client", "пусто: нужен id, внешний id или точное название клиента")
        if product is None:
            fail("product_line", "пусто: нужен вид товара/услуги")
        amount = 0.0
        if raw_amount is None:
            fail("amount", "пусто: нужна сумма")
        else:
            try:
                amount = parse_number(raw_amount)
            except CellValueError as exc:
                fail("amount", str(exc))
            else:
                if amount < 0:
                    fail("amount", "сумма не может быть отрицательной")
        external = text_of(cell("opportunity_id")).strip() if cell("opportunity_id") else None
        if client is None or product is None:
            continue
        opp = Opportunity(
            client=text_of(client).strip(),
            product_line=text_of(product).strip()[:120],
            amount=amount,
            external_id=(external or None),
            row=row.number,
        )
        key = opp.external_id or f"{opp.client}|{opp.product_line.lower()}|{opp.amount:.2f}"
        if key in seen:
            fail(
                "opportunity_id" if opp.external_id else "client",
                f"повтор строки {seen[key]}",
            )
        seen[key] = row.number
        result.append(opp)
    if errors:
        more = f" (и ещё {len(errors) - 10})" if len(errors) > 10 else ""
        raise BadInputError("; ".join(errors[:10]) + more)
    return result


def _auto_id(client_id: int, opp: Opportunity) -> str:
    """A stable external id for an opportunity without one: re-running creates nothing new."""
    key = f"{client_id}|{opp.product_line.lower()}|{opp.amount:.2f}"
    return "auto:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


# ---------------------------------------------------------------- routing


def _people(
    session: Session,
    *,
    today: dt.date,
    rules: CrossSellRules,
    photos: dict[int, tuple[float, float]],
    utilization: dict[int, float],
) -> dict[int, Person]:
    absent = repo.absent_ids(session, today)
    open_deals = repo.open_cross_sell_counts(session)
    people: dict[int, Person] = {}
    for m in repo.managers(session):
        hours, growth = photos.get(m.id, (0.0, 0.0))
        people[m.id] = Person(
            id=m.id,
            name=m.name,
            group=RoleGroup(m.role_group),
            grade=m.grade,
            available=m.active and m.id not in absent,
            eligibility=Eligibility.parse(
                {p: getattr(m, f) for p, f in PRINCIPLE_LIST_FIELD.items()}
            ),
            utilization=utilization.get(m.id, 0.0),
            photo_hours=hours,
            growth_share=growth,
            open_cross_sell=open_deals.get(m.id, 0),
        )
    return people


def _segment(client: t.Client, product_line: str) -> dict[Principle, str | None]:
    # The opportunity's product line, not the client's main one: whoever takes it must sell it.
    return {
        Principle.REGION: client.region,
        Principle.INDUSTRY: client.industry,
        Principle.PRODUCT_LINE: product_line or client.product_line,
        Principle.TIER: client.tier,
        Principle.CHANNEL: client.channel,
        Principle.OWNERSHIP: client.ownership,
    }


def route_opportunities(
    *,
    engine: Engine,
    opportunities: list[Opportunity],
    today: dt.date | None = None,
    dry_run: bool = False,
    actor: str = "system",
    file: str = "",
) -> CrossSellReport:
    """Route opportunities in one transaction (nothing written on a dry run)."""
    today = today or dt.date.today()
    rules = cross_sell_rules(engine=engine)
    photos = {
        p.manager_id: (p.hours, p.growth_share)
        for p in working_day_photo(
            engine,
            since=today - dt.timedelta(days=rules.window_days),
            until=today + dt.timedelta(days=1),
        )
    }
    utilization = {x.manager_id: x.utilization for x in manager_loads(engine, today=today)}
    report = CrossSellReport(dry_run=dry_run)
    with UnitOfWork(engine, write=not dry_run) as uow:
        session = uow.session
        refs = repo.clients_by_reference(session, [o.client for o in opportunities])
        errors = []
        for opp in opportunities:
            where = f"{file}, строка {opp.row}, колонка «client»: " if opp.row else "Клиент: "
            matches = refs.get(opp.client, [])
            if not matches:
                errors.append(f"{where}клиент «{opp.client}» не найден (id, внешний id, название)")
            elif len(matches) > 1:
                errors.append(f"{where}«{opp.client}» — несколько клиентов; укажите id")
        if errors:
            more = f" (и ещё {len(errors) - 10})" if len(errors) > 10 else ""
            raise BadInputError("; ".join(errors[:10]) + more)
        clients = {o.client: refs[o.client][0] for o in opportunities}
        keys = [o.external_id or _auto_id(clients[o.client].id, o) for o in opportunities]
        first_row: dict[str, int | None] = {}
        for opp, key in zip(opportunities, keys, strict=True):
            if key in first_row:
                # The same client named two ways (id and name) with the same product and sum.
                raise BadInputError(
                    f"{file or 'Возможности'}, строка {opp.row}: та же возможность, что в строке "
                    f"{first_row[key]} (клиент, товар и сумма или id совпадают)."
                )
            first_row[key] = opp.row
        existing = repo.existing_opportunities(session, keys)
        owners = repo.account_owners(session, [c.id for c in clients.values()])
        people = _people(session, today=today, rules=rules, photos=photos, utilization=utilization)
        router = Router(list(people.values()), rules)
        pending: list[tuple[int, repo.NewOpportunity]] = []
        for opp, key in zip(opportunities, keys, strict=True):
            client = clients[opp.client]
            account_id = owners.get(client.id)
            account = people.get(account_id) if account_id is not None else None
            deal = existing.get(key)
            if deal is not None:
                holder = people.get(deal.manager_id) if deal.manager_id is not None else None
                report.decisions.append(
                    Decision(
                        opp.row,
                        key,
                        client.id,
                        client.name,
                        opp.product_line,
                        opp.amount,
                        account_id,
                        account.name if account else None,
                        deal.manager_id,
                        holder.name if holder else None,
                        "",
                        f"уже распределена раньше: сделка #{deal.id}",
                        "exists",
                        deal.id,
                    )
                )
                continue
            decision = router.route(_segment(client, opp.product_line), account)
            chosen = people.get(decision.manager_id) if decision.manager_id is not None else None
            if chosen is None:
                status = "unrouted"
            else:
                status = "planned" if dry_run else "created"
                if not dry_run:
                    pending.append(
                        (
                            len(report.decisions),
                            repo.NewOpportunity(
                                client_id=client.id,
                                manager_id=chosen.id,
                                amount=opp.amount,
                                product_line=opp.product_line,
                                external_id=key,
                                account_id=account_id,
                                account=account.name if account else None,
                                manager=chosen.name,
                                reason=f"cross-sell: {decision.reason}",
                            ),
                        )
                    )
                # The next opportunity of the run sees this one (spreads ties).
                router.took(chosen.id)
            report.decisions.append(
                Decision(
                    opp.row,
                    key,
                    client.id,
                    client.name,
                    opp.product_line,
                    opp.amount,
                    account_id,
                    account.name if account else None,
                    chosen.id if chosen else None,
                    chosen.name if chosen else None,
                    decision.kind,
                    decision.reason,
                    status,
                )
            )
        if pending:
            ids = repo.add_opportunities(
                session, [item for _, item in pending], today=today, actor=actor
            )
            for (index, _), deal_id in zip(pending, ids, strict=True):
                report.decisions[index] = replace(report.decisions[index], deal_id=deal_id)
        if not dry_run:
            uow.commit()
    return report


def route_file(
    *,
    engine: Engine,
    path: Path,
    today: dt.date | None = None,
    dry_run: bool = False,
    actor: str = "system",
) -> CrossSellReport:
    """Route every opportunity of a CSV/XLSX file."""
    return route_opportunities(
        engine=engine,
        opportunities=read_opportunities(path),
        today=today,
        dry_run=dry_run,
        actor=actor,
        file=path.name,
    )


def route_one(
    *,
    engine: Engine,
    client: str,
    product_line: str,
    amount: float,
    external_id: str | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
    actor: str = "system",
) -> Decision:
    """Route one opportunity given on the command line or by a form."""
    if not client.strip():
        raise BadInputError("--client: нужен id, внешний id или точное название клиента.")
    if not product_line.strip():
        raise BadInputError("--product-line: нужен вид товара/услуги.")
    if amount < 0:
        raise BadInputError("--amount: сумма не может быть отрицательной.")
    opp = Opportunity(
        client=client.strip(),
        product_line=product_line.strip()[:120],
        amount=amount,
        external_id=(external_id or "").strip() or None,
    )
    report = route_opportunities(
        engine=engine, opportunities=[opp], today=today, dry_run=dry_run, actor=actor
    )
    return report.decisions[0]


# ---------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class CrossSellDeal:
    """A routed opportunity as it stands now, with the reason recorded when it was routed."""

    deal_id: int
    external_id: str | None
    client_id: int
    client: str
    product_line: str | None
    amount: float
    manager_id: int | None
    manager: str | None
    created: dt.date
    outcome: str
    reason: str | None


def list_deals(
    *, engine: Engine, manager_id: int | None = None, open_only: bool = True, limit: int = 1000
) -> list[CrossSellDeal]:
    """Cross-sell deals (open by default), newest first, each with its routing reason."""
    with UnitOfWork(engine) as uow:
        rows = repo.cross_sell_deals(
            uow.session, manager_id=manager_id, open_only=open_only, limit=limit
        )
        reasons = repo.routing_reasons(uow.session, [deal.client_id for deal, _, _ in rows])
        result = []
        for deal, client, manager in rows:
            reason = reasons.get(deal.id)
            result.append(
                CrossSellDeal(
                    deal_id=deal.id,
                    external_id=deal.external_id,
                    client_id=deal.client_id,
                    client=client,
                    product_line=deal.product_line,
                    amount=float(deal.amount),
                    manager_id=deal.manager_id,
                    manager=manager,
                    created=deal.created,
                    outcome=deal.outcome,
                    reason=reason.removeprefix("cross-sell: ") if reason else None,
                )
            )
    return result

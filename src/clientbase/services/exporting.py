"""Export use case: an entity's rows in the canonical columns, so the file re-imports unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.types import Role, RoleGroup
from clientbase.db.tables import (
    Activity,
    Client,
    ColleagueFeedback,
    Deal,
    Manager,
    PlanTarget,
    Responsibility,
    Survey,
)
from clientbase.errors import BadInputError
from clientbase.io.mapping import ENTITIES, FIELDS
from clientbase.io.writers import write_csv, write_xlsx


class ExportFormat(StrEnum):
    """File format of an export."""

    csv = "csv"
    xlsx = "xlsx"


def columns(entity: str) -> list[str]:
    """The canonical columns of an entity, in file order."""
    return list(FIELDS[entity])


def export_entity(*, engine: Engine, entity: str, path: Path, fmt: ExportFormat | str) -> int:
    """Write every row of `entity` to `path` as CSV or XLSX; return the number of rows."""
    if entity not in ENTITIES:
        raise BadInputError(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(ENTITIES)}.")
    fmt = ExportFormat(fmt)
    with Session(bind=engine) as session:
        rows = list(_rows(session, entity))
    headers = columns(entity)
    if fmt is ExportFormat.xlsx:
        return write_xlsx(path, headers, rows, sheet=entity)
    return write_csv(path, headers, rows)


class _Refs:
    """How a manager or client is written so that the importer finds it again."""

    def __init__(self, session: Session) -> None:
        # The same key as the exported `manager_id`, so that a clients file and a managers
        # file exported together also work in file mode (`clientbase assign`).
        self.managers = {
            m.id: _key(m) for m in session.execute(select(Manager.id, Manager.external_id))
        }
        self.clients = {
            c.id: c.external_id or c.name
            for c in session.execute(select(Client.id, Client.external_id, Client.name))
        }

    def manager(self, pk: int | None) -> str | None:
        return None if pk is None else self.managers.get(pk)

    def client(self, pk: int | None) -> str | None:
        return None if pk is None else self.clients.get(pk)


def _key(obj: Any) -> str:
    return str(obj.external_id) if obj.external_id is not None else f"db-{obj.id}"


def _capacity(m: Manager) -> int:
    """The manager's effective capacity in clients: the override, else the one computed from
    his drivers (not exported), so that a re-imported company plans the same."""
    if m.capacity_override is not None:
        return int(m.capacity_override)
    drivers = Drivers(m.complexity, m.readiness, m.support, m.tools, m.grade)
    return client_capacity(RoleGroup(m.role_group), drivers).clients


def _rows(session: Session, entity: str) -> Iterator[list[Any]]:
    refs = _Refs(session)
    if entity == "managers":
        for m in session.scalars(select(Manager).order_by(Manager.id)):
            yield [
                _key(m), m.name, m.email, m.role_group, m.team, m.grade, _capacity(m),
                m.hours, m.regions, m.industries, m.product_lines, m.channels, m.ownerships,
                m.tiers, m.active,
            ]  # fmt: skip
    elif entity == "clients":
        owners = {
            r.client_id: r.manager_id
            for r in session.scalars(
                select(Responsibility).where(
                    Responsibility.until.is_(None), Responsibility.role == Role.ACCOUNT.value
                )
            )
        }
        for c in session.scalars(select(Client).order_by(Client.id)):
            yield [
                _key(c), c.name, c.region, c.industry, c.product_line, c.channel, c.ownership,
                # A computed tier is not exported: re-importing it would pin it as given.
                c.tier if c.tier_given else None,
                c.potential, c.revenue_12m, c.hours, refs.manager(owners.get(c.id)), c.locked,
                c.tax_id, c.city, c.status,
            ]  # fmt: skip
    elif entity == "teams":
        stmt = (
            select(Responsibility)
            .where(Responsibility.until.is_(None))
            .order_by(Responsibility.client_id, Responsibility.role)
        )
        for r in session.scalars(stmt):
            yield [refs.client(r.client_id), r.role, refs.manager(r.manager_id), r.since]
    elif entity == "deals":
        for d in session.scalars(select(Deal).order_by(Deal.id)):
            yield [
                _key(d), refs.client(d.client_id), refs.manager(d.manager_id), d.amount,
                d.currency, d.stage, d.outcome, d.created, d.closed, d.product_line,
            ]  # fmt: skip
    elif entity == "activities":
        for a in session.scalars(select(Activity).order_by(Activity.id)):
            yield [
                _key(a), refs.client(a.client_id), refs.manager(a.manager_id), a.type,
                a.direction, a.started, a.ended, a.completed, a.due,
            ]  # fmt: skip
    elif entity == "plans":
        for p in session.scalars(select(PlanTarget).order_by(PlanTarget.id)):
            yield [_key(p), refs.manager(p.manager_id), p.period, p.amount, p.count]
    elif entity == "surveys":
        for s in session.scalars(select(Survey).order_by(Survey.id)):
            yield [
                _key(s), refs.client(s.client_id), refs.manager(s.manager_id), s.date, s.scale,
                s.score, s.kind, s.comment,
            ]  # fmt: skip
    else:
        for f in session.scalars(select(ColleagueFeedback).order_by(ColleagueFeedback.id)):
            yield [
                _key(f), refs.manager(f.from_manager_id), refs.manager(f.to_manager_id), f.date,
                f.score, f.comment,
            ]  # fmt: skip

"""SQLAlchemy tables of the neutral data model (SPEC §2)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so that Alembic batch mode can alter tables on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(16, 2, asdecimal=False)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ImportedMixin:
    """`(source, external_id)` of an imported row; unique per table so re-imports upsert."""

    source: Mapped[str] = mapped_column(String(40), default="manual", server_default="manual")
    external_id: Mapped[str | None] = mapped_column(String(120))


class Manager(ImportedMixin, Base):
    """A salesperson, service engineer, administrator or head of sales."""

    __tablename__ = "managers"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(
            "role_group IN ('hunter','farmer','service','admin','head')", name="role_group"
        ),
        CheckConstraint("grade BETWEEN 1 AND 5", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    team: Mapped[str | None] = mapped_column(String(120))
    role_group: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    experience_years: Mapped[float | None] = mapped_column(Float)
    capacity_override: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[float | None] = mapped_column(Float)
    # Capacity drivers of SPEC §3, each 1–5; None = the documented default.
    complexity: Mapped[int | None] = mapped_column(Integer)
    readiness: Mapped[int | None] = mapped_column(Integer)
    support: Mapped[int | None] = mapped_column(Integer)
    tools: Mapped[int | None] = mapped_column(Integer)
    # Allowed segment values per principle, `;`-separated, `*` = any.
    regions: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    industries: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    product_lines: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    channels: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    ownerships: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    tiers: Mapped[str] = mapped_column(Text, default="*", server_default="*")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, onupdate=_now, server_default=func.now()
    )


class Absence(Base):
    """A period when a manager takes no new clients (vacation, sick leave)."""

    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))


class Client(ImportedMixin, Base):
    """A company or person the firm sells to."""

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("tier IN ('VIP','A','B','C')", name="tier"),
        CheckConstraint("status IN ('prospect','active','dormant','lost')", name="status"),
        CheckConstraint("potential >= 0", name="potential"),
        Index("ix_clients_segment", "region", "industry", "channel", "ownership"),
        # Lists sort by potential; dashboards group by region, status and tier.
        Index("ix_clients_potential", "potential"),
        Index("ix_clients_region_status_potential", "region", "status", "potential"),
        Index("ix_clients_status", "status"),
        Index("ix_clients_tier", "tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    tax_id: Mapped[str | None] = mapped_column(String(12), index=True)
    region: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(120))
    industry: Mapped[str | None] = mapped_column(String(120))
    product_line: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(120))
    ownership: Mapped[str | None] = mapped_column(String(120))
    tier: Mapped[str] = mapped_column(String(3), default="C", server_default="C")
    tier_given: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    potential: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    revenue_12m: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    hours: Mapped[float | None] = mapped_column(Float)
    first_purchase: Mapped[dt.date | None] = mapped_column(Date)
    last_purchase: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="prospect", server_default="prospect")
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, onupdate=_now, server_default=func.now()
    )


class Responsibility(Base):
    """Client × role → manager for a period; the client team with its history."""

    __tablename__ = "responsibilities"
    __table_args__ = (
        CheckConstraint("role IN ('acquisition','sales','account','service','admin')", name="role"),
        # At most one active responsible per client and role (SPEC §2).
        Index(
            "uq_responsibilities_active",
            "client_id",
            "role",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
        Index("ix_responsibilities_manager_active", "manager_id", "role", "until"),
        # Load per manager: a covering index over the open responsibilities.
        Index("ix_responsibilities_open", "until", "manager_id", "client_id"),
        # A client's team with its history (the card).
        Index("ix_responsibilities_client", "client_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"))
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="manual")


class Deal(ImportedMixin, Base):
    """A sale opportunity with its outcome."""

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("outcome IN ('open','won','lost')", name="outcome"),
        CheckConstraint("amount >= 0", name="amount"),
        Index("ix_deals_client_closed", "client_id", "closed"),
        Index("ix_deals_manager_closed", "manager_id", "closed"),
        # Covering index of the KPI scorecard's deal figures (migration 0009).
        Index(
            "ix_deals_manager_outcome_closed",
            "manager_id",
            "outcome",
            "closed",
            "client_id",
            "amount",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    amount: Mapped[float] = mapped_column(Money, default=0.0)
    currency: Mapped[str] = mapped_column(String(3), default="RUB", server_default="RUB")
    created: Mapped[dt.date] = mapped_column(Date)
    closed: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(5), default="open", server_default="open")
    stage: Mapped[str | None] = mapped_column(String(120))
    product_line: Mapped[str | None] = mapped_column(String(120))


class Activity(ImportedMixin, Base):
    """A call, meeting, e-mail, task or inbound request."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("type IN ('call','meeting','email','task','inbound')", name="type"),
        Index("ix_activities_client_started", "client_id", "started"),
        Index("ix_activities_manager_started", "manager_id", "started"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    type: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str | None] = mapped_column(String(8))
    started: Mapped[dt.datetime] = mapped_column(DateTime)
    ended: Mapped[dt.datetime | None] = mapped_column(DateTime)
    completed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    due: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PlanTarget(ImportedMixin, Base):
    """Sales plan of a manager for a period (`2026`, `2026-Q3`, `2026-10`)."""

    __tablename__ = "plan_targets"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        UniqueConstraint("manager_id", "period"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[float] = mapped_column(Money)
    count: Mapped[int | None] = mapped_column(Integer)


class Survey(ImportedMixin, Base):
    """A client's satisfaction score for a manager (CSAT 1–5 or NPS 0–10)."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("scale IN ('csat','nps')", name="scale"),
        CheckConstraint(
            "(scale = 'csat' AND score BETWEEN 1 AND 5)"
            " OR (scale = 'nps' AND score BETWEEN 0 AND 10)",
            name="score",
        ),
        CheckConstraint("kind IN ('survey','mystery_shopping','call_review')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    scale: Mapped[str] = mapped_column(String(4))
    score: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20), default="survey", server_default="survey")
    comment: Mapped[str | None] = mapped_column(Text)


class ColleagueFeedback(ImportedMixin, Base):
    """A colleague's score of a manager (1–5)."""

    __tablename__ = "colleague_feedback"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        CheckConstraint("from_manager_id <> to_manager_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    to_manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)


class ChangeHistory(Base):
    """Who changed an owner, role, segment or tier field, when, from what to what, and why."""

    __tablename__ = "change_history"
    __table_args__ = (Index("ix_change_history_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(120), default="system")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, server_default=func.now())


class ImportBatch(Base):
    """One import of one file: where it came from and what it did."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="done")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AppMeta(Base):
    """Key/value facts about this database (e.g. how the demo was generated)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PlanRecord(Base):
    """A distribution plan: a draft until applied or discarded, stored with its inputs."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("status IN ('draft','applied','discarded')", name="status"),
        Index("ix_plans_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    role: Mapped[str] = mapped_column(String(12))
    strategy: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(12))  # optimal | feasible | partial | infeasible
    moves: Mapped[int] = mapped_column(Integer, default=0)
    unassigned: Mapped[int] = mapped_column(Integer, default=0)
    imbalance: Mapped[float] = mapped_column(Float, default=0.0)
    # Hash of the data the plan was computed from; apply refuses when today's data differs.
    fingerprint: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ColumnMapping(Base):
    """A user's choice of field for a column title of a source's file (None = ignore it)."""

    __tablename__ = "column_mappings"
    __table_args__ = (UniqueConstraint("source", "entity", "header"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    header: Mapped[str] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(60))


class ManagerAlias(Base):
    """A CRM's user id of a manager who was joined to an existing manager by e-mail."""

    __tablename__ = "manager_aliases"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(120))
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))


class RoleRule(ImportedMixin, Base):
    """A conditional role rule (SPEC §5): when a client matches, a role goes to a target.

    `condition` holds segment/tier/status/purchase-total tests; `target` names who gets the
    role: a manager id, a role group (chosen by routing), or the head of sales.
    Rules are evaluated by ascending `priority`; the first match for a role wins.
    """

    __tablename__ = "role_rules"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("role IN ('acquisition','sales','account','service','admin')", name="role"),
        Index("ix_role_rules_priority", "active", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    role: Mapped[str] = mapped_column(String(12))
    condition: Mapped[dict[str, Any]] = mapped_column(JSON)
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class RotationRun(Base):
    """One rotation run for a date (SPEC §6); a date is run once (idempotent)."""

    __tablename__ = "rotation_runs"
    __table_args__ = (UniqueConstraint("run_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    holdout_share: Mapped[float] = mapped_column(Float, default=0.2)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    rotated: Mapped[int] = mapped_column(Integer, default=0)
    held_out: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )


class RotationMember(Base):
    """A candidate client of a run: rotated to a new manager or held out with its owner."""

    __tablename__ = "rotation_members"
    __table_args__ = (
        UniqueConstraint("run_id", "client_id"),
        CheckConstraint("arm IN ('rotated','holdout','unplaced')", name="arm"),
        Index("ix_rotation_members_client", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rotation_runs.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(3))
    arm: Mapped[str] = mapped_column(String(10))
    from_manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    to_manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    dormant_days: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(300))


class User(Base):
    """An account of the web app: manager (own clients), head (own department) or admin."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("login"),
        CheckConstraint("role IN ('manager','head','admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    # The department (managers.team) a head of sales runs; None = all teams.
    team: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="ru", server_default="ru")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, server_default=func.now()
    )


class UserSession(Base):
    """A login session; the cookie carries a random token, the table keeps its hash."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class JobLock(Base):
    """A named lock so that only one worker runs a scheduled job (rotation, KPI snapshot)."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Competency(Base):
    """A skill the head of sales assesses managers on (configurable list, SPEC §1)."""

    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # What to train when the score is low.
    training: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class CompetencyScore(ImportedMixin, Base):
    """One score of one manager on one competency in one assessment (1–5)."""

    __tablename__ = "competency_scores"
    __table_args__ = (
        UniqueConstraint("manager_id", "competency_id", "assessed_on"),
        UniqueConstraint("source", "external_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        Index("ix_competency_scores_manager", "manager_id", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    assessor: Mapped[str] = mapped_column(String(120), default="system")
    comment: Mapped[str | None] = mapped_column(Text)


class Contact(ImportedMixin, Base):
    """A person at a client: who to call, and what part he plays in purchasing."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(
            "purchase_role IN ('decision_maker','influencer','buyer','user','gatekeeper','other')",
            name="purchase_role",
        ),
        Index("ix_contacts_client", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200))
    purchase_role: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    comment: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A long operation started from the web app (solving a plan, a big import).

    Kept in the database so that its progress survives a page reload and shows in any
    web worker; the worker that started it runs it in a background thread.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status"),
        Index("ix_jobs_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    progress: Mapped[str | None] = mapped_column(String(300))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # host:pid:token of the process running it; a restarted server fails what it lost.
    owner: Mapped[str | None] = mapped_column(String(120))

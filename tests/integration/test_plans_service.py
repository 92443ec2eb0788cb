"""Distribution plans on the database: draft, apply in one transaction, refuse stale plans."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.errors import ConflictError, NotFoundError
from clientbase.planning.schemas import Settings, Strategy
from clientbase.services import plans
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def demo(engine: Engine) -> Engine:
    create_demo(engine, DemoParams(clients=300, months=6, today=TODAY))
    return engine


def _create(engine: Engine, **kw: object) -> tuple[plans.PlanSummary, object]:
    settings = Settings(**{"time_limit": 5.0, "seed": 1, **kw})  # type: ignore[arg-type]
    return plans.create_plan(engine=engine, solver=plans.solve, settings=settings, today=TODAY)


def _owners(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(t.Responsibility.client_id, t.Responsibility.manager_id).where(
            t.Responsibility.role == "account", t.Responsibility.until.is_(None)
        )
    )
    return {c: m for c, m in rows}


def test_a_plan_is_stored_as_a_draft_and_changes_nothing(demo: Engine) -> None:
    with Session(demo) as s:
        before = _owners(s)
    summary, _ = _create(demo)
    assert summary.status == "draft"
    with Session(demo) as s:
        assert _owners(s) == before
    listed = plans.list_plans(demo)
    assert [p.id for p in listed] == [summary.id]


def test_applying_moves_the_clients_with_history_and_open_deals(demo: Engine) -> None:
    summary, plan = _create(demo)
    result = plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)
    assert result.moved == summary.moves
    with Session(demo) as s:
        owners = _owners(s)
        for cid, mid in plan.assignment.items():  # type: ignore[attr-defined]
            if mid is not None:
                assert owners[int(cid)] == int(mid)
        history = s.scalar(
            select(func.count()).where(
                t.ChangeHistory.reason == f"plan #{summary.id}",
                t.ChangeHistory.field == "responsible:account",
            )
        )
        assert history == result.moved + result.assigned
        followed = s.scalar(
            select(func.count()).where(
                t.ChangeHistory.reason == f"plan #{summary.id}",
                t.ChangeHistory.field == "open_work",
            )
        )
        assert followed is not None and followed <= result.moved
        # Open deals follow their client to the new account manager.
        stale = s.scalar(
            select(func.count())
            .select_from(t.Deal)
            .join(
                t.Responsibility,
                (t.Responsibility.client_id == t.Deal.client_id)
                & (t.Responsibility.role == "account")
                & (t.Responsibility.until.is_(None))
                & (t.Responsibility.reason == f"plan #{summary.id}"),
            )
            .where(t.Deal.outcome == "open", t.Deal.manager_id != t.Responsibility.manager_id)
        )
        assert stale == 0
    with pytest.raises(ConflictError, match="уже применён"):
        plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)


def test_a_plan_computed_from_stale_data_is_refused_and_nothing_changes(demo: Engine) -> None:
    first, _ = _create(demo)
    second, _ = _create(demo, seed=2)
    plans.apply_plan(engine=demo, plan_id=first.id, today=TODAY)
    with Session(demo) as s:
        before = _owners(s)
    if first.moves:
        with pytest.raises(ConflictError, match="пересчитайте"):
            plans.apply_plan(engine=demo, plan_id=second.id, today=TODAY)
    with Session(demo) as s:
        assert _owners(s) == before


def test_locking_a_client_after_planning_makes_the_plan_stale(demo: Engine) -> None:
    summary, _ = _create(demo)
    with Session(demo) as s:
        client = s.scalars(select(t.Client).where(t.Client.status == "active")).first()
        assert client is not None
        client.locked = not client.locked
        s.commit()
    with pytest.raises(ConflictError):
        plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)


def test_a_discarded_plan_cannot_be_applied(demo: Engine) -> None:
    summary, _ = _create(demo)
    plans.discard_plan(engine=demo, plan_id=summary.id)
    with pytest.raises(ConflictError, match="отклонён"):
        plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)


def test_an_unknown_plan_is_not_found(demo: Engine) -> None:
    with pytest.raises(NotFoundError, match="#404"):
        plans.get_plan(demo, 404)


def test_the_demo_plan_keeps_government_and_vip_clients_with_their_specialists(
    demo: Engine,
) -> None:
    _, plan = _create(demo)
    with Session(demo) as s:
        managers = {str(m.id): m for m in s.scalars(select(t.Manager))}
        clients = {str(c.id): c for c in s.scalars(select(t.Client))}
    for cid, mid in plan.assignment.items():  # type: ignore[attr-defined]
        if mid is None:
            continue
        client, manager = clients[cid], managers[mid]
        if client.ownership == "Государственная":
            assert manager.ownerships in ("*", "Государственная"), (client.name, manager.name)
        if client.tier == "VIP":
            assert manager.role_group == "head" or manager.tiers == "VIP"
            if client.region == "Москва" and manager.role_group != "head":
                assert manager.regions == "Москва"
        assert manager.role_group in ("farmer", "head")


def test_two_plans_can_be_compared(demo: Engine) -> None:
    a, _ = _create(demo)
    b, _ = plans.create_plan(
        engine=demo,
        solver=plans.solve,
        settings=Settings(time_limit=5.0),
        strategy=Strategy.ROUND_ROBIN,
        today=TODAY,
    )
    diff = plans.diff_plans(demo, a.id, b.id)
    assert all(m.before != m.after for m in diff)


def test_two_heads_applying_plans_at_once_one_wins_and_the_other_is_told_to_recompute(
    demo: Engine,
) -> None:
    first, _ = _create(demo)
    second, _ = _create(demo, seed=2)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def apply(plan_id: int) -> None:
        barrier.wait()
        try:
            plans.apply_plan(engine=demo, plan_id=plan_id, today=TODAY)
            outcomes[plan_id] = "applied"
        except ConflictError as exc:
            outcomes[plan_id] = f"conflict: {exc}"

    threads = [threading.Thread(target=apply, args=(p.id,)) for p in (first, second)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["applied", "conflict"]
    loser = next(k for k, v in outcomes.items() if v != "applied")
    assert "пересчитайте" in outcomes[loser]
    with Session(demo) as s:
        # Exactly one active account responsible per client: nothing half-applied.
        dupes = s.scalar(
            select(func.count())
            .select_from(t.Responsibility)
            .where(t.Responsibility.role == "account", t.Responsibility.until.is_(None))
            .group_by(t.Responsibility.client_id)
            .having(func.count() > 1)
        )
        assert dupes is None
        statuses = {r.id: r.status for r in s.scalars(select(t.PlanRecord))}
    assert statuses[loser] == "draft"


def test_an_applied_plan_cannot_be_discarded_afterwards(demo: Engine) -> None:
    summary, _ = _create(demo)
    plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)
    with pytest.raises(ConflictError, match="применён"):
        plans.discard_plan(engine=demo, plan_id=summary.id)


def test_a_plan_is_checked_against_the_date_it_was_computed_for(demo: Engine) -> None:
    summary, _ = _create(demo)
    # Applied a week later: the owners are the same, so the plan is not stale.
    result = plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY + dt.timedelta(7))
    assert result.moved == summary.moves

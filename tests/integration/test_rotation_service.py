"""Rotation service on a real database (SQLite and PostgreSQL): runs, rules, effect report."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.errors import BadInputError, ConflictError
from clientbase.services import rotation as rot
from clientbase.services.backup import table_states
from clientbase.services.locks import acquire, job_lock, release

DAY = dt.date(2026, 6, 1)
LONG_AGO = DAY - dt.timedelta(days=400)


# ------------------------------------------------------------------ a small company


def manager(
    s: Session,
    name: str,
    *,
    group: str = "farmer",
    regions: str = "*",
    tiers: str = "*",
    grade: int = 3,
    capacity: int | None = None,
    active: bool = True,
) -> int:
    m = t.Manager(
        name=name,
        role_group=group,
        regions=regions,
        tiers=tiers,
        grade=grade,
        capacity_override=capacity,
        hours=100_000.0 if capacity and capacity > 100 else None,
        active=active,
    )
    s.add(m)
    s.flush()
    return m.id


def client(
    s: Session,
    name: str,
    owner: int,
    *,
    tier: str = "B",
    region: str = "Москва",
    last_won: dt.date | None = DAY - dt.timedelta(days=100),
    locked: bool = False,
    potential: float = 1000.0,
    since: dt.date = LONG_AGO,
) -> int:
    c = t.Client(
        name=name, tier=tier, region=region, status="active", locked=locked, potential=potential
    )
    s.add(c)
    s.flush()
    s.add(t.Responsibility(client_id=c.id, role="account", manager_id=owner, since=since))
    if last_won is not None:
        won(s, c.id, owner, last_won)
    return c.id


def won(s: Session, client_id: int, manager_id: int | None, day: dt.date, amount: float = 500.0):
    s.add(
        t.Deal(
            client_id=client_id,
            manager_id=manager_id,
            amount=amount,
            created=day - dt.timedelta(days=5),
            closed=day,
            outcome="won",
            stage="Сделка успешна",
        )
    )


def owner_of(engine: Engine, client_id: int) -> int:
    with Session(engine) as s:
        return s.scalars(
            select(t.Responsibility.manager_id).where(
                t.Responsibility.client_id == client_id,
                t.Responsibility.role == "account",
                t.Responsibility.until.is_(None),
            )
        ).one()


def run(engine: Engine, **kw: object) -> rot.RunResult:
    kw.setdefault("holdout", 0.0)
    return rot.run_rotation(engine=engine, run_date=kw.pop("run_date", DAY), **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ moves


def test_a_dormant_client_moves_to_another_farmer_with_history(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        cid = client(s, "Сонный", a)
        fresh = client(s, "Бодрый", a, last_won=DAY - dt.timedelta(days=10))
    result = run(engine)
    assert (result.rotated, result.held_out, result.candidates) == (1, 0, 1)
    assert owner_of(engine, cid) == b
    assert owner_of(engine, fresh) == a
    with Session(engine) as s:
        old, new = s.scalars(
            select(t.Responsibility)
            .where(t.Responsibility.client_id == cid)
            .order_by(t.Responsibility.id)
        ).all()
        assert (old.manager_id, old.until) == (a, DAY)
        assert (new.manager_id, new.since, new.until) == (b, DAY, None)
        assert new.reason == f"rotation run #{result.run_id}"
        history = s.scalars(select(t.ChangeHistory).where(t.ChangeHistory.entity_id == cid)).one()
        assert (history.old_value, history.new_value) == (str(a), str(b))
        assert history.reason == f"rotation run #{result.run_id}"
        member = s.scalars(select(t.RotationMember)).one()
        assert (member.arm, member.from_manager_id, member.to_manager_id) == ("rotated", a, b)
        assert member.dormant_days == 100


def test_the_same_date_twice_moves_nothing_the_second_time(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        manager(s, "Вера")
        for i in range(6):
            client(s, f"Сонный {i}", a)
    first = run(engine, holdout=0.5, seed=3)
    before = table_states(engine)
    second = run(engine, holdout=0.5, seed=3)
    assert first.rotated == 3 and first.held_out == 3
    assert second.already_done and second.run_id == first.run_id
    assert "ничего не перемещено" in second.message
    assert table_states(engine) == before
    # What the second call shows is the stored first run.
    assert sorted((m.client_id, m.arm) for m in second.members) == sorted(
        (m.client_id, m.arm) for m in first.members
    )


def test_a_concurrent_second_run_is_refused_and_changes_nothing(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        client(s, "Сонный", a)
    before = table_states(engine)
    with job_lock(engine, rot.JOB_NAME, "other-host:4242"):
        with pytest.raises(ConflictError, match="уже выполняется"):
            run(engine)
        assert {k: v for k, v in table_states(engine).items() if k != "job_locks"} == {
            k: v for k, v in before.items() if k != "job_locks"
        }
    assert run(engine).rotated == 1


def test_a_lock_left_by_a_killed_run_on_this_host_is_taken_over(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        client(s, "Сонный", a)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    acquire(engine, rot.JOB_NAME, f"{socket.gethostname()}:{gone.pid}")
    assert run(engine).rotated == 1
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.JobLock)) == 0
    release(engine, rot.JOB_NAME, "nobody")


def test_a_dry_run_writes_nothing_and_shows_the_moves(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        cid = client(s, "Сонный", a)
        s.add(
            t.Deal(
                client_id=cid, manager_id=a, amount=1, created=DAY, outcome="open", stage="Новая"
            )
        )
    before = table_states(engine)
    result = run(engine, dry_run=True)
    assert table_states(engine) == before
    assert result.dry_run and result.run_id is None
    assert [(m.client_id, m.arm, m.to_manager_id) for m in result.members] == [(cid, "rotated", b)]
    assert "ничего не записано" in result.message


def test_hunters_never_receive_clients(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Охотник", group="hunter")
        cid = client(s, "Сонный", a)
    result = run(engine)
    assert result.rotated == 0 and result.unplaced == 1
    assert owner_of(engine, cid) == a
    assert "нет подходящего менеджера" in result.members[0].reason


def test_the_last_two_holders_are_excluded(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        previous = manager(s, "Прежний")
        busy = manager(s, "Занятой")
        cid = client(s, "Сонный", a, since=DAY - dt.timedelta(days=200))
        s.add(
            t.Responsibility(
                client_id=cid,
                role="account",
                manager_id=previous,
                since=LONG_AGO,
                until=DAY - dt.timedelta(days=200),
            )
        )
        # The previous holder has the emptiest book, yet must not get the client back.
        for i in range(5):
            client(s, f"Свой {i}", busy, last_won=DAY - dt.timedelta(days=5))
    result = run(engine)
    assert owner_of(engine, cid) == busy
    assert result.members[0].to_manager_id == busy
    assert previous not in {m.to_manager_id for m in result.members}


def test_only_the_two_latest_holders_count_as_recent(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        second = manager(s, "Второй")
        first = manager(s, "Первый")
        cid = client(s, "Сонный", a, since=DAY - dt.timedelta(days=200))
        s.add_all(
            [
                t.Responsibility(
                    client_id=cid,
                    role="account",
                    manager_id=first,
                    since=LONG_AGO - dt.timedelta(days=300),
                    until=LONG_AGO,
                ),
                t.Responsibility(
                    client_id=cid,
                    role="account",
                    manager_id=second,
                    since=LONG_AGO,
                    until=DAY - dt.timedelta(days=200),
                ),
            ]
        )
    result = run(engine, dry_run=True)
    assert result.members[0].to_manager_id == first
    # A longer memory (setting recent_holders = 3) keeps the first holder away too.
    rot.save_settings(engine=engine, data={"recent_holders": 3})
    again = run(engine, dry_run=True)
    assert again.members[0].arm == "unplaced"
    assert again.members[0].reason.endswith("был ответственным недавно — 3")


def test_open_deals_and_open_activities_follow_the_client(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        cid = client(s, "Сонный", a)
        s.add_all(
            [
                t.Deal(
                    client_id=cid,
                    manager_id=a,
                    amount=100,
                    created=DAY - dt.timedelta(days=3),
                    outcome="open",
                    stage="Новая",
                ),
                t.Activity(
                    client_id=cid,
                    manager_id=a,
                    type="task",
                    started=dt.datetime(2026, 5, 30, 10),
                    completed=False,
                ),
                t.Activity(
                    client_id=cid,
                    manager_id=a,
                    type="call",
                    started=dt.datetime(2026, 5, 1, 10),
                    completed=True,
                ),
            ]
        )
    result = run(engine)
    assert (result.deals_moved, result.activities_moved) == (1, 1)
    with Session(engine) as s:
        deals = dict(s.execute(select(t.Deal.outcome, t.Deal.manager_id)).all())
        assert deals == {"open": b, "won": a}
        acts = dict(s.execute(select(t.Activity.completed, t.Activity.manager_id)).all())
        assert acts == {False: b, True: a}
        follow = s.scalars(
            select(t.ChangeHistory).where(t.ChangeHistory.field == "open_work")
        ).one()
        assert follow.reason == f"rotation run #{result.run_id}"


def test_moves_keep_the_balance_as_they_are_made(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        c = manager(s, "Вера")
        for i in range(8):
            client(s, f"Сонный {i}", a)
        for i in range(2):
            client(s, f"Свой {i}", b, last_won=DAY - dt.timedelta(days=5))
    result = run(engine)
    received = {m: 0 for m in (b, c)}
    for m in result.members:
        assert m.to_manager_id is not None
        received[m.to_manager_id] += 1
    # 2 + 3 = 0 + 5: both end with five clients.
    assert received == {b: 3, c: 5}


def test_capacity_is_never_exceeded(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        small = manager(s, "Маленький", capacity=3)
        for i in range(2):
            client(s, f"Свой {i}", small, last_won=DAY - dt.timedelta(days=5))
        sleepy = [client(s, f"Сонный {i}", a) for i in range(3)]
    result = run(engine)
    assert result.rotated == 1 and result.unplaced == 2
    assert sum(owner_of(engine, c) == small for c in sleepy) == 1
    assert all("загружены полностью" in m.reason for m in result.members if m.arm == "unplaced")


def test_inactive_absent_and_ineligible_managers_receive_nothing(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Уволен", active=False)
        away = manager(s, "В отпуске")
        s.add(t.Absence(manager_id=away, start_date=DAY, end_date=DAY + dt.timedelta(days=9)))
        manager(s, "Питер", regions="Санкт-Петербург")
        cid = client(s, "Сонный", a)
    result = run(engine)
    assert result.rotated == 0 and owner_of(engine, cid) == a
    reason = result.members[0].reason
    assert "неактивен или отсутствует — 2" in reason and "сегмент не допущен — 1" in reason


def test_locked_late_stage_and_unconfirmed_vip_clients_stay(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна", grade=5)
        senior = manager(s, "Старший", grade=4)
        locked = client(s, "Закреплённый", a, locked=True)
        closing = client(s, "Почти купил", a)
        s.add(
            t.Deal(
                client_id=closing,
                manager_id=a,
                amount=1,
                created=DAY - dt.timedelta(days=2),
                outcome="open",
                stage="Счёт выставлен",
            )
        )
        vip = client(s, "Важный", a, tier="VIP")
    dry = run(engine, dry_run=True)
    reasons = {m.client_id: m.reason for m in dry.members}
    assert reasons[locked] == "исключён: клиент закреплён"
    assert reasons[closing] == "исключён: есть открытая сделка на поздней стадии"
    assert reasons[vip] == "исключён: VIP: нужно подтверждение руководителя"
    assert dry.rotated == 0
    confirmed = run(engine, confirm_vip=True)
    assert confirmed.rotated == 1 and owner_of(engine, vip) == senior
    assert owner_of(engine, locked) == a and owner_of(engine, closing) == a


def test_vip_clients_go_only_to_managers_of_the_minimum_grade(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна", grade=5)
        manager(s, "Младший", grade=2)
        vip = client(s, "Важный", a, tier="VIP")
    result = run(engine, confirm_vip=True)
    assert result.rotated == 0 and owner_of(engine, vip) == a
    assert "грейд ниже нужного" in result.members[0].reason


def test_the_hold_out_is_stratified_by_tier_and_stays_with_its_owner(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна", capacity=500)
        manager(s, "Борис", capacity=500)
        manager(s, "Вера", capacity=500)
        tiers = {}
        for i in range(50):
            tiers[client(s, f"C{i}", a, tier="C")] = "C"
        for i in range(20):
            tiers[client(s, f"A{i}", a, tier="A")] = "A"
    result = run(engine, holdout=0.2, seed=7)
    held = [m for m in result.members if m.arm == "holdout"]
    assert sorted(tiers[m.client_id] for m in held).count("C") == 10
    assert sorted(tiers[m.client_id] for m in held).count("A") == 4
    assert all(owner_of(engine, m.client_id) == a for m in held)
    # Reproducible: the same seed on the same data draws the same clients (dry run of a copy
    # date would see them on trial, so compare with the stored members instead).
    with Session(engine) as s:
        stored = set(
            s.scalars(select(t.RotationMember.client_id).where(t.RotationMember.arm == "holdout"))
        )
    assert stored == {m.client_id for m in held}


def test_clients_under_observation_are_not_rotated_again_by_a_later_run(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        manager(s, "Вера")
        cid = client(s, "Сонный", a)
    run(engine)
    later = run(engine, run_date=DAY + dt.timedelta(days=30))
    assert later.candidates == 0 and later.on_trial == 1
    # A run with nobody to compare is not a line of the effect report.
    assert [r.run_date for r in rot.effect_report(engine=engine).runs] == [DAY]
    after_window = run(engine, run_date=DAY + dt.timedelta(days=91))
    assert after_window.rotated == 1
    # Three holders now: Анна, then the first receiver, then a third manager — never back.
    assert owner_of(engine, cid) != a


def test_a_future_or_out_of_order_date_is_refused(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        client(s, "Сонный", a)
    with pytest.raises(BadInputError, match="в будущем"):
        run(engine, run_date=dt.date.today() + dt.timedelta(days=1))
    run(engine)
    with pytest.raises(BadInputError, match="более позднюю дату"):
        run(engine, run_date=DAY - dt.timedelta(days=1))


def test_thresholds_per_tier_come_from_the_stored_settings(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        vip_like = client(s, "А-клиент", a, tier="A", last_won=DAY - dt.timedelta(days=40))
        c_client = client(s, "С-клиент", a, tier="C", last_won=DAY - dt.timedelta(days=40))
    rot.save_settings(engine=engine, data={"by_tier": {"A": 30}})
    result = run(engine, dry_run=True)
    assert [m.client_id for m in result.members] == [vip_like]
    assert c_client not in {m.client_id for m in result.members}
    with pytest.raises(BadInputError, match="by_segment"):
        rot.save_settings(engine=engine, data={"by_segment": {"Москва": 10}})


# ------------------------------------------------------------------ warning list


def test_the_warning_list_shows_clients_becoming_dormant_within_k_days(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        soon = client(s, "Скоро", a, last_won=DAY - dt.timedelta(days=55))
        client(s, "Уже спит", a, last_won=DAY - dt.timedelta(days=90))
        client(s, "Ещё нескоро", a, last_won=DAY - dt.timedelta(days=20))
        other = client(s, "У Бориса", b, last_won=DAY - dt.timedelta(days=50), locked=True)
    rows = rot.warning_list(engine=engine, today=DAY, days=14)
    # By manager (name), then by the day the client falls asleep.
    assert [(r.client_id, r.days_left) for r in rows] == [(soon, 6), (other, 11)]
    assert rows[0].dormant_on == DAY + dt.timedelta(days=6) and rows[0].note == ""
    assert rows[1].note == "клиент закреплён"
    mine = rot.warning_list(engine=engine, today=DAY, days=14, manager_id=a)
    assert [r.client_id for r in mine] == [soon]
    with pytest.raises(BadInputError):
        rot.warning_list(engine=engine, today=DAY, manager_id=999)


# ------------------------------------------------------------------ effect report


def _history(engine: Engine, *, rotated_rate: float, holdout_rate: float, seed: int) -> None:
    """1000 dormant clients, a run with a 20 % hold-out, then won deals at the given rates."""
    with Session(engine) as s, s.begin():
        farmers = [manager(s, f"Менеджер {i}", capacity=1000) for i in range(5)]
        for i in range(1000):
            client(s, f"Клиент {i}", farmers[i % 5], tier="ABCC"[i % 4])
    result = run(engine, holdout=0.2, seed=seed)
    assert (result.rotated, result.held_out) == (800, 200)
    rng = random.Random(seed)
    with Session(engine) as s, s.begin():
        for m in result.members:
            rate = rotated_rate if m.arm == "rotated" else holdout_rate
            if rng.random() < rate:
                won(s, m.client_id, m.to_manager_id, DAY + dt.timedelta(days=rng.randint(1, 90)))
            # Purchases after the window do not count as reactivation.
            won(s, m.client_id, None, DAY + dt.timedelta(days=120))


def test_the_effect_report_recovers_a_true_rise_from_10_to_25_percent(engine: Engine) -> None:
    _history(engine, rotated_rate=0.25, holdout_rate=0.10, seed=11)
    report = rot.effect_report(engine=engine, as_of=dt.date(2026, 11, 1))
    overall = report.cumulative.overall if report.cumulative else None
    assert overall is not None
    assert (overall.rotated_n, overall.holdout_n) == (800, 200)
    assert overall.low <= 0.15 <= overall.high
    assert overall.low > 0 and not overall.too_small
    assert overall.verdict == "ротация повышает реактивацию"
    assert overall.rotated_revenue == 500.0 * overall.rotated_reactivated
    assert report.runs[0].window_complete and report.open_windows == 0
    assert {c.label for c in report.runs[0].by_tier} == {"A", "B", "C"}
    assert sum(c.rotated_n for c in report.runs[0].by_manager) == 800
    assert sum(c.rotated_n for c in report.runs[0].by_tier) == 800


def test_the_effect_report_on_a_history_with_no_effect_contains_zero(engine: Engine) -> None:
    _history(engine, rotated_rate=0.15, holdout_rate=0.15, seed=5)
    report = rot.effect_report(engine=engine, as_of=dt.date(2026, 11, 1))
    assert report.cumulative is not None
    overall = report.cumulative.overall
    assert overall.low <= 0 <= overall.high
    assert overall.verdict == "разница не доказана"


def test_a_small_run_says_plainly_that_the_sample_is_too_small(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        for i in range(10):
            client(s, f"Сонный {i}", a)
    result = run(engine, holdout=0.2)
    with Session(engine) as s, s.begin():
        for m in result.members[:3]:
            won(s, m.client_id, None, DAY + dt.timedelta(days=10))
    report = rot.effect_report(engine=engine, as_of=DAY + dt.timedelta(days=30))
    assert report.runs[0].overall.too_small
    assert report.runs[0].overall.verdict == "выборка слишком мала для вывода"
    assert report.open_windows == 1 and not report.runs[0].window_complete
    shorter = rot.effect_report(engine=engine, window=5, as_of=DAY + dt.timedelta(days=30))
    assert shorter.runs[0].overall.rotated_reactivated == 0


def test_two_runs_started_together_move_each_client_once(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        manager(s, "Вера")
        for i in range(30):
            client(s, f"Сонный {i}", a)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        start.wait()
        try:
            result = run(engine, holdout=0.2)
            outcomes.append("already" if result.already_done else "moved")
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) in (["moved", "refused"], ["already", "moved"])
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.RotationRun)) == 1
        moves = s.scalar(
            select(func.count())
            .select_from(t.Responsibility)
            .where(t.Responsibility.reason.like("rotation run #%"))
        )
        assert moves == 24


def test_runs_are_listed_and_shown_with_their_members(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        b = manager(s, "Борис")
        cid = client(s, "Сонный", a)
    done = run(engine)
    assert done.run_id is not None
    [summary] = rot.list_runs(engine=engine)
    assert (summary.id, summary.run_date, summary.rotated) == (done.run_id, DAY, 1)
    shown = rot.get_run(engine=engine, run_id=done.run_id)
    assert [(m.client_id, m.to_manager_id, m.to_manager) for m in shown.members] == [
        (cid, b, "Борис")
    ]
    with pytest.raises(BadInputError):
        rot.get_run(engine=engine, run_id=done.run_id + 1)


def test_segment_thresholds_and_long_own_intervals_postpone_dormancy(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна")
        manager(s, "Борис")
        siberia = client(s, "Сибирский", a, region="Сибирь", last_won=DAY - dt.timedelta(days=70))
        moscow = client(s, "Московский", a, last_won=DAY - dt.timedelta(days=70))
        # Buys every 100 days: 120 days of silence is normal for it (threshold 1.5 × 100).
        seasonal = client(s, "Сезонный", a, last_won=DAY - dt.timedelta(days=120))
        for back in (220, 320):
            won(s, seasonal, a, DAY - dt.timedelta(days=back))
    rot.save_settings(engine=engine, data={"by_segment": {"region=Сибирь": 90}})
    result = run(engine, dry_run=True)
    assert {m.client_id for m in result.members} == {moscow}
    later = run(engine, dry_run=True, run_date=DAY + dt.timedelta(days=31))
    assert {m.client_id for m in later.members} == {moscow, siberia, seasonal}
    stored = rot.load_settings(engine)
    assert stored.policy.by_segment == {"region=Сибирь": 90} and stored.policy.days == 60


# ------------------------------------------------------------------ invariants (Hypothesis)

REGIONS = ("Москва", "Урал")
WEIGHT = {"VIP": 3, "A": 1, "B": 1, "C": 1}


@st.composite
def companies(draw: st.DrawFn) -> dict[str, Any]:
    farmers = [
        {
            "regions": draw(st.sampled_from(["*", "Москва", "Урал", "Москва;Урал"])),
            "grade": draw(st.integers(1, 5)),
            "capacity": draw(st.integers(1, 8)),
            "active": draw(st.integers(0, 5)) > 0,
            "absent": draw(st.integers(0, 5)) == 0,
        }
        for _ in range(draw(st.integers(1, 5)))
    ]
    clients = [
        {
            "region": draw(st.sampled_from(REGIONS)),
            "tier": draw(st.sampled_from(["VIP", "A", "B", "C"])),
            "owner": draw(st.integers(0, len(farmers) - 1)),
            "previous": draw(st.none() | st.integers(0, len(farmers) - 1)),
            "silent": draw(st.integers(0, 200)),
            "locked": draw(st.integers(0, 9)) == 0,
        }
        for _ in range(draw(st.integers(0, 20)))
    ]
    return {
        "farmers": farmers,
        "hunters": draw(st.integers(0, 2)),
        "clients": clients,
        "confirm_vip": draw(st.booleans()),
        "holdout": draw(st.sampled_from([0.0, 0.2, 0.5])),
        "seed": draw(st.integers(0, 1000)),
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated empty SQLite database, copied for every example."""
    path = tmp_path_factory.mktemp("rotation-template") / "empty.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate.upgrade(eng)
    eng.dispose()
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(company=companies())
def test_every_run_keeps_the_rules_of_rotation(template: Path, company: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "company.db"
        shutil.copyfile(template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            _check_rules(engine, company)
        finally:
            engine.dispose()


def _check_rules(engine: Engine, company: dict[str, Any]) -> None:
    with Session(engine) as s, s.begin():
        farmers = []
        for i, f in enumerate(company["farmers"]):
            mid = manager(
                s,
                f"Фермер {i}",
                regions=f["regions"],
                grade=f["grade"],
                capacity=f["capacity"],
                active=f["active"],
            )
            if f["absent"]:
                s.add(t.Absence(manager_id=mid, start_date=DAY, end_date=DAY))
            farmers.append(mid)
        hunters = {manager(s, f"Охотник {i}", group="hunter") for i in range(company["hunters"])}
        info: dict[int, dict[str, Any]] = {}
        for i, c in enumerate(company["clients"]):
            owner = farmers[c["owner"]]
            cid = client(
                s,
                f"Клиент {i}",
                owner,
                tier=c["tier"],
                region=c["region"],
                locked=c["locked"],
                last_won=DAY - dt.timedelta(days=c["silent"]),
                since=DAY - dt.timedelta(days=300),
            )
            previous = farmers[c["previous"]] if c["previous"] is not None else None
            if previous is not None and previous != owner:
                s.add(
                    t.Responsibility(
                        client_id=cid,
                        role="account",
                        manager_id=previous,
                        since=LONG_AGO,
                        until=DAY - dt.timedelta(days=300),
                    )
                )
            info[cid] = {**c, "owner_id": owner, "previous_id": previous}
    result = rot.run_rotation(
        engine=engine,
        run_date=DAY,
        seed=company["seed"],
        holdout=company["holdout"],
        confirm_vip=company["confirm_vip"],
        today=DAY,
    )
    profile = {mid: company["farmers"][i] for i, mid in enumerate(farmers)}
    members = {m.client_id: m for m in result.members}
    # Exactly the dormant clients (more than 60 days without a purchase) are candidates.
    assert set(members) == {cid for cid, c in info.items() if c["silent"] > 60}
    placeable: dict[str, int] = {}
    held: dict[str, int] = {}
    for cid, m in members.items():
        c = info[cid]
        now = owner_of(engine, cid)
        if m.arm != "rotated":
            assert now == c["owner_id"]
        if m.arm == "unplaced" and "загружены полностью" not in m.reason:
            continue
        placeable[c["tier"]] = placeable.get(c["tier"], 0) + 1
        if m.arm == "holdout":
            held[c["tier"]] = held.get(c["tier"], 0) + 1
        if m.arm != "rotated":
            continue
        to = m.to_manager_id
        assert to is not None and now == to and to not in hunters
        f = profile[to]
        assert f["active"] and not f["absent"]
        assert f["regions"] == "*" or c["region"] in f["regions"].split(";")
        assert to not in {c["owner_id"], c["previous_id"]}
        assert not c["locked"]
        assert c["tier"] != "VIP" or (company["confirm_vip"] and f["grade"] >= 4)
    # The hold-out is round(share × n) of every tier of the placeable candidates.
    for tier, n in placeable.items():
        assert held.get(tier, 0) == round(company["holdout"] * n)
    # Nobody who received a client is above capacity (a VIP weighs 3).
    receivers = {m.to_manager_id for m in result.members if m.to_manager_id is not None}
    with Session(engine) as s:
        for mid in receivers:
            tiers = s.scalars(
                select(t.Client.tier)
                .join(t.Responsibility, t.Responsibility.client_id == t.Client.id)
                .where(t.Responsibility.manager_id == mid, t.Responsibility.until.is_(None))
            ).all()
            assert sum(WEIGHT[x] for x in tiers) <= profile[mid]["capacity"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holdout": 1.5}, "holdout"),
        ({"receiver_groups": ["farmer", "hunter"]}, "охотники"),
        ({"by_segment": {"город=Москва": 30}}, "принцип=значение"),
        ({"by_tier": {"Z": 30}}, "неверное значение"),
        ({"days": 0}, "≥ 1"),
        ({"window_days": 0}, "window_days"),
        ({"whatever": 1}, "неизвестные ключи"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(data: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        rot.RotationSettings.from_dict(data)


def test_settings_survive_a_round_trip_and_keep_defaults_for_missing_keys() -> None:
    settings = rot.RotationSettings.from_dict(
        {"days": 45, "by_segment": {"industry=Розница": 30}, "stage_probability": {"КП": 0.7}}
    )
    assert rot.RotationSettings.from_dict(settings.to_dict()) == settings
    assert settings.window_days == 90 and settings.holdout == 0.2
    assert settings.stage_probability == {"кп": 0.7}


def test_the_head_may_confirm_single_vip_clients(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        a = manager(s, "Анна", grade=5)
        senior = manager(s, "Старший", grade=4, capacity=40)
        chosen = client(s, "Важный 1", a, tier="VIP")
        other = client(s, "Важный 2", a, tier="VIP")
    result = run(engine, confirm_vip=frozenset({chosen}))
    arms = {m.client_id: m.arm for m in result.members}
    assert arms == {chosen: "rotated", other: "unplaced"}
    assert owner_of(engine, chosen) == senior and owner_of(engine, other) == a
    with Session(engine) as s:
        params = s.scalars(select(t.RotationRun.params)).one()
    assert params["confirm_vip"] == [chosen]

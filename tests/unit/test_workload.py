"""Learned workload: the median logged hours per client-month equals a hand computation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.services.capacity import learned_workload

D = dt.datetime


def _fill(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        s.add(t.Manager(id=1, name="Иванов", role_group="farmer", complexity=4))
        s.add_all(
            [
                t.Client(id=1, name="Альфа", tier="A", status="active"),
                t.Client(id=2, name="Бета", tier="A", status="active"),
                t.Client(id=3, name="Гамма", tier="C", status="active"),
            ]
        )
        s.flush()
        s.add_all(
            [
                t.Responsibility(
                    client_id=c, role="account", manager_id=1, since=dt.date(2026, 1, 1)
                )
                for c in (1, 2, 3)
            ]
        )

        def act(
            cid: int, start: D, minutes: int | None, typ: str = "call", done: bool = True
        ) -> None:
            end = start + dt.timedelta(minutes=minutes) if minutes is not None else None
            s.add(
                t.Activity(
                    client_id=cid, manager_id=1, type=typ, started=start, ended=end, completed=done
                )
            )

        # Client 1, March: 30 + 90 = 120 min; April: 60 min.
        act(1, D(2026, 3, 2, 10), 30)
        act(1, D(2026, 3, 20, 10), 90)
        act(1, D(2026, 4, 5, 9), 60)
        # Client 2, March: a meeting with no end counts the default 60 min + an email 5 min.
        act(2, D(2026, 3, 3, 12), None, "meeting")
        act(2, D(2026, 3, 4, 12), None, "email")
        # An unfinished task is not logged time.
        act(2, D(2026, 3, 5, 12), 600, "task", done=False)
        # Client 3 has no account manager complexity issue: complexity 4 too; 15 min in May.
        act(3, D(2026, 5, 1, 9), 15)


def test_learned_workload_is_the_median_of_client_months(engine: Engine) -> None:
    _fill(engine)
    rows = {(w.tier, w.complexity): w for w in learned_workload(engine, min_observations=3)}
    a4 = rows[("A", 4)]
    # Client-months of tier A at complexity 4: 120, 60, 65 minutes → median 65 min.
    assert a4.observations == 3
    assert a4.learned_hours == round(65 / 60, 2)
    assert a4.hours == a4.learned_hours  # enough observations: the learned figure is used
    c4 = rows[("C", 4)]
    assert c4.observations == 1 and c4.learned_hours == 0.25
    assert c4.hours == c4.default_hours == 0.62  # too few observations: the default table
    assert rows[("VIP", 3)].observations == 0 and rows[("VIP", 3)].learned_hours is None


def test_a_period_limits_the_client_months_learned_from(engine: Engine) -> None:
    _fill(engine)
    rows = {
        (w.tier, w.complexity): w
        for w in learned_workload(
            engine, since=dt.date(2026, 4, 1), until=dt.date(2026, 5, 1), min_observations=1
        )
    }
    assert rows[("A", 4)].observations == 1 and rows[("A", 4)].learned_hours == 1.0
    assert rows[("C", 4)].observations == 0

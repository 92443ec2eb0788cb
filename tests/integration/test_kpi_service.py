"""KPI service on SQLite and PostgreSQL: a small company computed by hand, and the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.errors import BadInputError, NotFoundError
from clientbase.services import capacity as cs
from clientbase.services import kpi as ks
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)
D = dt.date
T = dt.datetime


def _company(engine: Engine) -> None:
    """Four managers, six clients; every number below is worked out in the test comments.

    Анна (1) and Борис (2) are farmers of team «Север», Вера (3) a farmer of «Юг»,
    Глеб (4) a hunter of «Поиск». Period: October 2026.
    """
    with Session(engine) as s, s.begin():
        for mid, name, group, team in (
            (1, "Анна", "farmer", "Север"),
            (2, "Борис", "farmer", "Север"),
            (3, "Вера", "farmer", "Юг"),
            (4, "Глеб", "hunter", "Поиск"),
        ):
            s.add(t.Manager(id=mid, name=name, role_group=group, team=team))
        for cid, first in (
            (1, D(2025, 1, 10)),
            (2, D(2025, 5, 1)),
            (3, None),
            (4, D(2026, 9, 15)),
            (5, D(2025, 3, 1)),
            (6, None),
        ):
            s.add(t.Client(id=cid, name=f"Клиент {cid}", first_purchase=first))
        s.flush()
        for cid, role, mid, since, until in (
            (1, "account", 1, D(2025, 1, 10), None),
            (2, "account", 1, D(2025, 5, 1), None),
            (4, "account", 2, D(2026, 9, 15), None),
            (5, "account", 2, D(2025, 3, 1), None),
            (3, "acquisition", 4, D(2026, 8, 1), None),
            # Глеб found client 6, Вера closed its first deal and took the account.
            (6, "acquisition", 4, D(2026, 8, 1), D(2026, 10, 3)),
            (6, "account", 3, D(2026, 10, 3), None),
        ):
            s.add(
                t.Responsibility(client_id=cid, role=role, manager_id=mid, since=since, until=until)
            )
        deals = [
            # Анна: October won 200.00 + 100.50 (on the last day), lost 50; September won 300
            # from client 2; October 2025 won 1 000; November won 10; one open deal.
            (1, 1, 200.00, D(2026, 10, 5), "won"),
            (1, 1, 100.50, D(2026, 10, 31), "won"),
            (1, 2, 50.00, D(2026, 10, 10), "lost"),
            (1, 2, 300.00, D(2026, 9, 20), "won"),
            (1, 1, 1000.00, D(2025, 10, 15), "won"),
            (1, 2, 10.00, D(2026, 11, 1), "won"),
            (1, 1, 999.00, None, "open"),
            # Борис: client 4 bought in September (its first purchase) and again in October;
            # client 5 last bought in June (dormant by the end of October).
            (2, 4, 400.00, D(2026, 9, 15), "won"),
            (2, 4, 600.00, D(2026, 10, 20), "won"),
            (2, 5, 70.00, D(2026, 6, 1), "won"),
            # Вера closed the first purchase of client 6; Глеб that of client 3.
            (3, 6, 500.00, D(2026, 10, 3), "won"),
            (4, 3, 250.00, D(2026, 10, 12), "won"),
        ]
        for k, (mid, cid, amount, closed, outcome) in enumerate(deals, start=1):
            created = (closed or D(2026, 10, 25)) - dt.timedelta(days=5)
            s.add(
                t.Deal(
                    id=k,
                    client_id=cid,
                    manager_id=mid,
                    amount=amount,
                    created=created,
                    closed=closed,
                    outcome=outcome,
                )
            )
        acts = [
            # Анна: two completed calls in October (one in the last minute), one in November.
            (1, 1, "call", "outbound", T(2026, 10, 20, 11, 0), True, None, None),
            (1, 1, "call", "outbound", T(2026, 10, 31, 23, 59, 30), True, None, None),
            (1, 1, "call", "outbound", T(2026, 11, 1, 0, 0), True, None, None),
            # Анна: inbound requests answered by e-mail in 90, 30 and 240 minutes → median 90.
            (1, 1, "inbound", "inbound", T(2026, 10, 10, 10, 0), True, None, None),
            (1, 1, "email", "outbound", T(2026, 10, 10, 11, 30), True, None, None),
            (1, 2, "inbound", "inbound", T(2026, 10, 12, 9, 0), True, None, None),
            (1, 2, "email", "outbound", T(2026, 10, 12, 9, 30), True, None, None),
            (1, 1, "inbound", "inbound", T(2026, 10, 14, 10, 0), True, None, None),
            (1, 1, "email", "outbound", T(2026, 10, 14, 14, 0), True, None, None),
            # Анна's tasks due in October: on time, late, never done; one due in November.
            (
                1,
                None,
                "task",
                None,
                T(2026, 10, 14, 9, 0),
                True,
                T(2026, 10, 15, 11, 0),
                T(2026, 10, 15, 12, 0),
            ),
            (
                1,
                None,
                "task",
                None,
                T(2026, 10, 18, 9, 0),
                True,
                T(2026, 10, 22, 9, 0),
                T(2026, 10, 20, 12, 0),
            ),
            (1, None, "task", None, T(2026, 10, 20, 9, 0), False, None, T(2026, 10, 25, 12, 0)),
            (
                1,
                None,
                "task",
                None,
                T(2026, 10, 30, 9, 0),
                True,
                T(2026, 10, 30, 10, 0),
                T(2026, 11, 2, 12, 0),
            ),
            # Борис met client 4 on 30 October; client 5 was not contacted.
            (2, 4, "meeting", None, T(2026, 10, 30, 15, 0), True, None, None),
        ]
        for k, (mid, cid, typ, direction, started, done, ended, due) in enumerate(acts, start=1):
            s.add(
                t.Activity(
                    id=k,
                    client_id=cid,
                    manager_id=mid,
                    type=typ,
                    direction=direction,
                    started=started,
                    ended=ended or (started + dt.timedelta(minutes=10) if done else None),
                    completed=done,
                    due=due,
                )
            )
        for cid, scale, score, day in (
            (1, "csat", 4, D(2026, 10, 3)),
            (1, "csat", 5, D(2026, 10, 9)),
            (2, "nps", 9, D(2026, 10, 11)),
            (2, "nps", 6, D(2026, 10, 12)),
            (2, "csat", 1, D(2026, 9, 30)),  # September: not counted
        ):
            s.add(t.Survey(client_id=cid, manager_id=1, date=day, scale=scale, score=score))
        for src, score, day in (
            (2, 4, D(2026, 10, 5)),
            (3, 5, D(2026, 10, 6)),
            (3, 1, D(2026, 9, 6)),
        ):
            s.add(t.ColleagueFeedback(from_manager_id=src, to_manager_id=1, date=day, score=score))
        s.add(t.PlanTarget(manager_id=1, period="2026-10", amount=600.0))
        s.add(t.PlanTarget(manager_id=2, period="2026-Q4", amount=3000.0))


@pytest.fixture
def company(engine: Engine) -> Engine:
    _company(engine)
    return engine


def test_every_kpi_of_a_small_company_matches_the_hand_computation(company: Engine) -> None:
    card = ks.scorecard(engine=company, period="2026-10", today=TODAY)
    assert (card.previous, card.last_year, card.as_of) == ("2026-09", "2025-10", D(2026, 10, 31))
    anna = card.row(1).kpis
    assert anna.volume == 300.50 and (anna.won_deals, anna.lost_deals) == (2, 1)
    assert anna.conversion == pytest.approx(2 / 3)
    assert anna.average_check == 150.25
    assert anna.volume_prev == 300.0 and anna.volume_last_year == 1000.0
    assert anna.growth_prev == pytest.approx(0.5 / 300) and anna.growth_last_year == pytest.approx(
        -0.6995
    )
    # Buyers in October: client 1 (bought before) → repeat 1/1; September buyers: client 2,
    # who only lost a deal in October → retention 0/1.
    assert (anna.repeat_rate, anna.retention) == (1.0, 0.0)
    assert anna.plan == 600.0 and anna.attainment == pytest.approx(300.5 / 600)
    assert anna.contacts == 2 and anna.contact_conversion == 1.0
    assert (anna.inbound, anna.answered, anna.response_minutes) == (3, 3, 90.0)
    # Clients 1 and 2 both had a completed activity in October; none is dormant.
    assert (anna.held, anna.coverage, anna.dormant_share) == (2, 1.0, 0.0)
    assert anna.tasks_due == 3 and anna.discipline == pytest.approx(1 / 3)
    assert anna.csat == 4.5 and anna.nps == 0.0
    assert anna.satisfaction == pytest.approx((0.75 + 1.0 + 0.9 + 0.6) / 4)
    assert anna.feedback == 4.5 and anna.feedback_count == 2

    boris = card.row(2).kpis
    assert (boris.volume, boris.won_deals, boris.average_check) == (600.0, 1, 600.0)
    assert (boris.repeat_rate, boris.retention) == (1.0, 1.0)
    assert boris.plan is None  # only a quarterly plan
    assert (boris.held, boris.coverage, boris.dormant_share) == (2, 0.5, 0.5)

    vera, gleb = card.row(3).kpis, card.row(4).kpis
    # The hunter keeps the credit for the first purchase Вера closed.
    assert (vera.volume, vera.new_clients, vera.repeat_rate, vera.retention) == (
        500.0,
        0,
        0.0,
        None,
    )
    assert (gleb.volume, gleb.new_clients) == (250.0, 2)

    sever = next(g for g in card.teams if g.key == "Север")
    assert (sever.kpis.volume, sever.kpis.won_deals, sever.kpis.lost_deals) == (900.5, 3, 1)
    assert sever.kpis.plan == 600.0 and sever.managers == 2
    assert card.company.kpis.volume == 1650.5 and card.company.kpis.new_clients == 2
    assert card.company.kpis.response_minutes == 90.0
    farmers = next(g for g in card.role_groups if g.key == "farmer")
    assert farmers.kpis.volume == 1400.5 and farmers.name == "фермеры"


def test_farmers_are_ranked_among_farmers_and_the_hunter_alone(company: Engine) -> None:
    card = ks.scorecard(engine=company, period="2026-10", today=TODAY)
    # Volume: Анна 300.5 < Вера 500 < Борис 600.
    assert [card.row(i).percentiles["volume"] for i in (1, 3, 2)] == [0.0, 50.0, 100.0]
    assert card.row(4).rank == 1 and card.row(4).percentiles["new_clients"] == 50.0
    assert sorted(card.row(i).rank for i in (1, 2, 3)) == [1, 2, 3]
    assert [r.score for r in ks.leaderboard(card)] == sorted(
        (r.score for r in card.rows if r.score is not None), reverse=True
    )
    bars = ks.scorecard_bars(card, 2)
    assert {b.code for b in bars} == set(card.weights["farmer"])


def test_the_deal_on_the_last_day_counts_in_october_only(company: Engine) -> None:
    november = ks.scorecard(engine=company, period="2026-11", today=TODAY)
    assert november.row(1).kpis.volume == 10.0
    assert november.row(1).kpis.contacts == 1
    october = ks.drill_down(
        engine=company, period="2026-10", kpi="volume", manager_id=1, today=TODAY
    )
    assert [d.amount for d in october.deals] == [200.0, 100.5] and october.value == 300.5


def test_a_quarter_uses_the_quarterly_plan_or_the_sum_of_monthly_plans(company: Engine) -> None:
    card = ks.scorecard(engine=company, period="2026-Q4", today=TODAY)
    assert card.row(2).kpis.plan == 3000.0
    assert card.row(1).kpis.plan == 600.0
    # 53 of 92 days gone: Анна sold 310.50 (300.50 in October + 10 in November).
    assert card.elapsed_days == 53
    assert card.row(1).forecast == round(310.5 * 92 / 53, 2)


def test_every_kpi_is_compared_with_the_previous_period_and_last_year(company: Engine) -> None:
    comparison = ks.compare(engine=company, period="2026-10", today=TODAY)
    assert (comparison.previous, comparison.last_year) == ("2026-09", "2025-10")
    anna = {x.kpi: x for x in comparison.of("manager", "1")}
    assert (anna["volume"].current, anna["volume"].previous, anna["volume"].last_year) == (
        300.5,
        300.0,
        1000.0,
    )
    assert anna["volume"].change_previous == 0.5 and anna["volume"].change_last_year == -699.5
    # September: Анна won 300 from client 2 who had bought before → repeat rate 100 %.
    assert anna["repeat_rate"].previous == 1.0 and anna["conversion"].previous == 1.0
    assert "growth_prev" not in anna
    sever = {x.kpi: x for x in comparison.of("team", "Север")}
    # Север in September: 300 (Анна) + 400 (Борис).
    assert sever["volume"].previous == 700.0 and sever["volume"].current == 900.5
    company_rows = comparison.of("company", "company")
    assert len(company_rows) == len(ks.COMPARED) and company_rows[0].name == "Компания"


def test_drill_down_returns_the_records_behind_each_number(company: Engine) -> None:
    def drill(kpi: str, mid: int | None = 1) -> ks.DrillDown:
        return ks.drill_down(engine=company, period="2026-10", kpi=kpi, manager_id=mid, today=TODAY)

    assert drill("conversion").value == pytest.approx(2 / 3)
    assert [d.client_id for d in drill("new_clients", 4).deals] == [6, 3]
    assert [d.deal_id for d in drill("new_clients", None).deals] == [11, 12]
    assert drill("retention").value == 0.0 and [
        c.client_id for c in drill("retention").clients
    ] == [2]
    assert drill("repeat_rate").value == 1.0
    assert [a.minutes for a in drill("response_minutes").activities] == [90.0, 30.0, 240.0]
    assert drill("discipline").value == pytest.approx(1 / 3)
    coverage = drill("coverage", 2)
    assert coverage.value == 0.5 and {c.client_id: c.flag for c in coverage.clients} == {
        4: True,
        5: False,
    }
    assert drill("dormant_share", 2).value == 0.5
    assert drill("feedback").value == 4.5 and len(drill("satisfaction").scores) == 4
    assert drill("contacts").value == 2.0
    cut = ks.drill_down(engine=company, period="2026-10", kpi="volume", today=TODAY, limit=3)
    assert cut.truncated and len(cut.deals) == 3 and cut.value is None
    with pytest.raises(BadInputError):
        drill("luck")
    with pytest.raises(BadInputError):
        drill("coverage", None)
    with pytest.raises(NotFoundError):
        drill("volume", 99)


def test_trend_funnel_and_seasonality_give_chart_data(company: Engine) -> None:
    trend = ks.trends(engine=company, period="2026-10", months=3)
    assert trend.months == ["2026-08", "2026-09", "2026-10"]
    assert trend.company == [0.0, 700.0, 1650.5]
    assert trend.managers[1] == [0.0, 300.0, 300.5] and trend.names[1] == "Анна"
    funnel = {f.code: f.count for f in ks.funnel(engine=company, period="2026-10", manager_id=1)}
    # Created in October (closed − 5 days): the 100.50, the lost 50, the November 10 and the
    # open deal; closed: 2 won + 1 lost.
    assert funnel == {"inbound": 3, "contacts": 2, "created": 4, "closed": 3, "won": 2}
    season = {m.month: m.index for m in ks.seasonality(engine=company, today=TODAY)}
    assert len(season) == 12 and season[10] is not None and season[10] > 1.0


def test_plans_are_set_and_changed_and_weights_stored(company: Engine) -> None:
    created = ks.set_plan(engine=company, manager_id=3, period="2026-10", amount=1000)
    changed = ks.set_plan(engine=company, manager_id=3, period="2026-10", amount=400)
    assert created.created and not changed.created
    card = ks.scorecard(engine=company, period="2026-10", today=TODAY)
    assert card.row(3).kpis.plan == 400.0 and card.row(3).kpis.attainment == 1.25
    with pytest.raises(NotFoundError):
        ks.set_plan(engine=company, manager_id=99, period="2026-10", amount=1)
    with pytest.raises(BadInputError):
        ks.set_plan(engine=company, manager_id=3, period="2026-13", amount=1)
    ks.save_weights(engine=company, weights={"farmer": {"volume": 1.0}})
    card = ks.scorecard(engine=company, period="2026-10", today=TODAY)
    assert card.weights["farmer"] == {"volume": 1.0}
    assert card.row(2).score == 100.0 and card.row(1).score == 0.0


def test_the_overloaded_demo_farmer_shows_low_coverage_and_ranks_low(engine: Engine) -> None:
    create_demo(engine, DemoParams(today=TODAY))
    loads = {x.manager_id: x for x in cs.manager_loads(engine, today=TODAY)}
    card = ks.scorecard(engine=engine, period="2026-Q3", today=TODAY)
    farmers = [r for r in card.rows if r.role_group == "farmer" and r.kpis.held]
    heavy = [r for r in farmers if loads[r.manager_id].clients >= 70]
    assert heavy, "the demo company has an over-loaded account manager"
    mean_coverage = sum(r.kpis.coverage or 0 for r in farmers) / len(farmers)
    for r in heavy:
        assert r.kpis.coverage is not None and r.kpis.coverage < mean_coverage
        assert r.percentiles["coverage"] is not None and r.percentiles["coverage"] <= 50.0
        assert "охват клиентов" not in r.strengths
    assert all(r.score is not None for r in farmers)
    assert card.company.kpis.volume == pytest.approx(sum(r.kpis.volume for r in card.rows))
    assert card.company.kpis.new_clients > 0 and 0 < (card.company.kpis.retention or 0) <= 1


def test_the_parallel_read_gives_the_same_scorecard_as_one_transaction(company: Engine) -> None:
    both = [
        ks.scorecard(engine=company, period="2026-Q4", today=TODAY, parallel=flag)
        for flag in (True, False)
    ]
    assert [(r.manager_id, r.kpis, r.score, r.rank) for r in both[0].rows] == [
        (r.manager_id, r.kpis, r.score, r.rank) for r in both[1].rows
    ]
    assert both[0].company == both[1].company and both[0].teams == both[1].teams


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_scorecard_on_the_demo(
    sqlite_url: str, pg_url: str
) -> None:
    cards = []
    for url in (sqlite_url, pg_url):
        eng = make_engine(url)
        migrate.upgrade(eng)
        create_demo(eng, DemoParams(clients=400, managers=5, months=15, today=TODAY))
        cards.append(
            [
                ks.scorecard(engine=eng, period=p, today=TODAY)
                for p in ("2026-10", "2026-Q3", "2026")
            ]
        )
        eng.dispose()
    for lite, pg in zip(*cards, strict=True):
        assert [(r.manager_id, r.kpis, r.score, r.rank) for r in lite.rows] == [
            (r.manager_id, r.kpis, r.score, r.rank) for r in pg.rows
        ]
        assert lite.company == pg.company and lite.teams == pg.teams

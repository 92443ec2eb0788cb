"""Credit split and bonus statements on SQLite and PostgreSQL: the guide's worked example
computed by hand, schemes and split stored as data, and the reconciliation with the KPIs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.core import bonus as core_bonus
from clientbase.core.kpi import parse_period
from clientbase.db import tables as t
from clientbase.errors import BadInputError, NotFoundError
from clientbase.services import bonus as bs
from clientbase.services import kpi as ks
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)
D = dt.date


def _company(engine: Engine) -> None:
    """The example of docs/bonus.md.

    Анна (2) is the account manager of «Альфа» (VIP), «Бета», «Гамма» (after its first
    purchase), «Дельта» and «Эпсилон»; Сергей (5) services «Альфа» and, since 1 October,
    «Дельта»; the hunter Глеб (3) found «Гамма» and closed its first purchase; Вера (6)
    alone serves «Омега».
    """
    with Session(engine) as s, s.begin():
        for mid, name, group in (
            (2, "Анна", "farmer"),
            (3, "Глеб", "hunter"),
            (5, "Сергей", "service"),
            (6, "Вера", "farmer"),
        ):
            s.add(t.Manager(id=mid, name=name, role_group=group))
        for cid, name, tier, first in (
            (1, "Альфа", "VIP", D(2025, 1, 10)),
            (2, "Бета", "B", D(2025, 1, 10)),
            (3, "Гамма", "A", None),
            (4, "Дельта", "B", D(2025, 1, 10)),
            (5, "Эпсилон", "C", D(2025, 1, 10)),
            (6, "Омега", "C", D(2025, 1, 10)),
        ):
            s.add(t.Client(id=cid, name=name, tier=tier, tier_given=True, first_purchase=first))
        s.flush()
        for cid, role, mid, since, until in (
            (1, "account", 2, D(2025, 1, 10), None),
            (1, "service", 5, D(2025, 1, 10), None),
            (2, "account", 2, D(2025, 1, 10), None),
            (3, "acquisition", 3, D(2026, 8, 1), D(2026, 10, 12)),
            (3, "account", 2, D(2026, 10, 12), None),
            (4, "account", 2, D(2025, 1, 10), None),
            (4, "service", 5, D(2026, 10, 1), None),
            (5, "account", 2, D(2025, 1, 10), None),
            (6, "account", 6, D(2025, 1, 10), None),
        ):
            s.add(
                t.Responsibility(client_id=cid, role=role, manager_id=mid, since=since, until=until)
            )
        deals = [
            # September: Анна sold to four clients (the base of her October retention).
            (2, 1, 10_000.0, D(2026, 9, 10)),
            (2, 2, 10_000.0, D(2026, 9, 10)),
            (2, 4, 10_000.0, D(2026, 9, 10)),
            (2, 5, 10_000.0, D(2026, 9, 10)),
            # October
            (2, 1, 400_000.01, D(2026, 10, 5)),
            (2, 2, 500_000.0, D(2026, 10, 8)),
            (3, 3, 300_000.0, D(2026, 10, 12)),
            (2, 4, 200_000.0, D(2026, 10, 20)),
            (6, 6, 123_456.78, D(2026, 10, 15)),
        ]
        for k, (mid, cid, amount, closed) in enumerate(deals, start=1):
            s.add(
                t.Deal(
                    id=k,
                    client_id=cid,
                    manager_id=mid,
                    amount=amount,
                    created=closed - dt.timedelta(days=7),
                    closed=closed,
                    outcome="won",
                )
            )
        # A lost deal and an open one never count.
        s.add(
            t.Deal(
                id=50,
                client_id=2,
                manager_id=2,
                amount=9e5,
                created=D(2026, 10, 1),
                closed=D(2026, 10, 9),
                outcome="lost",
            )
        )
        s.add(
            t.Deal(
                id=51, client_id=2, manager_id=2, amount=9e5, created=D(2026, 10, 1), outcome="open"
            )
        )
        s.add(t.PlanTarget(manager_id=2, period="2026-10", amount=1_000_000))
        s.add(t.PlanTarget(manager_id=3, period="2026-10", amount=250_000))


@pytest.fixture
def company(engine: Engine) -> Engine:
    _company(engine)
    return engine


def test_the_guide_example_gives_the_hand_computed_statement(company: Engine) -> None:
    st = bs.statement(engine=company, period="2026-10")
    totals = {r.manager: r.total for r in st.rows}
    assert totals == {"Анна": 94_800.0, "Глеб": 70_000.0, "Сергей": 56_800.0, "Вера": 60_000.0}
    anna = st.row(2)
    assert anna.credited == 920_000.01 and anna.kpi_volume == 1_100_000.01
    assert anna.attainment == pytest.approx(0.92) and anna.plan == 1_000_000
    lines = [(x.code, x.title, x.base, x.rate, x.amount) for x in anna.lines]
    assert lines == [
        ("salary", "Оклад", None, None, 60_000.0),
        ("volume", "% от зачтённого объёма (значимость: B)", 640_000.0, 3.0, 19_200.0),
        ("volume", "% от зачтённого объёма (значимость: VIP)", 280_000.01, 2.0, 5_600.0),
        ("retention", "Бонус за удержание клиентов", 0.75, 10_000.0, 10_000.0),
    ]
    assert anna.lines[1].threshold == "выполнение плана 92 % → ступень от 80 %"
    assert anna.lines[3].threshold == "удержание 75 % ≥ порога 70 %"
    gleb = st.row(3)
    assert gleb.new_clients == 1 and gleb.credited == 300_000.0
    assert [x.amount for x in gleb.lines] == [50_000.0, 15_000.0, 5_000.0]
    assert st.total == 281_600.0


def test_credited_volume_reconciles_with_the_kpi_volume_of_the_period(company: Engine) -> None:
    report = bs.credit_report(engine=company, period="2026-10")
    card = ks.scorecard(engine=company, period="2026-10", today=TODAY)
    assert report.company_volume == card.company.kpis.volume == 1_523_456.79
    assert round(sum(r.credited for r in report.rows), 2) == report.company_volume
    assert report.unassigned == 0.0
    by = {r.manager_id: r for r in report.rows}
    # Вера's client team is only Вера: she is credited exactly her KPI volume.
    assert by[6].credited == by[6].kpi_volume == card.row(6).kpis.volume == 123_456.78
    assert by[5].by_role == {"service": 180_000.0}
    assert by[2].by_role == {"account": 770_000.01, "vacant": 150_000.0}
    assert by[3].by_role == {"first_purchase": 300_000.0}


def test_the_team_on_the_close_date_decides_who_shares(company: Engine) -> None:
    # Сергей joined «Дельта» on 1 October: he shares its 20 October deal, not the
    # September one (that share went to Анна, the deal's responsible manager).
    sept = bs.deal_credits(engine=company, period="2026-09")
    delta = [(c.manager_id, c.role, c.credited, c.reason) for c in sept if c.deal_id == 3]
    assert delta == [
        (2, "account", 7_000.0, "по роли в команде клиента"),
        (2, "service", 3_000.0, "роль никем не занята — доля ответственному за сделку"),
    ]
    octo = bs.deal_credits(engine=company, period="2026-10", manager_id=5)
    assert [(c.deal_id, c.credited, c.role) for c in octo] == [
        (5, 120_000.0, "service"),
        (8, 60_000.0, "service"),
    ]


def test_a_stored_split_changes_the_credit_and_survives_a_reload(company: Engine) -> None:
    assert not bs.show_split(engine=company).stored
    bs.save_split(
        engine=company, data={"rules": [{"name": "всё аккаунту", "shares": {"account": 100}}]}
    )
    view = bs.show_split(engine=company)
    assert view.stored and view.rules[0].shares == {"account": 100.0}
    report = bs.credit_report(engine=company, period="2026-10")
    by = {r.manager_id: r.credited for r in report.rows}
    assert by[5] == 0.0 and by[2] == 1_100_000.01  # = Анна's KPI volume
    with pytest.raises(BadInputError, match="ровно 100"):
        bs.save_split(engine=company, data={"rules": [{"shares": {"account": 90}}]})
    assert bs.show_split(engine=company).rules[0].name == "всё аккаунту"


def test_schemes_from_a_file_are_stored_and_used(company: Engine, tmp_path: Path) -> None:
    path = tmp_path / "schemes.toml"
    path.write_text(
        '[[schemes]]\nname = "Фермеры плоско"\nrole_group = "farmer"\nsalary = 70000\n'
        "volume_steps = [{from = 0, rate = 2}]\n",
        encoding="utf-8",
    )
    view = bs.import_schemes(engine=company, path=path)
    assert view.stored and [s.name for s in view.schemes.schemes] == ["Фермеры плоско"]
    st = bs.statement(engine=company, period="2026-10")
    # 70 000 + 2 % × 920 000,01 = 18 400,0002 → 18 400,00; Вера 2 % × 123 456,78 → 2 469,14
    assert st.row(2).total == 88_400.0 and st.row(6).total == 72_469.14
    assert st.row(3).scheme is None and st.row(3).total == 0.0
    bad = tmp_path / "bad.json"
    bad.write_text('{"schemes": [{"role_group": "farmer",', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"bad\.json: ошибка JSON в строке 1"):
        bs.import_schemes(engine=company, path=bad)
    with pytest.raises(BadInputError, match=r"\.json или \.toml"):
        bs.read_schemes_file(path=tmp_path / "schemes.txt")


def test_what_if_sets_the_proposed_schemes_beside_the_current_ones(
    company: Engine, tmp_path: Path
) -> None:
    data = core_bonus.schemes_to_data(core_bonus.DEFAULT_SCHEMES)
    data["schemes"][1]["volume_steps"] = [{"from": 0, "rate": 1}]  # farmers: flat 1 %
    path = tmp_path / "flat.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = bs.what_if(engine=company, period="2026-10", schemes=bs.read_schemes_file(path=path))
    rows = {r.manager: r for r in result.rows}
    # Анна: 60 000 + 1 % × 920 000,01 (9 200,00) + 10 000 = 79 200 instead of 94 800
    assert (rows["Анна"].current, rows["Анна"].proposed) == (94_800.0, 79_200.0)
    assert rows["Анна"].difference == -15_600.0
    assert rows["Глеб"].difference == 0.0
    assert result.current_total == 281_600.0
    assert result.difference == round(result.proposed_total - result.current_total, 2)
    assert not bs.show_schemes(engine=company).stored  # what-if stores nothing


def test_what_if_with_one_group_leaves_the_other_groups_on_their_schemes(
    company: Engine,
) -> None:
    farmers_only = core_bonus.parse_schemes(
        {
            "schemes": [
                {
                    "name": "Фермеры 2 %",
                    "role_group": "farmer",
                    "salary": 60000,
                    "volume_steps": [{"from": 0, "rate": 2}],
                }
            ]
        }
    )
    result = bs.what_if(engine=company, period="2026-10", schemes=farmers_only)
    rows = {r.manager: r for r in result.rows}
    assert rows["Глеб"].proposed_scheme == "Охотники" and rows["Глеб"].difference == 0.0
    # Анна: 60 000 + 2 % × 920 000,01 = 78 400 (no retention bonus in this scheme)
    assert rows["Анна"].proposed == 78_400.0
    whole = bs.what_if(engine=company, period="2026-10", schemes=farmers_only, replace_all=True)
    gleb = next(r for r in whole.rows if r.manager == "Глеб")
    assert gleb.proposed_scheme is None and gleb.proposed == 0.0


def test_a_quarter_statement_is_the_sum_of_its_months(company: Engine) -> None:
    st = bs.statement(engine=company, period="2026-Q4", manager_id=6)
    assert st.months == ["2026-10", "2026-11", "2026-12"]
    vera = st.row(6)
    assert [x.amount for x in vera.lines if x.code == "salary"] == [60_000.0] * 3
    assert vera.total == 180_000.0 and vera.credited == 123_456.78
    with pytest.raises(NotFoundError):
        bs.statement(engine=company, period="2026-10", manager_id=99)
    with pytest.raises(BadInputError):
        bs.statement(engine=company, period="2026-13")


def test_the_demo_month_reconciles_with_the_kpi_export(engine: Engine) -> None:
    create_demo(engine, DemoParams(today=TODAY))
    card = ks.scorecard(engine=engine, period="2026-10", today=TODAY)
    st = bs.statement(engine=engine, period="2026-10")
    assert st.company_volume == card.company.kpis.volume > 0
    assert round(sum(r.credited for r in st.rows), 2) == st.credited_total == st.company_volume
    assert st.unassigned == 0.0
    for row in st.rows:
        assert row.kpi_volume == card.row(row.manager_id).kpis.volume
        assert row.total == round(sum(x.amount for x in row.lines), 2)
    assert st.total == round(sum(r.total for r in st.rows), 2)


TEAM_ROWS = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=4),  # client
        st.sampled_from(["acquisition", "account", "service", "admin"]),
        st.integers(min_value=1, max_value=3),  # manager
        st.integers(min_value=0, max_value=60),  # since, days after 1 September
        st.one_of(st.none(), st.integers(min_value=1, max_value=40)),  # length in days
    ),
    max_size=10,
)
DEALS = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=4),  # client
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),  # responsible
        st.integers(min_value=0, max_value=10**9),  # kopecks
        st.integers(min_value=0, max_value=75),  # closed, days after 1 September
    ),
    max_size=12,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(team=TEAM_ROWS, deals=DEALS)
def test_credited_plus_not_credited_is_the_won_volume_for_any_company(
    engine: Engine,
    team: list[tuple[int, str, int, int, int | None]],
    deals: list[tuple[int, int | None, int, int]],
) -> None:
    start = D(2026, 9, 1)
    with Session(engine) as s, s.begin():
        for table in (t.Deal, t.Responsibility, t.Client, t.Manager):
            s.query(table).delete()
        for mid in (1, 2, 3):
            s.add(t.Manager(id=mid, name=f"М{mid}", role_group="farmer"))
        for cid, tier in ((1, "VIP"), (2, "A"), (3, "B"), (4, "C")):
            s.add(t.Client(id=cid, name=f"К{cid}", tier=tier))
        s.flush()
        taken: set[tuple[int, str]] = set()
        for cid, role, mid, since, length in team:
            until = None if length is None else start + dt.timedelta(days=since + length)
            if until is None and (cid, role) in taken:
                continue  # at most one open row per client and role
            if until is None:
                taken.add((cid, role))
            s.add(
                t.Responsibility(
                    client_id=cid,
                    role=role,
                    manager_id=mid,
                    since=start + dt.timedelta(days=since),
                    until=until,
                )
            )
        for k, (cid, mid, kopecks, closed) in enumerate(deals, start=1):
            day = start + dt.timedelta(days=closed)
            s.add(
                t.Deal(
                    id=k,
                    client_id=cid,
                    manager_id=mid,
                    amount=kopecks / 100,
                    created=day,
                    closed=day,
                    outcome="won",
                )
            )
    for period in ("2026-10", "2026-Q4"):
        report = bs.credit_report(engine=engine, period=period)
        p = parse_period(period)
        won = sum(k for _, _, k, c in deals if p.contains(start + dt.timedelta(days=c)))
        credited = round(sum(r.credited for r in report.rows) * 100)
        assert report.company_volume * 100 == pytest.approx(won, abs=0.5)
        assert credited + round(report.unassigned * 100) == won
        shares = bs.deal_credits(engine=engine, period=period)
        per_deal: dict[int, float] = {}
        for c in shares:
            per_deal[c.deal_id] = per_deal.get(c.deal_id, 0.0) + c.credited
        assert all(
            round(v, 2) == next(x.amount for x in shares if x.deal_id == d)
            for d, v in per_deal.items()
        )

"""The demo company: the worked example of SPEC §1, realistic and reproducible."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest

from clientbase.errors import BadInputError
from clientbase.services.demo import DemoData, DemoParams, generate

TODAY = dt.date(2026, 11, 22)


def rows(data: DemoData, table: str) -> list[dict[str, Any]]:
    t = data.tables[table]
    return [dict(zip(t.columns, r, strict=True)) for r in t.rows()]


@pytest.fixture(scope="module")
def company() -> DemoData:
    return generate(DemoParams(today=TODAY))


def test_same_seed_and_date_give_the_same_company() -> None:
    a = generate(DemoParams(clients=200, seed=7, today=TODAY))
    b = generate(DemoParams(clients=200, seed=7, today=TODAY))
    for name in a.tables:
        assert list(a.tables[name].rows()) == list(b.tables[name].rows()), name


def test_another_seed_gives_another_company() -> None:
    a = generate(DemoParams(clients=200, seed=1, today=TODAY))
    b = generate(DemoParams(clients=200, seed=2, today=TODAY))
    assert list(a.tables["clients"].rows()) != list(b.tables["clients"].rows())


def test_default_staff_is_the_worked_example(company: DemoData) -> None:
    managers = rows(company, "managers")
    farmers = [m for m in managers if m["role_group"] == "farmer"]
    dealers = [m for m in farmers if m["team"] == "Дилеры"]
    vip = [m for m in farmers if m["tiers"] == "VIP"]
    gov = [m for m in farmers if m["ownerships"] == "Государственная"]
    assert len(farmers) == 10
    assert len(dealers) == 7
    assert len({m["regions"] for m in dealers}) == 7  # one territory each
    assert all(";" not in m["regions"] for m in dealers)
    assert sorted(m["regions"] == "Москва" for m in vip) == [False, True]
    assert "Москва" not in next(m for m in vip if m["regions"] != "Москва")["regions"]
    assert [m["regions"] for m in gov] == ["Москва"]
    groups = Counter(m["role_group"] for m in managers)
    assert groups["head"] == 1 and groups["service"] >= 1 and groups["admin"] >= 1
    assert 2 <= groups["hunter"] <= 5


def test_there_are_about_900_clients_of_every_segment(company: DemoData) -> None:
    clients = rows(company, "clients")
    assert len(clients) == 900
    for field in ("region", "industry", "product_line", "channel", "ownership"):
        assert len({c[field] for c in clients}) >= 3, field
    assert {c["tier"] for c in clients} == {"VIP", "A", "B", "C"}
    assert {c["status"] for c in clients} == {"prospect", "active", "dormant", "lost"}


def test_government_clients_sit_where_the_government_manager_works(company: DemoData) -> None:
    clients = rows(company, "clients")
    assert {c["region"] for c in clients if c["ownership"] == "Государственная"} == {"Москва"}


def test_potential_is_skewed_like_pareto(company: DemoData) -> None:
    potentials = sorted((c["potential"] for c in rows(company, "clients")), reverse=True)
    top = sum(potentials[: len(potentials) // 5])
    assert top / sum(potentials) > 0.5


def test_some_managers_are_over_loaded_and_some_clients_dormant(company: DemoData) -> None:
    active = [r for r in rows(company, "responsibilities") if r["until"] is None]
    load = Counter(r["manager_id"] for r in active if r["role"] == "account")
    assert max(load.values()) >= 70
    assert min(load.values()) < 50
    statuses = Counter(c["status"] for c in rows(company, "clients"))
    assert statuses["dormant"] >= 50


def test_each_client_has_at_most_one_active_responsible_per_role(company: DemoData) -> None:
    seen = Counter(
        (r["client_id"], r["role"]) for r in rows(company, "responsibilities") if r["until"] is None
    )
    assert max(seen.values()) == 1


def test_prospects_never_have_won_deals_and_buyers_do(company: DemoData) -> None:
    clients = {c["id"]: c for c in rows(company, "clients")}
    won = defaultdict(int)
    for d in rows(company, "deals"):
        if d["outcome"] == "won":
            won[d["client_id"]] += 1
    for cid, c in clients.items():
        if c["status"] == "prospect":
            assert won[cid] == 0
    assert sum(1 for c in clients.values() if c["status"] == "active" and won[c["id"]]) > 100


def test_deals_span_24_months_with_a_december_peak(company: DemoData) -> None:
    deals = [d for d in rows(company, "deals") if d["outcome"] == "won"]
    closed = [dt.date.fromisoformat(d["closed"]) for d in deals]
    assert (TODAY - min(closed)).days >= 700
    assert max(closed) <= TODAY
    by_month = Counter(c.month for c in closed)
    volume = defaultdict(float)
    for d, c in zip(deals, closed, strict=True):
        volume[c.month] += d["amount"]
    assert volume[12] > volume[1] * 1.3
    assert by_month[12] > by_month[1]


def test_status_follows_the_last_purchase(company: DemoData) -> None:
    for c in rows(company, "clients"):
        if c["status"] in ("active", "dormant"):
            gap = (TODAY - dt.date.fromisoformat(c["last_purchase"])).days
            assert (gap > 60) == (c["status"] == "dormant"), c


def test_over_loaded_managers_leave_clients_uncontacted(company: DemoData) -> None:
    """Buried clients: the busiest managers have the lowest 30-day coverage."""
    active = [
        r
        for r in rows(company, "responsibilities")
        if r["until"] is None and r["role"] == "account"
    ]
    book: dict[int, set[int]] = defaultdict(set)
    for r in active:
        book[r["manager_id"]].add(r["client_id"])
    cutoff = f"{TODAY - dt.timedelta(days=30)}"
    touched = {
        (a["manager_id"], a["client_id"])
        for a in rows(company, "activities")
        if a["started"] >= cutoff
    }
    coverage = {
        m: sum((m, c) in touched for c in clients) / len(clients)
        for m, clients in book.items()
        if len(clients) >= 20
    }
    busiest = max(coverage, key=lambda m: len(book[m]))
    calmest = min(coverage, key=lambda m: len(book[m]))
    assert coverage[busiest] < coverage[calmest]


def test_it_scales_the_structure_with_the_number_of_managers() -> None:
    data = generate(DemoParams(clients=3000, managers=40, months=6, today=TODAY))
    managers = rows(data, "managers")
    assert sum(m["role_group"] == "farmer" for m in managers) == 40
    clients = rows(data, "clients")
    active = [r for r in rows(data, "responsibilities") if r["until"] is None]
    ids = {m["id"] for m in managers}
    assert all(r["manager_id"] in ids for r in active)
    assert all(1 <= r["client_id"] <= len(clients) for r in active)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (DemoParams(clients=0, today=TODAY), "--clients"),
        (DemoParams(managers=0, today=TODAY), "--managers"),
        (DemoParams(months=0, today=TODAY), "--months"),
    ],
)
def test_impossible_parameters_are_refused(params: DemoParams, fragment: str) -> None:
    with pytest.raises(BadInputError, match=fragment):
        generate(params)


def test_a_tiny_company_still_works() -> None:
    data = generate(DemoParams(clients=1, managers=1, months=1, today=TODAY))
    assert data.counts()["clients"] == 1

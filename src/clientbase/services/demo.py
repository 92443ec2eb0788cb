"""A realistic, reproducible demo company (SPEC §1 worked example, scalable).

By default: a wholesaler of digital equipment with 10 account managers — 7 dealer
managers, one territory each; 2 VIP managers (Moscow, all other territories); one
government-sector manager (Moscow) — plus hunters, a head of sales, a service engineer
and an administrator; about 900 clients with Pareto-like potential, 24 months of deals
and activities with seasonality, over-loaded managers who bury clients, dormant clients,
and a messy current assignment (clients held by managers outside their territory, and
clients a hunter never handed off), so every later feature has something real to show.

The same seed and reference date always give the same company.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.pool import StaticPool

from clientbase.core.types import abc_tiers
from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.bulk import bulk_insert, reset_sequences
from clientbase.db.engine import make_engine, writer
from clientbase.errors import BadInputError

TERRITORIES = [
    "Москва",
    "Центр",
    "Северо-Запад",
    "Поволжье",
    "Юг",
    "Урал",
    "Сибирь",
    "Дальний Восток",
    "Северный Кавказ",
]
CITIES = {
    "Москва": ["Москва", "Зеленоград", "Химки", "Подольск"],
    "Центр": ["Тула", "Воронеж", "Ярославль", "Рязань", "Курск"],
    "Северо-Запад": ["Санкт-Петербург", "Калининград", "Мурманск", "Великий Новгород"],
    "Поволжье": ["Казань", "Нижний Новгород", "Самара", "Уфа", "Саратов"],
    "Юг": ["Краснодар", "Ростов-на-Дону", "Волгоград", "Сочи"],
    "Урал": ["Екатеринбург", "Челябинск", "Тюмень", "Пермь"],
    "Сибирь": ["Новосибирск", "Красноярск", "Омск", "Иркутск"],
    "Дальний Восток": ["Владивосток", "Хабаровск", "Якутск"],
    "Северный Кавказ": ["Ставрополь", "Махачкала", "Нальчик"],
}
INDUSTRIES = [
    ("Розничная торговля", 0.22),
    ("Системная интеграция", 0.16),
    ("Промышленность", 0.14),
    ("Банки и финансы", 0.08),
    ("Логистика", 0.08),
    ("Телеком", 0.07),
    ("Строительство", 0.07),
    ("Образование", 0.08),
    ("Здравоохранение", 0.06),
    ("Госуправление", 0.04),
]
GOV_INDUSTRIES = [("Госуправление", 0.45), ("Образование", 0.3), ("Здравоохранение", 0.25)]
PRODUCT_LINES = [
    ("Компьютеры и ноутбуки", 0.32),
    ("Периферия и печать", 0.2),
    ("Сетевое оборудование", 0.16),
    ("Серверы и СХД", 0.12),
    ("Мобильные устройства", 0.12),
    ("ПО и лицензии", 0.08),
]
CHANNELS = [
    ("Дилеры", 0.5),
    ("Системные интеграторы", 0.15),
    ("Розничные сети", 0.15),
    ("Интернет-магазины", 0.1),
    ("Прямые продажи", 0.1),
]
COMMERCIAL, INDIVIDUAL, GOVERNMENT = "Коммерческая", "ИП", "Государственная"
OPEN_STAGES = ["Новая", "Подготовка КП", "Согласование", "Счёт выставлен"]
WON_STAGE, LOST_STAGE = "Сделка успешна", "Сделка провалена"
# Relative sales by calendar month (Jan…Dec): a January dip, a summer lull and the
# December budget rush that equipment wholesalers see.
SEASONALITY = np.array([0.7, 0.85, 1.0, 1.0, 0.95, 0.9, 0.8, 0.85, 1.05, 1.1, 1.15, 1.45])
# Mean days between purchases and monthly contacts, by tier (VIP, A, B, C).
TIERS = ["VIP", "A", "B", "C"]
PURCHASE_INTERVAL = np.array([21.0, 30.0, 40.0, 55.0])
CONTACTS_PER_MONTH = np.array([6.0, 3.0, 1.5, 0.8])
ACTIVITY_TYPES = ["call", "email", "meeting", "task", "inbound"]
ACTIVITY_SHARES = np.array([0.5, 0.25, 0.1, 0.1, 0.05])
ACTIVITY_MINUTES = {  # (min, max) duration per type
    "call": (5, 25),
    "email": (5, 15),
    "meeting": (45, 120),
    "task": (15, 90),
    "inbound": (3, 10),
}
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
SECONDS_PER_DAY = 86_400
EPOCH = dt.date(1970, 1, 1)


# Configuration that a demo with --replace keeps: it is not company data.
KEPT_TABLES = frozenset({"competencies"})


@dataclass(frozen=True, slots=True)
class DemoParams:
    """What demo company to make: `managers` counts the account managers (farmers)."""

    clients: int = 900
    managers: int = 10
    months: int = 24
    seed: int = 42
    today: dt.date = field(default_factory=dt.date.today)

    def check(self) -> None:
        """Reject values that cannot make a company."""
        if self.clients < 1:
            raise BadInputError("--clients: нужно не меньше 1 клиента.")
        if self.managers < 1:
            raise BadInputError("--managers: нужен хотя бы 1 менеджер.")
        if not 1 <= self.months <= 120:
            raise BadInputError("--months: от 1 до 120 месяцев истории.")
        if self.seed < 0:
            raise BadInputError("--seed: неотрицательное целое число.")


@dataclass(slots=True)
class TableRows:
    """Rows for one table, kept column-wise: one sequence per name in `columns`."""

    columns: tuple[str, ...]
    data: list[Sequence[Any]]

    @classmethod
    def from_rows(cls, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> TableRows:
        """Build from row tuples."""
        data: list[Sequence[Any]] = (
            [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in columns]
        )
        return cls(columns, data)

    def __len__(self) -> int:
        return len(self.data[0]) if self.data else 0

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Row tuples, produced lazily."""
        return zip(*self.data, strict=True)


@dataclass(slots=True)
class DemoData:
    """The generated company, table by table, in insertion order."""

    tables: dict[str, TableRows]
    meta: dict[str, str]

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(tr) for name, tr in self.tables.items()}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What `create_demo` wrote and how long it took."""

    counts: dict[str, int]
    seconds: float


@dataclass(slots=True)
class _Staff:
    """Managers of the demo, column-wise, with helper lists for eligibility."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **values: Any) -> int:
        values["id"] = len(self.rows) + 1
        self.rows.append(values)
        return int(values["id"])

    def ids(self, kind: str) -> list[int]:
        return [r["id"] for r in self.rows if r["kind"] == kind]


def _split(items: Sequence[str], n: int) -> list[list[str]]:
    """Spread items over n holders round robin; with more holders than items, they share."""
    if n <= 0:
        return []
    if n >= len(items):
        return [[items[k % len(items)]] for k in range(n)]
    groups: list[list[str]] = [[] for _ in range(n)]
    for k, item in enumerate(items):
        groups[k % n].append(item)
    return groups


def _weights(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
    names = [p[0] for p in pairs]
    w = np.array([p[1] for p in pairs], dtype=float)
    return names, w / w.sum()


def _email(name: str, ident: int) -> str:
    last = name.split()[0].lower()
    latin = "".join(TRANSLIT.get(ch, ch) for ch in last).replace("-", "")
    return f"{latin}.{ident}@cifra-opt.ru"


def _date_str(days: np.ndarray) -> list[str]:
    """Day numbers since 1970-01-01 → ISO dates, through a lookup over the day range."""
    return list(_date_lookup(days))


def _date_lookup(days: np.ndarray) -> np.ndarray:
    if days.size == 0:
        return np.zeros(0, dtype=object)
    lo, hi = int(days.min()), int(days.max())
    text = np.array(
        [(EPOCH + dt.timedelta(days=d)).isoformat() for d in range(lo, hi + 1)], dtype=object
    )
    picked: np.ndarray = text[days - lo]
    return picked


TIME_OF_DAY = np.array(
    [f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000000" for s in range(SECONDS_PER_DAY)],
    dtype=object,
)


def _datetime_str(seconds: np.ndarray) -> list[str]:
    """Seconds since the epoch → the text form SQLAlchemy stores DATETIME in on SQLite."""
    out: list[str] = (
        _date_lookup(seconds // SECONDS_PER_DAY) + TIME_OF_DAY[seconds % SECONDS_PER_DAY]
    ).tolist()
    return out


def _work_time(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Move days off weekends and add a working-hours time; returns epoch seconds."""
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    day = day - np.where(weekday == 5, 1, 0) - np.where(weekday == 6, 2, 0)
    minute = rng.integers(9 * 60, 18 * 60, size=day.size)
    return day * SECONDS_PER_DAY + minute * 60


def _make_staff(p: DemoParams, fake: Faker, rng: np.random.Generator) -> tuple[_Staff, list[str]]:
    m = p.managers
    n_dealer = max(1, round(0.7 * m))
    n_vip = round(0.2 * m) if m >= 3 else 0
    n_gov = max(0, m - n_dealer - n_vip)
    territories = TERRITORIES[: max(1, min(len(TERRITORIES), n_dealer))]
    staff = _Staff()

    def person(
        kind: str,
        role_group: str,
        team: str,
        grade: int,
        regions: Sequence[str] | str = "*",
        **extra: Any,
    ) -> int:
        if rng.random() < 0.6:
            full = f"{fake.last_name_male()} {fake.first_name_male()} {fake.middle_name_male()}"
        else:
            full = (
                f"{fake.last_name_female()} {fake.first_name_female()} {fake.middle_name_female()}"
            )
        ident = len(staff.rows) + 1
        experience = round(float(rng.uniform(0.5, 3.0)) + 2.0 * (grade - 1), 1)
        return staff.add(
            kind=kind,
            name=full,
            email=_email(full, ident),
            role_group=role_group,
            team=team,
            grade=grade,
            experience_years=experience,
            hours=float(rng.choice([100.0, 120.0, 120.0, 130.0])),
            complexity=int(extra.pop("complexity", 3)),
            # A wholesaler with a CRM, scripts and a product team: drivers mostly 3–5.
            readiness=int(rng.integers(3, 6)),
            support=int(rng.integers(3, 6)),
            tools=int(rng.integers(3, 6)),
            regions=regions if isinstance(regions, str) else ";".join(regions),
            industries="*",
            product_lines="*",
            channels="*",
            ownerships=extra.pop("ownerships", "*"),
            tiers=extra.pop("tiers", "*"),
            active=True,
        )

    n_head = max(1, m // 15)
    for regions in _split(territories, n_head) if n_head > 1 else [["*"]]:
        person("head", "head", "Руководство", 5, "*" if regions == ["*"] else regions)
    for k in range(n_dealer):
        region = territories[k % len(territories)]
        person(
            "dealer",
            "farmer",
            f"Дилеры — {region}" if m > 10 else "Дилеры",
            int(rng.choice([3, 3, 4, 4, 5])),
            [region],
            tiers="A;B;C",
            ownerships=f"{COMMERCIAL};{INDIVIDUAL}",
        )
    vip_regions: list[list[str]] = []
    if n_vip == 1:
        vip_regions = [list(territories)]
    elif n_vip >= 2:
        rest = territories[1:] or territories
        vip_regions = [[territories[0]], *_split(rest, n_vip - 1)]
    for regions in vip_regions:
        person(
            "vip",
            "farmer",
            "VIP",
            int(rng.choice([4, 5])),
            regions,
            tiers="VIP",
            ownerships=f"{COMMERCIAL};{INDIVIDUAL}",
            complexity=4,
        )
    gov_groups = [[territories[0]]] if n_gov == 1 else _split(territories, n_gov)
    for regions in gov_groups:
        person(
            "gov",
            "farmer",
            "Госсектор",
            int(rng.choice([3, 4])),
            regions,
            ownerships=GOVERNMENT,
            complexity=4,
        )
    n_hunt = max(2, round(0.4 * m))
    for regions in _split(territories, n_hunt):
        person("hunter", "hunter", "Поиск клиентов", int(rng.choice([1, 2, 2, 3])), regions)
    for _ in range(max(1, m // 10)):
        person("service", "service", "Сервис", 3, "*", complexity=4)
    for _ in range(max(1, m // 10)):
        person("admin", "admin", "Администрирование", 2, "*")
    return staff, territories


def _eligible_index(staff: _Staff, kind: str) -> dict[str, list[int]]:
    """Territory → ids of managers of a kind covering it."""
    index: dict[str, list[int]] = {}
    for r in staff.rows:
        if r["kind"] != kind:
            continue
        for region in r["regions"].split(";"):
            index.setdefault(region, []).append(r["id"])
    return index


def generate(p: DemoParams) -> DemoData:
    """Generate the whole demo company in memory (no database access)."""
    p.check()
    rng = np.random.default_rng(p.seed)
    fake = Faker("ru_RU")
    fake.seed_instance(p.seed)
    staff, territories = _make_staff(p, fake, rng)
    today = (p.today - EPOCH).days
    window_start = today - round(p.months * 30.44)
    n = p.clients

    # --- clients: segment, potential, tier -------------------------------------------------
    t_weights = np.array([1.5] + [1.0] * (len(territories) - 1))[: len(territories)]
    region_idx = rng.choice(len(territories), size=n, p=t_weights / t_weights.sum())
    gov_index = _eligible_index(staff, "gov")
    gov_share_regions = np.array([1.0 if r in gov_index else 0.0 for r in territories])
    gov_cover = float((t_weights * gov_share_regions).sum() / t_weights.sum()) or 1.0
    gov_p = np.where(gov_share_regions[region_idx] > 0, min(0.5, 0.08 / gov_cover), 0.0)
    u = rng.random(n)
    ownership = np.where(u < gov_p, GOVERNMENT, np.where(u < gov_p + 0.1, INDIVIDUAL, COMMERCIAL))
    ind_names, ind_w = _weights(INDUSTRIES)
    gov_names, gov_w = _weights(GOV_INDUSTRIES)
    industry = np.where(
        ownership == GOVERNMENT,
        np.array(gov_names)[rng.choice(len(gov_names), size=n, p=gov_w)],
        np.array(ind_names)[rng.choice(len(ind_names), size=n, p=ind_w)],
    )
    pl_names, pl_w = _weights(PRODUCT_LINES)
    product_line = np.array(pl_names)[rng.choice(len(pl_names), size=n, p=pl_w)]
    ch_names, ch_w = _weights(CHANNELS)
    channel = np.where(
        ownership == GOVERNMENT,
        "Прямые продажи",
        np.array(ch_names)[rng.choice(len(ch_names), size=n, p=ch_w)],
    )
    # Head offices of the biggest buyers sit in Moscow: more potential there.
    potential = np.round(np.exp(rng.normal(13.3, 1.15, size=n) + 0.5 * (region_idx == 0)), -3)
    tier = np.array(
        [
            v.value
            for _, v in sorted(
                abc_tiers(dict(enumerate(potential.tolist())), a_share=0.6, b_share=0.85).items()
            )
        ]
    )
    vip_cut = np.quantile(potential, 0.95) if n >= 30 else np.inf
    tier = np.where((potential >= vip_cut) & (ownership != GOVERNMENT), "VIP", tier)
    tier_i = _tier_index(tier)

    # --- life cycle: prospect, lost, fading (dormant), live --------------------------------
    u = rng.random(n)
    is_prospect = u < 0.3
    is_lost = (u >= 0.3) & (u < 0.57)
    is_fading = (u >= 0.57) & (u < 0.65)
    bought = ~is_prospect
    rel_days = np.minimum(rng.exponential(900, size=n) + 60, 6 * 365).astype(np.int64)
    first_purchase = today - rel_days
    stop = np.full(n, today, dtype=np.int64)
    lost_gap = rng.integers(365, max(366, today - window_start), size=n)
    stop = np.where(is_lost, today - lost_gap, stop)
    stop = np.where(is_fading, today - rng.integers(61, 240, size=n), stop)
    first_purchase = np.where(bought, np.minimum(first_purchase, stop - 30), 0)

    # --- owners ------------------------------------------------------------------------------
    dealer_index = _eligible_index(staff, "dealer")
    vip_index = _eligible_index(staff, "vip")
    hunter_index = _eligible_index(staff, "hunter")
    heads = staff.ids("head")
    dealers = staff.ids("dealer")
    # Uneven books: some managers were simply given more over the years.
    pull = {
        mid: float(w) for mid, w in zip(dealers, rng.gamma(1.2, 1.0, len(dealers)), strict=True)
    }
    region_names = np.array(territories)[region_idx]
    owner = np.zeros(n, dtype=np.int64)
    hunter = np.zeros(n, dtype=np.int64)
    mess = rng.random(n)
    pick = rng.random(n)
    pick2 = rng.random(n)
    all_hunters = staff.ids("hunter")
    # Leftovers go mostly to the managers with the strongest pull (squared weights).
    dealer_w = np.array([pull[d] ** 2 for d in dealers]) if dealers else np.ones(1)
    leftover = (
        np.array(dealers)[rng.choice(len(dealers), size=n, p=dealer_w / dealer_w.sum())]
        if dealers
        else np.zeros(n, dtype=np.int64)
    )
    cumulative: dict[tuple[int, ...], np.ndarray] = {}
    # Clients with the owner the segment rules give them; only those are ever locked.
    proper = np.zeros(n, dtype=bool)
    for i in range(n):
        region = str(region_names[i])
        hunters_here = hunter_index.get(region) or all_hunters
        hunter[i] = hunters_here[int(pick[i] * len(hunters_here))]
        if not bought[i]:
            owner[i] = hunter[i]
            continue
        if ownership[i] == GOVERNMENT:
            pool = gov_index.get(region, [])
        elif tier[i] == "VIP":
            pool = vip_index.get(region, [])
        else:
            pool = dealer_index.get(region, [])
        if not pool:
            pool = heads
        if mess[i] < 0.03:
            owner[i] = hunter[i]  # never handed off after the first purchase
        elif mess[i] < 0.16 and tier[i] != "VIP" and ownership[i] != GOVERNMENT and dealers:
            # Historical leftovers: held by a dealer manager of another territory.
            owner[i] = leftover[i]
        else:
            key = tuple(pool)
            if key not in cumulative:
                w = np.array([pull.get(d, 1.0) for d in pool])
                cumulative[key] = np.cumsum(w / w.sum())
            k = int(np.searchsorted(cumulative[key], pick2[i]))
            owner[i] = pool[min(k, len(pool) - 1)]
            proper[i] = pool is not heads
    # A head of sales locks a client to its rightful specialist, never to a leftover owner.
    locked = bought & proper & (rng.random(n) < 0.02)

    # --- deals -------------------------------------------------------------------------------
    interval = PURCHASE_INTERVAL[tier_i] * np.exp(rng.normal(0, 0.3, size=n))
    span_start = np.maximum(window_start, first_purchase)
    span = np.where(bought, np.maximum(stop - span_start, 0), 0)
    season_mean = SEASONALITY.mean() / SEASONALITY.max()
    n_won = rng.poisson(span / interval / season_mean)
    c_won = np.repeat(np.arange(n), n_won)
    d_won = span_start[c_won] + (rng.random(c_won.size) * span[c_won]).astype(np.int64)
    month = _month_of(d_won)
    keep = rng.random(c_won.size) < SEASONALITY[month] / SEASONALITY.max()
    c_won, d_won = c_won[keep], d_won[keep]
    # The first purchase itself, when it falls in the window, was closed by the hunter.
    first_in = bought & (first_purchase >= window_start)
    c_first = np.nonzero(first_in)[0]
    c_won = np.concatenate([c_first, c_won])
    d_won = np.concatenate([first_purchase[c_first], d_won])
    won_mgr = np.concatenate([hunter[c_first], owner[c_won[c_first.size :]]])
    amount_won = np.round(
        potential[c_won]
        * interval[c_won]
        / 365.0
        * np.exp(rng.normal(-0.1, 0.45, c_won.size))
        * SEASONALITY[_month_of(d_won)],
        -2,
    )
    n_lost = rng.poisson(0.45 * np.bincount(c_won, minlength=n))
    c_lost = np.repeat(np.arange(n), n_lost)
    d_lost = span_start[c_lost] + (rng.random(c_lost.size) * np.maximum(span[c_lost], 1)).astype(
        np.int64
    )
    # Prospects: a deal or two in the last four months, mostly open, some lost.
    c_pros = np.repeat(np.nonzero(is_prospect)[0], rng.integers(0, 3, size=int(is_prospect.sum())))
    d_pros = today - rng.integers(0, 120, size=c_pros.size)
    pros_open = rng.random(c_pros.size) < 0.65
    live = bought & ~is_lost & ~is_fading
    c_open = np.nonzero(live & (rng.random(n) < 0.25))[0]
    d_open = today - rng.integers(0, 45, size=c_open.size)

    deal_client = np.concatenate([c_won, c_lost, c_pros, c_open])
    deal_closed = np.concatenate([d_won, d_lost, d_pros, d_open])
    deal_outcome = np.concatenate(
        [
            np.full(c_won.size, "won"),
            np.full(c_lost.size, "lost"),
            np.where(pros_open, "open", "lost"),
            np.full(c_open.size, "open"),
        ]
    )
    deal_mgr = np.concatenate([won_mgr, owner[c_lost], hunter[c_pros], owner[c_open]])
    deal_amount = np.concatenate(
        [
            amount_won,
            np.round(potential[c_lost] * 0.15 * np.exp(rng.normal(0, 0.5, c_lost.size)), -2),
            np.round(potential[c_pros] * 0.1 * np.exp(rng.normal(0, 0.5, c_pros.size)), -2),
            np.round(potential[c_open] * 0.12 * np.exp(rng.normal(0, 0.5, c_open.size)), -2),
        ]
    )
    order = np.lexsort((deal_client, deal_closed))
    deal_client, deal_closed, deal_outcome = (
        deal_client[order],
        deal_closed[order],
        deal_outcome[order],
    )
    deal_mgr, deal_amount = deal_mgr[order], deal_amount[order]
    deal_created = deal_closed - rng.integers(3, 40, size=deal_closed.size)
    is_open = deal_outcome == "open"
    n_deals = deal_client.size
    stage = np.where(
        deal_outcome == "won",
        WON_STAGE,
        np.where(
            deal_outcome == "lost",
            LOST_STAGE,
            np.array(OPEN_STAGES)[rng.integers(0, len(OPEN_STAGES), n_deals)],
        ),
    )
    created_s = _date_str(np.where(is_open, deal_closed, deal_created))
    closed_s = _date_str(deal_closed)
    deal_ids = range(1, n_deals + 1)
    deal_data: list[Sequence[Any]] = [
        deal_ids,
        ["demo"] * n_deals,
        [None] * n_deals,
        (deal_client + 1).tolist(),
        deal_mgr.tolist(),
        deal_amount.tolist(),
        ["RUB"] * n_deals,
        created_s,
        [None if o else c for o, c in zip(is_open.tolist(), closed_s, strict=True)],
        deal_outcome.tolist(),
        stage.tolist(),
        product_line[deal_client].tolist(),
    ]

    # Derived client facts: first/last purchase, revenue of the last 12 months, status.
    won = deal_outcome == "won"
    last_won = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_won, deal_client[won], deal_closed[won])
    recent = won & (deal_closed > today - 365)
    revenue_12m = np.bincount(deal_client[recent], weights=deal_amount[recent], minlength=n)
    last_purchase = np.where(last_won >= 0, last_won, np.where(bought, stop, -1))
    status = np.where(
        is_prospect,
        "prospect",
        np.where(is_lost, "lost", np.where(today - last_purchase > 60, "dormant", "active")),
    )

    # --- responsibilities and history -------------------------------------------------------
    resp_rows: list[tuple[Any, ...]] = []
    hist_rows: list[tuple[Any, ...]] = []
    handoff_seen = rng.random(n)
    for i in range(n):
        cid = i + 1
        if not bought[i]:
            since = today - int(rng.integers(5, 200))
            resp_rows.append((cid, "acquisition", int(hunter[i]), since, None, "import"))
            continue
        fp = int(first_purchase[i])
        if owner[i] == hunter[i]:
            resp_rows.append((cid, "acquisition", int(hunter[i]), fp - 40, None, "import"))
            continue
        if fp >= window_start:
            resp_rows.append((cid, "acquisition", int(hunter[i]), fp - 60, fp, "handoff"))
            hist_rows.append((cid, "account", str(hunter[i]), str(owner[i]), "handoff", fp))
        until = int(stop[i]) + 120 if is_lost[i] and stop[i] + 120 < today else None
        since = fp
        if handoff_seen[i] < 0.2 and len(dealers) > 1 and today - fp > 200:
            prev = dealers[int(rng.integers(0, len(dealers)))]
            if prev != owner[i]:
                moved = fp + int(rng.integers(60, today - fp - 30))
                resp_rows.append((cid, "account", prev, fp, moved, "manual"))
                hist_rows.append((cid, "account", str(prev), str(owner[i]), "manual", moved))
                since = moved
        reason = "import" if until is None else "Клиент потерян"
        resp_rows.append((cid, "account", int(owner[i]), since, until, reason))
    service_ids = staff.ids("service")
    admin_ids = staff.ids("admin")
    for i in np.nonzero(live & np.isin(tier, ["VIP", "A"]))[0].tolist():
        if rng.random() < 0.5:
            sid = service_ids[i % len(service_ids)]
            resp_rows.append((i + 1, "service", sid, int(first_purchase[i]), None, "import"))
        if tier[i] == "VIP":
            aid = admin_ids[i % len(admin_ids)]
            resp_rows.append((i + 1, "admin", aid, int(first_purchase[i]), None, "import"))
    resp_days = np.array([r[3] for r in resp_rows], dtype=np.int64)
    resp_since = _date_str(resp_days)
    resp_until = [
        None if r[4] is None else (EPOCH + dt.timedelta(days=int(r[4]))).isoformat()
        for r in resp_rows
    ]
    responsibilities = [
        (k + 1, r[0], r[1], r[2], s, u_, r[5])
        for k, (r, s, u_) in enumerate(zip(resp_rows, resp_since, resp_until, strict=True))
    ]
    history = [
        (
            k + 1,
            "client",
            h[0],
            h[1],
            h[2],
            h[3],
            h[4],
            "demo",
            f"{(EPOCH + dt.timedelta(days=int(h[5]))).isoformat()} 10:00:00.000000",
        )
        for k, h in enumerate(hist_rows)
    ]

    # --- activities --------------------------------------------------------------------------
    load = np.bincount(owner[bought & ~is_lost], minlength=len(staff.rows) + 1)
    owner_load = load[owner]
    rate = np.where(is_prospect, 2.0, CONTACTS_PER_MONTH[tier_i])
    act_start = np.where(is_prospect, today - 150, np.maximum(window_start, first_purchase))
    act_end = np.where(is_lost, stop + 30, today)
    act_months = np.maximum(act_end - act_start, 0) / 30.44
    # Over-loaded managers bury part of their book: no contact for weeks.
    buried_share = np.clip((owner_load - 45) / np.maximum(owner_load, 1), 0, 0.6)
    buried = bought & ~is_lost & (rng.random(n) < buried_share)
    act_end = np.where(buried, today - rng.integers(35, 150, size=n), act_end)
    fading_factor = np.where(is_fading, 0.5, 1.0)
    n_act = rng.poisson(rate * act_months * fading_factor)
    a_client = np.repeat(np.arange(n), n_act)
    a_day = act_start[a_client] + (
        rng.random(a_client.size) * np.maximum(act_end - act_start, 1)[a_client]
    ).astype(np.int64)
    a_start = _work_time(rng, a_day)
    a_type_i = rng.choice(len(ACTIVITY_TYPES), size=a_client.size, p=ACTIVITY_SHARES)
    a_mgr = owner[a_client]
    # Inbound requests get an answer: a call after a delay that grows with the load.
    inbound = np.nonzero(a_type_i == 4)[0]
    slow = np.where(owner_load[a_client[inbound]] > 60, 6.0, 1.0)
    delay = (np.exp(rng.normal(np.log(3 * 3600), 1.0, inbound.size)) * slow).astype(np.int64)
    r_client = a_client[inbound]
    r_start = a_start[inbound] + delay
    keep_r = r_start < today * SECONDS_PER_DAY
    a_client = np.concatenate([a_client, r_client[keep_r]])
    a_start = np.concatenate([a_start, r_start[keep_r]])
    a_type_i = np.concatenate([a_type_i, np.zeros(int(keep_r.sum()), dtype=a_type_i.dtype)])
    a_mgr = np.concatenate([a_mgr, owner[r_client[keep_r]]])
    is_resp = np.concatenate(
        [np.zeros(a_client.size - int(keep_r.sum()), bool), np.ones(int(keep_r.sum()), bool)]
    )
    # Internal work without a client: reports, meetings, paperwork (working-day photo).
    workers = np.array([r["id"] for r in staff.rows], dtype=np.int64)
    weeks = max(1, (today - window_start) // 7)
    per_week = 1
    i_mgr = np.repeat(workers, weeks * per_week)
    i_day = today - rng.integers(1, today - window_start, size=i_mgr.size)
    i_start = _work_time(rng, i_day)
    a_mgr = np.concatenate([a_mgr, i_mgr])
    a_start = np.concatenate([a_start, i_start])
    a_type_i = np.concatenate([a_type_i, np.full(i_mgr.size, 3)])
    a_client_out: list[int | None] = (a_client + 1).tolist() + [None] * i_mgr.size
    is_resp = np.concatenate([is_resp, np.zeros(i_mgr.size, bool)])
    types = np.array(ACTIVITY_TYPES)[a_type_i]
    lo = np.array([ACTIVITY_MINUTES[x][0] for x in ACTIVITY_TYPES])[a_type_i]
    hi = np.array([ACTIVITY_MINUTES[x][1] for x in ACTIVITY_TYPES])[a_type_i]
    dur = (lo + rng.random(a_start.size) * (hi - lo)).astype(np.int64) * 60
    direction = np.where(
        types == "inbound",
        "inbound",
        np.where(
            is_resp,
            "outbound",
            np.where(
                np.isin(types, ["call", "email"]),
                np.where(rng.random(a_start.size) < 0.8, "outbound", "inbound"),
                "",
            ),
        ),
    )
    is_task = types == "task"
    due = a_start + rng.integers(1, 10, size=a_start.size) * SECONDS_PER_DAY
    overloaded = np.concatenate([owner_load[a_client] > 60, np.zeros(i_mgr.size, bool)])
    on_time = rng.random(a_start.size) < np.where(overloaded, 0.7, 0.9)
    finish = np.where(
        is_task & ~on_time, due + rng.integers(1, 6, a_start.size) * SECONDS_PER_DAY, a_start
    )
    finish = finish + dur
    now_s = today * SECONDS_PER_DAY
    completed = ~is_task | (finish < now_s)
    ended_ok = completed
    ended_s = _datetime_str(np.where(ended_ok, finish, a_start))
    n_acts = a_start.size
    act_ids = range(1, n_acts + 1)
    task_idx = np.nonzero(is_task)[0]
    due_col: list[str | None] = [None] * n_acts
    for k, text in zip(task_idx.tolist(), _datetime_str(due[task_idx]), strict=True):
        due_col[k] = text
    activity_data: list[Sequence[Any]] = [
        act_ids,
        ["demo"] * n_acts,
        [None] * n_acts,
        a_client_out,
        a_mgr.tolist(),
        types.tolist(),
        [d or None for d in direction.tolist()],
        _datetime_str(a_start),
        [e if ok else None for e, ok in zip(ended_s, completed.tolist(), strict=True)],
        completed.tolist(),
        due_col,
    ]

    # --- plan targets --------------------------------------------------------------------------
    month_key = _month_key(deal_closed[won])
    keys = sorted(set(month_key.tolist()))
    plan_rows: list[tuple[Any, ...]] = []
    if keys:
        vol: dict[tuple[int, int], float] = {}
        for mg, mk, a in zip(
            deal_mgr[won].tolist(), month_key.tolist(), deal_amount[won].tolist(), strict=True
        ):
            vol[(mg, mk)] = vol.get((mg, mk), 0.0) + a
        months_all = list(range(min(keys), _month_key(np.array([today]))[0] + 4))
        for r in staff.rows:
            if r["role_group"] not in ("farmer", "hunter", "head"):
                continue
            hist = [vol.get((r["id"], mk), 0.0) for mk in keys]
            base = float(np.mean(hist)) if hist else 0.0
            if base <= 0:
                continue
            for mk in months_all:
                s = SEASONALITY[mk % 12] / SEASONALITY.mean()
                amount = round(base * 1.1 * s * float(np.exp(rng.normal(0, 0.08))), -4)
                period = f"{mk // 12:04d}-{mk % 12 + 1:02d}"
                plan_rows.append(
                    (
                        len(plan_rows) + 1,
                        "demo",
                        f"{r['id']}:{period}",
                        r["id"],
                        period,
                        amount,
                        None,
                    )
                )

    # --- surveys and colleague feedback -------------------------------------------------------
    mgr_mean = {r["id"]: float(rng.normal(4.0, 0.45)) for r in staff.rows}
    s_clients = np.repeat(
        np.nonzero(bought)[0], rng.poisson(0.6 * p.months / 12, size=int(bought.sum()))
    )
    s_day = window_start + rng.integers(0, max(1, today - window_start), size=s_clients.size)
    s_nps = rng.random(s_clients.size) < 0.2
    kinds = np.array(["survey", "call_review", "mystery_shopping"])[
        rng.choice(3, size=s_clients.size, p=[0.7, 0.2, 0.1])
    ]
    noise = rng.normal(0, 0.8, s_clients.size)
    s_mgr = owner[s_clients]
    means = np.array([mgr_mean[int(x)] for x in s_mgr.tolist()]) if s_clients.size else np.zeros(0)
    csat = np.clip(np.round(means + noise), 1, 5)
    nps = np.clip(np.round((means - 1) * 2.5 + noise * 2), 0, 10)
    survey_rows = [
        (
            k + 1,
            "demo",
            str(k + 1),
            int(c) + 1,
            int(mg),
            d,
            "nps" if isn else "csat",
            float(nv if isn else cv),
            kd,
            None,
        )
        for k, (c, mg, d, isn, cv, nv, kd) in enumerate(
            zip(
                s_clients.tolist(),
                s_mgr.tolist(),
                _date_str(s_day),
                s_nps.tolist(),
                csat.tolist(),
                nps.tolist(),
                kinds.tolist(),
                strict=True,
            )
        )
    ]
    feedback_rows: list[tuple[Any, ...]] = []
    ids = [r["id"] for r in staff.rows]
    quarters = max(1, p.months // 3)
    if len(ids) > 1:
        per = min(3, len(ids) - 1)
        for q in range(quarters):
            day = (EPOCH + dt.timedelta(days=int(today - 91 * q - 5))).isoformat()
            for pos, to in enumerate(ids):
                # Three distinct colleagues other than the manager himself.
                picks = rng.choice(len(ids) - 1, size=per, replace=False)
                for k in picks.tolist():
                    fr = ids[k if k < pos else k + 1]
                    score = float(np.clip(round(mgr_mean[to] + rng.normal(0, 0.6)), 1, 5))
                    fid = len(feedback_rows) + 1
                    feedback_rows.append((fid, "demo", str(fid), fr, to, day, score, None))

    # --- absences: one hunter away now, some past vacations -------------------------------
    absence_rows: list[tuple[Any, ...]] = []
    hunters = staff.ids("hunter")
    if hunters:
        absence_rows.append(
            (
                1,
                hunters[0],
                (p.today - dt.timedelta(days=3)).isoformat(),
                (p.today + dt.timedelta(days=10)).isoformat(),
                "Отпуск",
            )
        )
    for r in staff.rows:
        if rng.random() < 0.3:
            start = p.today - dt.timedelta(days=int(rng.integers(30, 300)))
            absence_rows.append(
                (
                    len(absence_rows) + 1,
                    r["id"],
                    start.isoformat(),
                    (start + dt.timedelta(days=13)).isoformat(),
                    "Отпуск",
                )
            )

    # --- assemble -----------------------------------------------------------------------------
    names = [_company_name(fake, o, k) for k, o in enumerate(ownership.tolist())]
    cities = (
        [
            CITIES[str(rg)][int(k)]
            for rg, k in zip(
                region_names.tolist(), (rng.random(n) * 3).astype(int).tolist(), strict=True
            )
        ]
        if n
        else []
    )
    inn = np.where(ownership == INDIVIDUAL, _inn(rng, n, 12), _inn(rng, n, 10)).tolist()
    fp_s = _date_str(np.where(first_purchase > 0, first_purchase, 0))
    lp_s = _date_str(np.maximum(last_purchase, 0))
    client_rows = [
        (
            i + 1,
            "demo",
            str(i + 1),
            names[i],
            inn[i],
            str(region_names[i]),
            cities[i],
            str(industry[i]),
            str(product_line[i]),
            str(channel[i]),
            str(ownership[i]),
            str(tier[i]),
            True,
            float(potential[i]),
            float(round(revenue_12m[i], 2)),
            fp_s[i] if bought[i] else None,
            lp_s[i] if bought[i] else None,
            str(status[i]),
            bool(locked[i]),
        )
        for i in range(n)
    ]
    manager_rows = [
        (
            r["id"],
            "demo",
            str(r["id"]),
            r["name"],
            r["email"],
            r["active"],
            r["team"],
            r["role_group"],
            r["grade"],
            r["experience_years"],
            r["hours"],
            r["complexity"],
            r["readiness"],
            r["support"],
            r["tools"],
            r["regions"],
            r["industries"],
            r["product_lines"],
            r["channels"],
            r["ownerships"],
            r["tiers"],
        )
        for r in staff.rows
    ]
    tables = {
        "managers": TableRows.from_rows(
            (
                "id",
                "source",
                "external_id",
                "name",
                "email",
                "active",
                "team",
                "role_group",
                "grade",
                "experience_years",
                "hours",
                "complexity",
                "readiness",
                "support",
                "tools",
                "regions",
                "industries",
                "product_lines",
                "channels",
                "ownerships",
                "tiers",
            ),
            manager_rows,
        ),
        "absences": TableRows.from_rows(
            ("id", "manager_id", "start_date", "end_date", "reason"), absence_rows
        ),
        "clients": TableRows.from_rows(
            (
                "id",
                "source",
                "external_id",
                "name",
                "tax_id",
                "region",
                "city",
                "industry",
                "product_line",
                "channel",
                "ownership",
                "tier",
                "tier_given",
                "potential",
                "revenue_12m",
                "first_purchase",
                "last_purchase",
                "status",
                "locked",
            ),
            client_rows,
        ),
        "responsibilities": TableRows.from_rows(
            ("id", "client_id", "role", "manager_id", "since", "until", "reason"), responsibilities
        ),
        "deals": TableRows(
            (
                "id",
                "source",
                "external_id",
                "client_id",
                "manager_id",
                "amount",
                "currency",
                "created",
                "closed",
                "outcome",
                "stage",
                "product_line",
            ),
            deal_data,
        ),
        "activities": TableRows(
            (
                "id",
                "source",
                "external_id",
                "client_id",
                "manager_id",
                "type",
                "direction",
                "started",
                "ended",
                "completed",
                "due",
            ),
            activity_data,
        ),
        "plan_targets": TableRows.from_rows(
            ("id", "source", "external_id", "manager_id", "period", "amount", "count"), plan_rows
        ),
        "surveys": TableRows.from_rows(
            (
                "id",
                "source",
                "external_id",
                "client_id",
                "manager_id",
                "date",
                "scale",
                "score",
                "kind",
                "comment",
            ),
            survey_rows,
        ),
        "colleague_feedback": TableRows.from_rows(
            (
                "id",
                "source",
                "external_id",
                "from_manager_id",
                "to_manager_id",
                "date",
                "score",
                "comment",
            ),
            feedback_rows,
        ),
        "change_history": TableRows.from_rows(
            (
                "id",
                "entity",
                "entity_id",
                "field",
                "old_value",
                "new_value",
                "reason",
                "actor",
                "at",
            ),
            history,
        ),
    }
    # Contacts and competency scores come from a stream of their own, so that adding them
    # changed nothing else a given seed generates.
    extra = np.random.default_rng(p.seed + 1009)
    tables["contacts"] = TableRows.from_rows(CONTACT_COLUMNS, _contacts(extra, p.seed, n))
    tables["competency_scores"] = TableRows.from_rows(
        SCORE_COLUMNS, _competency_scores(extra, staff.rows, p.today)
    )
    meta = {
        "demo.seed": str(p.seed),
        "demo.today": p.today.isoformat(),
        "demo.clients": str(p.clients),
        "demo.managers": str(p.managers),
        "demo.months": str(p.months),
    }
    return DemoData(tables=tables, meta=meta)


CONTACT_COLUMNS = (
    "id",
    "source",
    "external_id",
    "client_id",
    "name",
    "position",
    "phone",
    "email",
    "purchase_role",
    "is_primary",
)
POSITIONS = (
    ("Генеральный директор", "decision_maker"),
    ("Коммерческий директор", "decision_maker"),
    ("Директор по закупкам", "decision_maker"),
    ("Менеджер по закупкам", "buyer"),
    ("Специалист отдела снабжения", "buyer"),
    ("Главный инженер", "influencer"),
    ("Руководитель ИТ-отдела", "influencer"),
    ("Системный администратор", "user"),
    ("Офис-менеджер", "gatekeeper"),
)
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f h ts ch sh sch  y  e yu ya".split(" "),
        strict=True,
    )
)


def _latin(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalpha() or ch == " ")


def _contacts(rng: np.random.Generator, seed: int, n: int) -> list[tuple[Any, ...]]:
    """One to three people per client; the first is the primary contact."""
    fake = Faker("ru_RU")
    fake.seed_instance(seed + 1009)
    pool: list[tuple[str, str, str]] = []
    while len(pool) < 400:  # name() keeps last, first and middle name of one gender
        parts = fake.name().split()
        if len(parts) == 3:
            pool.append((parts[0], parts[1], parts[2]))
    per_client = rng.integers(1, 4, size=n)
    total = int(per_client.sum())
    who = rng.integers(0, len(pool), size=total)
    what = rng.integers(0, len(POSITIONS), size=total)
    phones = rng.integers(9_000_000_000, 9_999_999_999, size=total)
    rows: list[tuple[Any, ...]] = []
    k = 0
    for client in range(n):
        for j in range(int(per_client[client])):
            last, first, middle = pool[int(who[k])]
            position, role = POSITIONS[int(what[k])] if j else POSITIONS[int(what[k]) % 3]
            login = _latin(f"{first[0]}.{last}").replace(" ", "")
            rows.append(
                (
                    k + 1,
                    "demo",
                    str(k + 1),
                    client + 1,
                    f"{last} {first} {middle}",
                    position,
                    f"+7{int(phones[k])}",
                    f"{login}{client + 1}@example.ru",
                    role,
                    j == 0,
                )
            )
            k += 1
    return rows


SCORE_COLUMNS = (
    "id",
    "source",
    "external_id",
    "manager_id",
    "competency_code",
    "assessed_on",
    "score",
    "assessor",
)
DEMO_COMPETENCIES = ("needs", "presentation", "negotiation", "product", "crm", "relationship")


def _competency_scores(
    rng: np.random.Generator, staff: list[dict[str, Any]], today: dt.date
) -> list[tuple[Any, ...]]:
    """Three quarterly assessments of every salesperson; scores follow the grade."""
    rows: list[tuple[Any, ...]] = []
    dates = [today - dt.timedelta(days=91 * q) for q in (2, 1, 0)]
    for person in staff:
        if person["role_group"] not in ("hunter", "farmer", "head"):
            continue
        talent = rng.normal(0, 0.6, size=len(DEMO_COMPETENCIES))
        for step, on in enumerate(dates):
            noise = rng.normal(0, 0.4, size=len(DEMO_COMPETENCIES))
            scores = np.clip(
                np.rint(1.5 + 0.55 * person["grade"] + talent + noise + 0.2 * step), 1, 5
            )
            for code, score in zip(DEMO_COMPETENCIES, scores, strict=True):
                rows.append(
                    (
                        len(rows) + 1,
                        "demo",
                        f"{person['id']}-{code}-{on.isoformat()}",
                        person["id"],
                        code,
                        on.isoformat(),
                        int(score),
                        "Руководитель отдела продаж",
                    )
                )
    return rows


def _inn(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """Random tax ids (ИНН) of 10 (companies) or 12 (individuals) digits with valid checksums."""
    body = rng.integers(0, 10, size=(n, length - (1 if length == 10 else 2)))
    body[:, 0] = rng.integers(1, 10, size=n)  # no leading zero in the region code
    if length == 10:
        w = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8])
        digits = np.column_stack([body, (body @ w) % 11 % 10])
    else:
        w1 = np.array([7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        d11 = (body @ w1) % 11 % 10
        w2 = np.array([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        d12 = (np.column_stack([body, d11]) @ w2) % 11 % 10
        digits = np.column_stack([body, d11, d12])
    text = digits.astype("U1")
    return np.array(["".join(row) for row in text.tolist()], dtype=object)


GOV_FORMS = ["ГБУ", "ФГУП", "ГАУЗ", "МБОУ", "ГКУ"]


def _company_name(fake: Faker, ownership: str, k: int) -> str:
    """A name whose legal form matches the ownership form."""
    if ownership == INDIVIDUAL:
        return (
            f"ИП {fake.last_name_male()} {fake.first_name_male()[0]}. {fake.middle_name_male()[0]}."
        )
    if ownership == GOVERNMENT:
        return f"{GOV_FORMS[k % len(GOV_FORMS)]} «{fake.last_name_male()} и партнёры»".replace(
            " и партнёры", "" if k % 2 else " центр"
        )
    name = fake.company()
    return "ООО " + name[3:] if name.startswith("ИП ") else name


def _tier_index(tier: np.ndarray) -> np.ndarray:
    lookup = {name: k for k, name in enumerate(TIERS)}
    return np.array([lookup[x] for x in tier.tolist()], dtype=np.int64)


def _month_of(days: np.ndarray) -> np.ndarray:
    """Calendar month index 0–11 of day numbers."""
    return (days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12).astype(
        np.int64
    )


def _month_key(days: np.ndarray) -> np.ndarray:
    """Months since year 0 (year * 12 + month index) of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _load(
    conn: Connection,
    data: DemoData,
    *,
    replace: bool,
    progress: Callable[[str, int], None] | None,
) -> None:
    """Write the company on an open transaction, replacing data only when asked."""
    metadata = t.Base.metadata
    existing = (conn.scalar(select(func.count()).select_from(t.Client.__table__)) or 0) + (
        conn.scalar(select(func.count()).select_from(t.Manager.__table__)) or 0
    )
    if existing and not replace:
        raise BadInputError(
            "В базе уже есть данные; чтобы заменить их демо-компанией, добавьте --replace "
            "или укажите другую базу (--db)."
        )
    present = set(inspect(conn).get_table_names())
    for table in reversed(metadata.sorted_tables):
        # An older schema (migration tests) lacks newer tables; the competency list is
        # configuration, not company data, and stays.
        if table.name in present and table.name not in KEPT_TABLES:
            conn.execute(delete(table))
    if conn.dialect.name == "sqlite":
        # A big one-off load: keep pages in memory instead of spilling them early.
        conn.exec_driver_sql("PRAGMA cache_size = -1000000")
    # Secondary indexes are built once after the load: much faster than row by row.
    inspector = inspect(conn)
    deferred = [
        ix
        for name in data.tables
        if name in present
        for ix in metadata.tables[name].indexes
        if ix.name in {i["name"] for i in inspector.get_indexes(name)}
    ]
    for ix in deferred:
        ix.drop(conn)
    written: list[Table] = []
    for name, rows in data.tables.items():
        if name not in present:  # an older schema (migration tests) lacks newer tables
            continue
        table = metadata.tables[name]
        if name == "competency_scores":
            columns, data_rows = _scores_by_id(conn, rows)
            bulk_insert(conn, table, columns, data_rows)
            written.append(table)
            if progress:
                progress(name, len(data_rows))
            continue
        bulk_insert(conn, table, rows.columns, rows.rows())
        written.append(table)
        if progress:
            progress(name, len(rows))
    for ix in deferred:
        ix.create(conn)
    # Fresh statistics so the query planner picks the list and dashboard indexes.
    conn.exec_driver_sql("ANALYZE")
    meta_table = metadata.tables["app_meta"]
    conn.execute(meta_table.insert(), [{"key": k, "value": v} for k, v in data.meta.items()])
    reset_sequences(conn, written)


def _scores_by_id(
    conn: Connection, rows: TableRows
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Competency scores with codes turned into the ids of this database's list."""
    ids = dict(
        conn.execute(
            select(t.Competency.code, t.Competency.id).where(t.Competency.active.is_(True))
        ).all()
    )
    at = rows.columns.index("competency_code")
    columns = tuple("competency_id" if c == "competency_code" else c for c in rows.columns)
    kept = [(*row[:at], ids[row[at]], *row[at + 1 :]) for row in rows.rows() if row[at] in ids]
    return columns, kept


def create_demo(
    engine: Engine,
    params: DemoParams,
    *,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> DemoSummary:
    """Generate the demo company and write it into an existing database in one transaction."""
    started = time.perf_counter()
    data = generate(params)
    with writer(engine).begin() as conn:
        _load(conn, data, replace=replace, progress=progress)
    return DemoSummary(counts=data.counts(), seconds=time.perf_counter() - started)


def create_demo_file(
    path: Path,
    params: DemoParams,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> DemoSummary:
    """Build a new SQLite demo database beside `path` and move it into place at the end.

    The file appears whole or not at all (an atomic rename), so the load itself can skip
    the journal and per-row foreign-key checks; the keys are verified once at the end.
    """
    if path.exists():
        raise BadInputError(f"Файл {path} уже существует.")
    started = time.perf_counter()
    data = generate(params)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _remove_sqlite_files(tmp)
    try:
        engine = make_engine(f"sqlite:///{tmp}")
        migrate.upgrade(engine)
        engine.dispose()
        raw = sqlite3.connect(tmp, isolation_level=None)
        try:
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF"):
                raw.execute(f"PRAGMA {pragma}")
            fast = create_engine(f"sqlite:///{tmp}", creator=lambda: raw, poolclass=StaticPool)
            # The driver is in autocommit mode; one explicit transaction for the whole load.
            event.listen(fast, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
            with fast.begin() as conn:
                _load(conn, data, replace=False, progress=progress)
            broken = raw.execute("PRAGMA foreign_key_check").fetchmany(5)
            if broken:
                raise RuntimeError(f"demo data breaks foreign keys: {broken}")
            raw.execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        _remove_sqlite_files(tmp)
    return DemoSummary(counts=data.counts(), seconds=time.perf_counter() - started)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

"""KPI formulas and the balanced scorecard (SPEC §7) over plain aggregates.

Nothing here touches a database: the repository counts and sums with GROUP BY, and the
functions below turn those plain numbers into ratios, percentiles among peers of the
same role group, a weighted score, words for strengths and weak spots, and a run-rate
forecast. Every formula is written down with a worked example in `docs/kpi.md`.

A ratio whose denominator is zero is `None` ("no data"), never 0: a manager without a
single closed deal has no conversion, he does not have a conversion of 0 %.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

from clientbase.errors import BadInputError

# ---------------------------------------------------------------- periods

PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


class PeriodKind(StrEnum):
    """Length of a reporting period."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A month, quarter or year; `start` and `end` are both days of the period."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def label(self) -> str:
        """`2026`, `2026-Q3` or `2026-10` — the form plans are stored under."""
        if self.kind is PeriodKind.YEAR:
            return f"{self.start.year:04d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    @property
    def next_start(self) -> dt.date:
        """The first day after the period."""
        return self.end + dt.timedelta(days=1)

    def datetime_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, next day 00:00): holds everything up to the last day's 23:59:59.999."""
        return dt.datetime.combine(self.start, dt.time()), dt.datetime.combine(
            self.next_start, dt.time()
        )

    def contains(self, day: dt.date) -> bool:
        """The day (or moment) falls in the period, the last day included."""
        if isinstance(day, dt.datetime):
            day = day.date()
        return self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return _shift(self, -1)

    def same_last_year(self) -> Period:
        """The same month, quarter or year one year earlier."""
        return parse_period(f"{self.start.year - 1:04d}{self.label[4:]}")

    def months(self) -> list[Period]:
        """The months of the period, in order."""
        step = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        return [month_of(self.start.year, self.start.month + k) for k in range(step)]

    def quarters(self) -> list[Period]:
        """The quarters inside a year (empty for a month or a quarter)."""
        if self.kind is not PeriodKind.YEAR:
            return []
        return [parse_period(f"{self.start.year:04d}-Q{q}") for q in range(1, 5)]

    def __str__(self) -> str:
        return self.label


def month_of(year: int, month: int) -> Period:
    """The month `month` of `year`; months past 12 roll over into the next years."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return Period(dt.date(year, month, 1), dt.date(year, month, last), PeriodKind.MONTH)


def parse_period(text: str) -> Period:
    """Parse `2026`, `2026-Q3` or `2026-10` (BadInputError otherwise)."""
    match = PERIOD_RE.fullmatch(text.strip())
    if match is None or not 1900 <= int(match.group(1)) <= 2999:
        raise BadInputError(
            f"Период «{text}»: ожидается год (2026), квартал (2026-Q3) или месяц (2026-10)."
        )
    year = int(match.group(1))
    if match.group(2):
        q = int(match.group(2))
        first = month_of(year, 3 * q - 2)
        return Period(first.start, month_of(year, 3 * q).end, PeriodKind.QUARTER)
    if match.group(3):
        return month_of(year, int(match.group(3)))
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodKind.YEAR)


def period_of(day: dt.date, kind: PeriodKind) -> Period:
    """The period of the given kind that contains the day."""
    if kind is PeriodKind.MONTH:
        return month_of(day.year, day.month)
    if kind is PeriodKind.QUARTER:
        return parse_period(f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"{day.year:04d}")


def _shift(period: Period, steps: int) -> Period:
    if period.kind is PeriodKind.YEAR:
        return parse_period(f"{period.start.year + steps:04d}")
    size = 3 if period.kind is PeriodKind.QUARTER else 1
    first = month_of(period.start.year, period.start.month + steps * size)
    if size == 1:
        return first
    return Period(first.start, month_of(first.start.year, first.start.month + 2).end, period.kind)


# ---------------------------------------------------------------- formulas


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return None if not denominator else numerator / denominator


def average_check(volume: float, won: int) -> float | None:
    """Volume / number of won deals."""
    return None if not won else round(volume / won, 2)


def conversion(won: int, lost: int) -> float | None:
    """Won / (won + lost) of the deals closed in the period."""
    return ratio(won, won + lost)


def contact_conversion(won: int, contacts: int) -> float | None:
    """Won deals / completed calls and meetings."""
    return ratio(won, contacts)


def retention(retained: int, base: int) -> float | None:
    """Of the clients who bought in the previous period, the share who bought in this one."""
    return ratio(retained, base)


def repeat_rate(repeat: int, buyers: int) -> float | None:
    """Of the clients who bought in the period, the share who had bought before it."""
    return ratio(repeat, buyers)


def attainment(volume: float, plan: float | None) -> float | None:
    """Volume / plan."""
    return None if not plan else volume / plan


def growth(current: float, before: float) -> float | None:
    """Change against an earlier period as a share: 0.25 = +25 %; None if it was zero."""
    return None if not before else (current - before) / before


def coverage(contacted: int, held: int) -> float | None:
    """Share of the manager's clients contacted in the last 30 days."""
    return ratio(contacted, held)


def dormant_share(dormant: int, held: int) -> float | None:
    """Share of the manager's clients that are dormant."""
    return ratio(dormant, held)


def discipline(on_time: int, due: int) -> float | None:
    """Share of tasks due in the period that were completed by their due date."""
    return ratio(on_time, due)


def nps(promoters: int, detractors: int, answers: int) -> float | None:
    """Net promoter score, −100…100: % promoters (9–10) − % detractors (0–6)."""
    return None if not answers else 100.0 * (promoters - detractors) / answers


def satisfaction_index(normalised_sum: float, answers: int) -> float | None:
    """Mean of every answer put on 0…1: CSAT (s − 1) / 4, NPS s / 10."""
    return ratio(normalised_sum, answers)


def run_rate_forecast(volume: float, elapsed_days: int, total_days: int) -> float:
    """Volume expected at the period end if the pace so far continues."""
    if elapsed_days <= 0:
        return 0.0
    return volume * total_days / min(elapsed_days, total_days)


def seasonality_index(monthly: Mapping[tuple[int, int], float]) -> dict[int, float | None]:
    """Calendar month → mean volume of that month / mean volume of all months (1.0 = usual).

    `monthly` maps (year, month) of complete months to their volume; a month that never
    occurs gets None.
    """
    if not monthly:
        return dict.fromkeys(range(1, 13))
    overall = sum(monthly.values()) / len(monthly)
    result: dict[int, float | None] = {}
    for m in range(1, 13):
        values = [v for (_, mm), v in monthly.items() if mm == m]
        result[m] = None if not values or not overall else sum(values) / len(values) / overall
    return result


# ---------------------------------------------------------------- aggregates → KPIs


@dataclass(slots=True)
class Aggregates:
    """Additive counts and sums of one manager (or a group of them) for one period.

    Team, role-group and company figures are the field-by-field sums of their managers;
    every ratio is then recomputed from the sums (never an average of ratios).
    """

    volume: float = 0.0
    won: int = 0
    lost: int = 0
    volume_prev: float = 0.0
    volume_last_year: float = 0.0
    new_clients: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    prev_buyers: int = 0
    retained: int = 0
    contacts: int = 0
    inbound: int = 0
    answered: int = 0
    response_minutes: float | None = None  # median, computed by the repository per group
    held: int = 0
    contacted: int = 0
    dormant: int = 0
    tasks_due: int = 0
    tasks_on_time: int = 0
    csat_sum: float = 0.0
    csat_count: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_count: int = 0
    satisfaction_sum: float = 0.0
    feedback_sum: float = 0.0
    feedback_count: int = 0
    plan: float | None = None

    def __add__(self, other: Aggregates) -> Aggregates:
        out = Aggregates()
        for f in fields(Aggregates):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "response_minutes":
                continue  # a median does not add up; the repository computes it per group
            if a is None and b is None:
                setattr(out, f.name, None)
            else:
                setattr(out, f.name, (a or 0) + (b or 0))
        return out


def total(items: Iterable[Aggregates]) -> Aggregates:
    """Field-by-field sum of aggregates (the team / role group / company figure)."""
    out = Aggregates()
    for item in items:
        out = out + item
    return out


@dataclass(frozen=True, slots=True)
class KpiDef:
    """One KPI: code, Russian name, whether more is better, and how to print it."""

    code: str
    name: str
    higher_is_better: bool
    unit: str  # money | share | count | minutes | score | nps


KPIS: tuple[KpiDef, ...] = (
    KpiDef("volume", "объём продаж", True, "money"),
    KpiDef("growth_prev", "динамика к прошлому периоду", True, "share"),
    KpiDef("growth_last_year", "динамика к прошлому году", True, "share"),
    KpiDef("average_check", "средний чек", True, "money"),
    KpiDef("conversion", "конверсия сделок", True, "share"),
    KpiDef("contact_conversion", "конверсия контактов", True, "share"),
    KpiDef("new_clients", "новые клиенты", True, "count"),
    KpiDef("retention", "удержание клиентов", True, "share"),
    KpiDef("repeat_rate", "повторные продажи", True, "share"),
    KpiDef("response_minutes", "скорость ответа", False, "minutes"),
    KpiDef("attainment", "выполнение плана", True, "share"),
    KpiDef("coverage", "охват клиентов", True, "share"),
    KpiDef("dormant_share", "доля «спящих» клиентов", False, "share"),
    KpiDef("satisfaction", "удовлетворённость клиентов", True, "share"),
    KpiDef("feedback", "оценка коллег", True, "score"),
    KpiDef("discipline", "дисциплина задач", True, "share"),
)
KPI_BY_CODE = {k.code: k for k in KPIS}


@dataclass(slots=True)
class KpiValues:
    """Every KPI of SPEC §7 for one manager or group; None where the data allows none."""

    volume: float
    won_deals: int
    lost_deals: int
    conversion: float | None
    average_check: float | None
    new_clients: int
    retention: float | None
    repeat_rate: float | None
    plan: float | None
    attainment: float | None
    volume_prev: float
    volume_last_year: float
    growth_prev: float | None
    growth_last_year: float | None
    contacts: int
    contact_conversion: float | None
    inbound: int
    answered: int
    response_minutes: float | None
    held: int
    coverage: float | None
    dormant_share: float | None
    tasks_due: int
    discipline: float | None
    csat: float | None
    nps: float | None
    satisfaction: float | None
    survey_answers: int
    feedback: float | None
    feedback_count: int

    def value(self, code: str) -> float | None:
        """The value of a KPI by its code (see KPIS)."""
        v = getattr(self, code)
        return None if v is None else float(v)


def kpis(a: Aggregates) -> KpiValues:
    """All KPIs from one set of aggregates."""
    answers = a.csat_count + a.nps_count
    return KpiValues(
        volume=round(a.volume, 2),
        won_deals=a.won,
        lost_deals=a.lost,
        conversion=conversion(a.won, a.lost),
        average_check=average_check(a.volume, a.won),
        new_clients=a.new_clients,
        retention=retention(a.retained, a.prev_buyers),
        repeat_rate=repeat_rate(a.repeat_buyers, a.buyers),
        plan=a.plan,
        attainment=attainment(a.volume, a.plan),
        volume_prev=round(a.volume_prev, 2),
        volume_last_year=round(a.volume_last_year, 2),
        growth_prev=growth(a.volume, a.volume_prev),
        growth_last_year=growth(a.volume, a.volume_last_year),
        contacts=a.contacts,
        contact_conversion=contact_conversion(a.won, a.contacts),
        inbound=a.inbound,
        answered=a.answered,
        response_minutes=a.response_minutes,
        held=a.held,
        coverage=coverage(a.contacted, a.held),
        dormant_share=dormant_share(a.dormant, a.held),
        tasks_due=a.tasks_due,
        discipline=discipline(a.tasks_on_time, a.tasks_due),
        csat=ratio(a.csat_sum, a.csat_count),
        nps=nps(a.nps_promoters, a.nps_detractors, a.nps_count),
        satisfaction=satisfaction_index(a.satisfaction_sum, answers),
        survey_answers=answers,
        feedback=ratio(a.feedback_sum, a.feedback_count),
        feedback_count=a.feedback_count,
    )


# ---------------------------------------------------------------- scorecard

# Per role group: KPI code → weight. Hunters are judged on new clients, conversion and
# response speed; farmers on retention, repeat sales, dynamics and coverage (SPEC §7).
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "hunter": {
        "new_clients": 0.25,
        "conversion": 0.20,
        "response_minutes": 0.15,
        "contact_conversion": 0.10,
        "volume": 0.10,
        "attainment": 0.10,
        "satisfaction": 0.04,
        "feedback": 0.03,
        "discipline": 0.03,
    },
    "farmer": {
        "retention": 0.20,
        "repeat_rate": 0.15,
        "growth_last_year": 0.10,
        "growth_prev": 0.05,
        "coverage": 0.15,
        "attainment": 0.10,
        "volume": 0.05,
        "dormant_share": 0.05,
        "satisfaction": 0.05,
        "response_minutes": 0.04,
        "feedback": 0.03,
        "discipline": 0.03,
    },
    "head": {
        "attainment": 0.25,
        "volume": 0.15,
        "growth_last_year": 0.15,
        "retention": 0.15,
        "coverage": 0.10,
        "satisfaction": 0.10,
        "feedback": 0.10,
    },
    "service": {
        "satisfaction": 0.35,
        "response_minutes": 0.25,
        "discipline": 0.20,
        "feedback": 0.20,
    },
    "admin": {
        "response_minutes": 0.35,
        "discipline": 0.30,
        "feedback": 0.20,
        "satisfaction": 0.15,
    },
}

STRONG, WEAK = 75.0, 25.0  # percentile at or above / at or below which a KPI is named


def percentiles(
    values: Mapping[int, float | None], *, higher_is_better: bool = True
) -> dict[int, float | None]:
    """Percentile (0–100) of each peer's value among the peers that have one.

    percentile = 100 × (peers worse + ½ × other peers equal) / (peers − 1); a lone peer
    gets 50; a peer without a value gets None.
    """
    known = {k: v for k, v in values.items() if v is not None}
    out: dict[int, float | None] = dict.fromkeys(values)
    n = len(known)
    if n == 1:
        out[next(iter(known))] = 50.0
        return out
    ordered = sorted(known.values())
    for key, v in known.items():
        below = bisect.bisect_left(ordered, v)
        equal = bisect.bisect_right(ordered, v) - below - 1
        above = n - 1 - below - equal
        worse = below if higher_is_better else above
        out[key] = round(100.0 * (worse + 0.5 * equal) / (n - 1), 1)
    return out


def weighted_score(pct: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Σ weight × percentile / Σ weight over the KPIs that have a percentile (0–100)."""
    num = den = 0.0
    for code, w in weights.items():
        p = pct.get(code)
        if p is None or w <= 0:
            continue
        num += w * p
        den += w
    return None if not den else round(num / den, 1)


def ranks(scores: Mapping[int, float | None]) -> dict[int, int | None]:
    """Competition ranking (1, 2, 2, 4) by score, highest first; no score → no rank."""
    known = sorted((v for v in scores.values() if v is not None), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(known):
        first.setdefault(v, i + 1)
    return {k: None if v is None else first[v] for k, v in scores.items()}


def strengths_and_weak_spots(
    pct: Mapping[str, float | None], weights: Mapping[str, float], *, limit: int = 3
) -> tuple[list[str], list[str]]:
    """Russian names of the weighted KPIs where the manager is in the top / bottom quarter."""
    scored = [(code, p) for code, p in pct.items() if p is not None and weights.get(code, 0) > 0]
    # Equal percentiles: the KPI that weighs more in the score is named first.
    strong = sorted(
        (x for x in scored if x[1] >= STRONG), key=lambda x: (-x[1], -weights[x[0]], x[0])
    )
    weak = sorted((x for x in scored if x[1] <= WEAK), key=lambda x: (x[1], -weights[x[0]], x[0]))
    return (
        [KPI_BY_CODE[c].name for c, _ in strong[:limit]],
        [KPI_BY_CODE[c].name for c, _ in weak[:limit]],
    )


@dataclass(slots=True)
class ScoreLine:
    """One manager's place among the peers of his role group."""

    manager_id: int
    role_group: str
    percentiles: dict[str, float | None]
    score: float | None
    rank: int | None  # within the role group
    rank_overall: int | None = None
    strengths: list[str] = field(default_factory=list)
    weak_spots: list[str] = field(default_factory=list)


def score_peers(
    people: Sequence[tuple[int, str, KpiValues]],
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[int, ScoreLine]:
    """Percentiles, weighted score, ranks and words for every (id, role group, KPIs)."""
    weights = weights if weights is not None else DEFAULT_WEIGHTS
    groups: dict[str, list[tuple[int, KpiValues]]] = {}
    for mid, group, values in people:
        groups.setdefault(group, []).append((mid, values))
    lines: dict[int, ScoreLine] = {}
    for group, members in groups.items():
        w = weights.get(group, {})
        pct_by_kpi = {
            k.code: percentiles(
                {mid: v.value(k.code) for mid, v in members}, higher_is_better=k.higher_is_better
            )
            for k in KPIS
        }
        scores: dict[int, float | None] = {}
        for mid, _ in members:
            pct = {code: p[mid] for code, p in pct_by_kpi.items()}
            strong, weak = strengths_and_weak_spots(pct, w)
            score = weighted_score(pct, w)
            scores[mid] = score
            lines[mid] = ScoreLine(mid, group, pct, score, None, None, strong, weak)
        for mid, rank in ranks(scores).items():
            lines[mid].rank = rank
    overall = ranks({mid: line.score for mid, line in lines.items()})
    for mid, rank in overall.items():
        lines[mid] = replace(lines[mid], rank_overall=rank)
    return lines


def validate_weights(raw: Mapping[str, object]) -> dict[str, dict[str, float]]:
    """Check a {role group: {kpi: weight}} table from settings (BadInputError if wrong)."""
    out: dict[str, dict[str, float]] = {g: dict(w) for g, w in DEFAULT_WEIGHTS.items()}
    for group, table in raw.items():
        if group not in DEFAULT_WEIGHTS:
            raise BadInputError(f"Веса KPI: неизвестная группа ролей «{group}».")
        if not isinstance(table, Mapping):
            raise BadInputError(f"Веса KPI «{group}»: нужен объект «показатель: вес».")
        parsed: dict[str, float] = {}
        for code, weight in table.items():
            if code not in KPI_BY_CODE:
                raise BadInputError(f"Веса KPI «{group}»: неизвестный показатель «{code}».")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise BadInputError(f"Веса KPI «{group}.{code}»: нужно число ≥ 0.")
            parsed[str(code)] = float(weight)
        if not any(parsed.values()):
            raise BadInputError(f"Веса KPI «{group}»: хотя бы один вес должен быть больше 0.")
        out[group] = parsed
    return out

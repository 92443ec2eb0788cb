"""Rotation of dormant clients (SPEC §6): warning list, runs, and the measured effect.

- `warning_list` — clients of each account manager that become dormant within K days.
- `run_rotation` — for a date: dormant candidates → exclusions → a stratified random
  hold-out stays with its owner → every other candidate goes to the eligible farmer with
  the least relative load who is under capacity and not among the client's last two
  holders. One transaction under the `rotation` job lock and the `assignments` lock that
  plan apply takes too; idempotent per date; a dry run writes nothing.
- `effect_report` — reactivation (a won deal within the window) of rotated vs held-out
  clients per run and cumulatively, with Newcombe's 95 % interval, by tier and by
  receiving manager.

Service functions take keyword-only arguments and return plain dataclasses, so the CLI
and the web pages render the same results.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from clientbase.core.capacity import (
    CapacityTables,
    Drivers,
    client_capacity,
    selling_hours,
    service_hours,
)
from clientbase.core.rotation import (
    ClientHistory,
    DormancyPolicy,
    Effect,
    dormant_since,
    draw_holdout,
    effect,
    exclusion_reason,
    is_dormant,
    threshold_days,
)
from clientbase.core.types import PRINCIPLE_LIST_FIELD, Eligibility, Principle, RoleGroup, Tier
from clientbase.db import tables as t
from clientbase.db.failpoints import failpoint
from clientbase.db.rotation_repository import (
    HeldClient,
    ManagerLoadRow,
    Outcome,
    RotationRepository,
    lock_holder,
)
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError
from clientbase.planning import candidates
from clientbase.planning.schemas import Client as PlanClient
from clientbase.planning.schemas import Instance
from clientbase.planning.schemas import Manager as PlanManager
from clientbase.planning.schemas import Settings as PlanSettings
from clientbase.services.capacity import stored_tables
from clientbase.services.locks import (
    ASSIGNMENTS_LOCK,
    JobLockedError,
    acquire,
    default_holder,
    process_alive,
    release,
)

SETTINGS_KEY = "rotation_settings"
# The head's confirmation of VIP rotation: all VIP clients of the run, or these client ids.
VipConfirmation = bool | frozenset[int]
JOB_NAME = "rotation"
ARM_RU = {"rotated": "передан", "holdout": "контроль", "unplaced": "не передан"}

# Probability of winning an open deal by its stage: the demo's and common CRM stage names.
# A deal at or above `open_deal_min_probability` (default 0.5) keeps the client with its
# owner: nobody takes a client away in the middle of closing.
DEFAULT_STAGE_PROBABILITY: dict[str, float] = {
    "новая": 0.1,
    "квалификация": 0.2,
    "подготовка кп": 0.3,
    "кп отправлено": 0.4,
    "согласование": 0.6,
    "переговоры": 0.6,
    "договор": 0.8,
    "счёт выставлен": 0.9,
    "счет выставлен": 0.9,
    "new": 0.1,
    "qualification": 0.2,
    "proposal": 0.3,
    "negotiation": 0.6,
    "contract": 0.8,
    "invoice": 0.9,
}


# ---------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class RotationSettings:
    """The rotation policy as data, stored as JSON in app_meta `rotation_settings`."""

    policy: DormancyPolicy = field(default_factory=DormancyPolicy)
    stage_probability: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_STAGE_PROBABILITY)
    )
    window_days: int = 90
    warn_days: int = 14
    holdout: float = 0.2
    min_n: int = 30
    # How many of the client's latest account managers (the current one included) may not
    # receive it: 2 = neither the current nor the previous holder.
    recent_holders: int = 2
    receiver_groups: tuple[str, ...] = (RoleGroup.FARMER.value,)
    excluded_statuses: tuple[str, ...] = ("prospect", "lost")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        p = self.policy
        return {
            "days": p.days,
            "by_tier": dict(p.by_tier),
            "by_segment": dict(p.by_segment),
            "interval_multiple": p.interval_multiple,
            "min_intervals": p.min_intervals,
            "open_deal_min_probability": p.open_deal_min_probability,
            "vip_needs_confirmation": p.vip_needs_confirmation,
            "stage_probability": dict(self.stage_probability),
            "window_days": self.window_days,
            "warn_days": self.warn_days,
            "holdout": self.holdout,
            "min_n": self.min_n,
            "recent_holders": self.recent_holders,
            "receiver_groups": list(self.receiver_groups),
            "excluded_statuses": list(self.excluded_statuses),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RotationSettings:
        """Settings from JSON; keys not given keep their defaults; bad values are refused."""
        known = set(cls().to_dict())
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadInputError(
                f"Настройки ротации: неизвестные ключи {', '.join(unknown)}; "
                f"допустимы: {', '.join(sorted(known))}."
            )
        base = cls()
        try:
            p = base.policy
            by_tier = {str(Tier(k)): int(v) for k, v in data.get("by_tier", {}).items()}
            by_segment = {str(k): int(v) for k, v in data.get("by_segment", {}).items()}
            for key in by_segment:
                principle, sep, _ = key.partition("=")
                if not sep or principle not in {x.value for x in Principle}:
                    raise BadInputError(
                        f"Настройки ротации: by_segment «{key}» — нужен вид «принцип=значение», "
                        f"принципы: {', '.join(x.value for x in Principle)}."
                    )
            policy = replace(
                p,
                days=int(data.get("days", p.days)),
                by_tier=by_tier,
                by_segment=by_segment,
                interval_multiple=float(data.get("interval_multiple", p.interval_multiple)),
                min_intervals=int(data.get("min_intervals", p.min_intervals)),
                open_deal_min_probability=float(
                    data.get("open_deal_min_probability", p.open_deal_min_probability)
                ),
                vip_needs_confirmation=bool(
                    data.get("vip_needs_confirmation", p.vip_needs_confirmation)
                ),
            )
            stages = data.get("stage_probability")
            settings = cls(
                policy=policy,
                stage_probability=(
                    {str(k).strip().casefold(): float(v) for k, v in stages.items()}
                    if stages is not None
                    else dict(base.stage_probability)
                ),
                window_days=int(data.get("window_days", base.window_days)),
                warn_days=int(data.get("warn_days", base.warn_days)),
                holdout=float(data.get("holdout", base.holdout)),
                min_n=int(data.get("min_n", base.min_n)),
                recent_holders=int(data.get("recent_holders", base.recent_holders)),
                receiver_groups=tuple(
                    RoleGroup(g).value for g in data.get("receiver_groups", base.receiver_groups)
                ),
                excluded_statuses=tuple(
                    str(s) for s in data.get("excluded_statuses", base.excluded_statuses)
                ),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadInputError(f"Настройки ротации: неверное значение ({exc}).") from exc
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse values that make no sense (BadInputError names the key)."""
        p = self.policy
        if p.days < 1 or any(v < 1 for v in [*p.by_tier.values(), *p.by_segment.values()]):
            raise BadInputError("Настройки ротации: пороги в днях должны быть ≥ 1.")
        if p.interval_multiple < 1:
            raise BadInputError("Настройки ротации: interval_multiple должен быть ≥ 1.")
        if not 0.0 <= self.holdout <= 1.0:
            raise BadInputError("Доля контрольной группы (holdout) должна быть от 0 до 1.")
        if self.window_days < 1:
            raise BadInputError("Окно реактивации (window_days) должно быть ≥ 1 дня.")
        if self.warn_days < 0:
            raise BadInputError("Срок предупреждения (warn_days) не может быть отрицательным.")
        if self.recent_holders < 1:
            raise BadInputError("Настройки ротации: recent_holders должен быть ≥ 1.")
        if RoleGroup.HUNTER.value in self.receiver_groups:
            raise BadInputError(
                "Настройки ротации: охотники не получают клиентов на сопровождение "
                "(receiver_groups без hunter)."
            )


def load_settings(engine: Engine) -> RotationSettings:
    """The stored settings, else the defaults."""
    with UnitOfWork(engine) as uow:
        return _settings(RotationRepository(uow.session))


def _settings(repo: RotationRepository) -> RotationSettings:
    raw = repo.meta(SETTINGS_KEY)
    if raw is None:
        return RotationSettings()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"app_meta «{SETTINGS_KEY}»: не JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise BadInputError(f"app_meta «{SETTINGS_KEY}»: ожидается объект JSON.")
    return RotationSettings.from_dict(data)


def save_settings(*, engine: Engine, data: dict[str, Any]) -> RotationSettings:
    """Validate and store settings (keys not given keep their defaults)."""
    settings = RotationSettings.from_dict(data)
    with UnitOfWork(engine, write=True) as uow:
        RotationRepository(uow.session).set_meta(
            SETTINGS_KEY, json.dumps(settings.to_dict(), ensure_ascii=False, sort_keys=True)
        )
        uow.commit()
    return settings


# ---------------------------------------------------------------- policy inputs


def segment_key(policy: DormancyPolicy, client: HeldClient) -> str | None:
    """The first `principle=value` of the client that has its own threshold, if any."""
    if not policy.by_segment:
        return None
    lookup = {k.casefold(): k for k in policy.by_segment}
    for principle in Principle:
        value = getattr(client, principle.value)
        if value is None:
            continue
        # Product lines are `;`-separated lists: any one of them may carry a threshold.
        values = value.split(";") if principle is Principle.PRODUCT_LINE else [value]
        for v in values:
            key = lookup.get(f"{principle.value}={v.strip()}".casefold())
            if key is not None:
                return key
    return None


def _stage_probability(settings: RotationSettings, stages: Iterable[str | None]) -> float | None:
    best: float | None = None
    for stage in stages:
        p = settings.stage_probability.get((stage or "").strip().casefold())
        if p is not None and (best is None or p > best):
            best = p
    return best


def _history(
    settings: RotationSettings,
    client: HeldClient,
    won: dict[int, list[dt.date]],
    stages: dict[int, list[str | None]],
    *,
    confirm_vip: VipConfirmation = False,
) -> ClientHistory:
    return ClientHistory(
        client_id=client.id,
        tier=client.tier,
        segment=segment_key(settings.policy, client),
        won_dates=won.get(client.id, []),
        locked=client.locked,
        open_deal_probability=_stage_probability(settings, stages.get(client.id, [])),
        vip_confirmed=(confirm_vip if isinstance(confirm_vip, bool) else client.id in confirm_vip),
    )


# ---------------------------------------------------------------- warning list


@dataclass(frozen=True, slots=True)
class WarningRow:
    """A client of a manager who becomes dormant soon (a row of the warning list)."""

    manager_id: int
    manager: str
    client_id: int
    client: str
    tier: str
    last_purchase: dt.date
    threshold_days: int
    dormant_on: dt.date
    days_left: int
    revenue_12m: float
    note: str  # why it would not rotate anyway (locked, late-stage deal, VIP), else ""


def warning_list(
    *,
    engine: Engine,
    today: dt.date | None = None,
    days: int | None = None,
    manager_id: int | None = None,
) -> list[WarningRow]:
    """Clients becoming dormant within `days` days (default 14), by manager and date."""
    today = today or dt.date.today()
    with UnitOfWork(engine) as uow:
        repo = RotationRepository(uow.session)
        settings = _settings(repo)
        horizon = settings.warn_days if days is None else days
        if horizon < 0:
            raise BadInputError("--days: нужно число дней ≥ 0.")
        names = repo.manager_names()
        if manager_id is not None and manager_id not in names:
            raise BadInputError(f"Менеджер #{manager_id} не найден.")
        held = repo.held_clients(
            excluded_statuses=settings.excluded_statuses, manager_id=manager_id
        )
        won = repo.won_dates(until=today, manager_id=manager_id)
        stages = repo.open_deal_stages(until=today, manager_id=manager_id)
    rows = []
    for client in held:
        hist = _history(settings, client, won, stages)
        since = dormant_since(settings.policy, hist)
        if since is None or not today < since <= today + dt.timedelta(days=horizon):
            continue
        rows.append(
            WarningRow(
                manager_id=client.owner_id,
                manager=names.get(client.owner_id, str(client.owner_id)),
                client_id=client.id,
                client=client.name,
                tier=client.tier,
                last_purchase=max(hist.won_dates),
                threshold_days=int(threshold_days(settings.policy, hist)),
                dormant_on=since,
                days_left=(since - today).days,
                revenue_12m=client.revenue_12m,
                note=exclusion_reason(settings.policy, hist) or "",
            )
        )
    rows.sort(key=lambda r: (r.manager, r.manager_id, r.dormant_on, -r.revenue_12m, r.client_id))
    return rows


# ---------------------------------------------------------------- run


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One candidate of a run: where it went and why."""

    client_id: int
    client: str
    tier: str
    arm: str  # rotated | holdout | unplaced
    from_manager_id: int | None
    from_manager: str | None
    to_manager_id: int | None
    to_manager: str | None
    dormant_days: int
    reason: str

    @property
    def arm_ru(self) -> str:
        """The arm in Russian."""
        return ARM_RU[self.arm]


@dataclass(frozen=True, slots=True)
class ReceiverLoad:
    """A receiving manager's relative load before and after the run (for balance)."""

    manager_id: int
    manager: str
    received: int
    given_away: int
    utilization_before: float  # % of the tighter of clients and hours
    utilization_after: float


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did (or, in a dry run, would do)."""

    run_id: int | None
    run_date: dt.date
    dry_run: bool
    already_done: bool
    seed: int
    holdout_share: float
    candidates: int
    rotated: int
    held_out: int
    unplaced: int
    on_trial: int  # dormant clients still observed after an earlier run: left alone
    members: list[MemberRow]
    receivers: list[ReceiverLoad]
    deals_moved: int = 0
    activities_moved: int = 0

    @property
    def message(self) -> str:
        """One plain sentence about the run."""
        if self.already_done:
            return (
                f"Прогон за {self.run_date:%d.%m.%Y} уже выполнен (#{self.run_id}): "
                "повторно ничего не перемещено."
            )
        head = "Пробный прогон (ничего не записано)" if self.dry_run else f"Прогон #{self.run_id}"
        return (
            f"{head} за {self.run_date:%d.%m.%Y}: «спящих» кандидатов {self.candidates}, "
            f"передано {self.rotated}, в контрольной группе {self.held_out}, "
            f"не передано {self.unplaced}."
        )


@dataclass
class _Receiver:
    manager: PlanManager
    complexity: int | None
    capacity: int
    offer: float
    weighted: float
    hours: float
    received: int = 0
    given_away: int = 0
    start: float = 0.0

    def utilization(self, extra_weight: float = 0.0, extra_hours: float = 0.0) -> float:
        by_clients = (self.weighted + extra_weight) / self.capacity if self.capacity else 9.99
        return max(by_clients, (self.hours + extra_hours) / self.offer)


class _Hours:
    """Monthly service hours of a client with a manager: its own figure, else the table's."""

    def __init__(self, tables: CapacityTables) -> None:
        # A lookup per (tier, complexity): a big run asks this a million times.
        self._table = {
            (tier.value, cx): service_hours(tier, cx, tables)
            for tier in Tier
            for cx in (None, 1, 2, 3, 4, 5)
        }
        self._tables = tables

    def of(self, client: HeldClient, complexity: int | None) -> float:
        if client.hours is not None:
            return float(client.hours)
        hours = self._table.get((client.tier, complexity))
        return hours if hours is not None else service_hours(client.tier, complexity, self._tables)


def _plan_client(client: HeldClient) -> PlanClient:
    return PlanClient(
        id=str(client.id),
        name=client.name,
        tier=Tier(client.tier),
        potential=client.potential,
        region=client.region,
        industry=client.industry,
        product_line=client.product_line,
        channel=client.channel,
        ownership=client.ownership,
        revenue_12m=client.revenue_12m,
        hours=float(client.hours or 0.0),
        owner_id=str(client.owner_id),
        locked=client.locked,
    )


def _receivers(
    repo: RotationRepository, settings: RotationSettings, tables: CapacityTables, day: dt.date
) -> tuple[dict[int, _Receiver], dict[int, _Receiver]]:
    """(receivers by id, every manager's load state by id) as of `day`."""
    absent = repo.absent_on(day)
    loads = repo.account_loads()
    everyone: dict[int, _Receiver] = {}
    for m in repo.managers():
        group = RoleGroup(m.role_group)
        cap = client_capacity(
            group,
            Drivers(m.complexity, m.readiness, m.support, m.tools, m.grade),
            override=m.capacity_override,
            tables=tables,
        )
        load = loads.get(m.id, ManagerLoadRow({}, {}))
        weighted = sum(tables.tier_weight[Tier(k)] * v for k, v in load.by_tier.items())
        # As the capacity report: a client's own hours, else the default for its tier.
        hours = 0.0
        for tier, count in load.by_tier.items():
            n_explicit, explicit = load.explicit.get(tier, (0, 0.0))
            hours += explicit + (count - n_explicit) * service_hours(tier, m.complexity, tables)
        pm = PlanManager(
            id=str(m.id),
            name=m.name,
            role_group=group,
            grade=m.grade,
            active=m.active,
            absent=m.id in absent,
            capacity=cap.clients,
            hours=m.hours,
            eligibility=Eligibility.parse(
                {p: getattr(m, f) for p, f in PRINCIPLE_LIST_FIELD.items()}
            ),
        )
        r = _Receiver(
            pm, m.complexity, cap.clients, selling_hours(m.hours, tables), weighted, hours
        )
        r.start = r.utilization()
        everyone[m.id] = r
    receivers = {
        mid: r
        for mid, r in everyone.items()
        if r.manager.role_group.value in settings.receiver_groups
    }
    return receivers, everyone


_RULE_RU = {
    "role_group": "не та группа ролей",
    "availability": "неактивен или отсутствует",
    "capacity_clients": "нет ёмкости",
    "eligibility": "сегмент не допущен",
    "tier_grade": "грейд ниже нужного для значимости",
    "lock": "клиент закреплён",
    "recent_holder": "был ответственным недавно",
}


def _why_nobody(refusals: dict[str, int]) -> str:
    if not refusals:
        return "нет менеджеров, которые могут принять клиента на сопровождение"
    parts = [f"{_RULE_RU.get(rule, rule)} — {n}" for rule, n in sorted(refusals.items())]
    return "нет подходящего менеджера: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Decision:
    members: list[MemberRow]
    receivers: list[ReceiverLoad]
    candidates: int
    on_trial: int


def _decide(
    repo: RotationRepository,
    settings: RotationSettings,
    *,
    day: dt.date,
    seed: int,
    share: float,
    confirm_vip: VipConfirmation,
) -> _Decision:
    """Candidates, exclusions, the hold-out draw and the receiver of every rotated client."""
    tables = stored_tables(repo.session)
    policy = settings.policy
    held = repo.held_clients(excluded_statuses=settings.excluded_statuses)
    won = repo.won_dates(until=day)
    stages = repo.open_deal_stages(until=day)
    trial = repo.on_trial(since=day - dt.timedelta(days=settings.window_days), until=day)
    names = repo.manager_names()
    members: list[MemberRow] = []
    dormant: list[tuple[HeldClient, int]] = []
    on_trial = 0

    def member(c: HeldClient, arm: str, days: int, reason: str, to: int | None = None) -> None:
        members.append(
            MemberRow(
                client_id=c.id,
                client=c.name,
                tier=c.tier,
                arm=arm,
                from_manager_id=c.owner_id,
                from_manager=names.get(c.owner_id),
                to_manager_id=to,
                to_manager=names.get(to) if to is not None else None,
                dormant_days=days,
                reason=reason,
            )
        )

    for client in held:
        hist = _history(settings, client, won, stages, confirm_vip=confirm_vip)
        if not is_dormant(policy, hist, day):
            continue
        if client.id in trial:
            on_trial += 1
            continue
        days = (day - max(hist.won_dates)).days
        why = exclusion_reason(policy, hist)
        if why is None and client.owner_since > day:
            why = "ответственный назначен после даты прогона"
        if why is not None:
            member(client, "unplaced", days, f"исключён: {why}")
            continue
        dormant.append((client, days))

    receivers, everyone = _receivers(repo, settings, tables, day)
    holders = repo.recent_holders([c.id for c, _ in dormant], keep=settings.recent_holders)
    plan_settings = PlanSettings(tier_weight=dict(tables.tier_weight), as_of=day)
    pool = list(receivers.values())
    plan_clients = [_plan_client(c) for c, _ in dormant]
    # The engine's pair rules for all clients at once (an inverted index over segments),
    # not client × manager in Python: a big company has thousands of both.
    allowed_lists = candidates.candidate_lists(
        Instance(
            managers=tuple(r.manager for r in pool),
            clients=tuple(plan_clients),
            settings=plan_settings,
        )
    )
    refusal_cache: dict[tuple[object, ...], dict[str, int]] = {}

    def why_not(pc: PlanClient, recent: set[int]) -> str:
        key = (*pc.segment().values(), pc.hours, pc.locked, pc.owner_id if pc.locked else None)
        counts = refusal_cache.get(key)
        if counts is None:
            counts = defaultdict(int)
            for r in pool:
                refused = candidates.refusal(r.manager, pc, plan_settings)
                if refused is not None:
                    counts[refused[0]] += 1
            refusal_cache[key] = counts
        shown = dict(counts)
        # Managers the rules allow but who held the client recently.
        for mid in recent:
            was = receivers.get(mid)
            if was is not None and candidates.refusal(was.manager, pc, plan_settings) is None:
                shown["recent_holder"] = shown.get("recent_holder", 0) + 1
        return _why_nobody(shown)

    options: dict[int, list[_Receiver]] = {}
    placeable: list[tuple[HeldClient, int]] = []
    for (client, days), pc, positions in zip(dormant, plan_clients, allowed_lists, strict=True):
        recent = set(holders.get(client.id, [])) | {client.owner_id}
        allowed = [pool[p] for p in positions if int(pool[p].manager.id) not in recent]
        if not allowed:
            member(client, "unplaced", days, why_not(pc, recent))
            continue
        options[client.id] = allowed
        placeable.append((client, days))

    by_tier: dict[str, list[int]] = defaultdict(list)
    for client, _ in placeable:
        by_tier[client.tier].append(client.id)
    held_out = draw_holdout(by_tier, share=share, seed=seed)

    hours_of = _Hours(tables)
    # Largest clients first, so that they meet the emptiest books; loads are updated as the
    # moves are made, so that one run cannot pile its clients onto one manager.
    order = sorted(placeable, key=lambda x: (-x[0].potential, x[0].id))
    for client, days in order:
        if client.id in held_out:
            member(client, "holdout", days, "контрольная группа: остаётся у ответственного")
            continue
        weight = tables.tier_weight[Tier(client.tier)]
        best: tuple[float, int, _Receiver, float] | None = None
        for r in options[client.id]:
            need = hours_of.of(client, r.complexity)
            if r.weighted + weight > r.capacity or r.hours + need > r.offer + 1e-9:
                continue
            after = r.utilization(weight, need)
            key = (after, int(r.manager.id))
            if best is None or key < (best[0], best[1]):
                best = (after, int(r.manager.id), r, need)
        if best is None:
            full = ", ".join(sorted(r.manager.name for r in options[client.id]))
            member(client, "unplaced", days, f"подходящие менеджеры загружены полностью: {full}")
            continue
        after, mid, r, need = best
        r.weighted += weight
        r.hours += need
        r.received += 1
        giver = everyone.get(client.owner_id)
        if giver is not None:
            giver.weighted -= weight
            giver.hours -= hours_of.of(client, giver.complexity)
            giver.given_away += 1
        n_options = len(options[client.id])
        why = (
            "единственный подходящий менеджер"
            if n_options == 1
            else f"наименьшая загрузка из {n_options} подходящих менеджеров"
        )
        member(
            client, "rotated", days, f"{why}; загрузка после передачи {100 * after:.0f} %", to=mid
        )
    touched = [r for r in everyone.values() if r.received or r.given_away]
    loads = [
        ReceiverLoad(
            manager_id=int(r.manager.id),
            manager=r.manager.name,
            received=r.received,
            given_away=r.given_away,
            utilization_before=round(100 * r.start, 1),
            utilization_after=round(100 * r.utilization(), 1),
        )
        for r in sorted(touched, key=lambda x: int(x.manager.id))
    ]
    order_of = {"rotated": 0, "holdout": 1, "unplaced": 2}
    members.sort(key=lambda m: (order_of[m.arm], m.from_manager or "", m.client_id))
    return _Decision(members, loads, len(members), on_trial)


def _stored_result(repo: RotationRepository, run: t.RotationRun) -> RunResult:
    names = repo.manager_names()
    rows = repo.members(run.id)
    clients = repo.client_names({m.client_id for m in rows})
    members = [
        MemberRow(
            client_id=m.client_id,
            client=clients.get(m.client_id, str(m.client_id)),
            tier=m.tier,
            arm=m.arm,
            from_manager_id=m.from_manager_id,
            from_manager=names.get(m.from_manager_id) if m.from_manager_id else None,
            to_manager_id=m.to_manager_id,
            to_manager=names.get(m.to_manager_id) if m.to_manager_id else None,
            dormant_days=m.dormant_days,
            reason=m.reason or "",
        )
        for m in rows
    ]
    return RunResult(
        run_id=run.id,
        run_date=run.run_date,
        dry_run=False,
        already_done=True,
        seed=run.seed,
        holdout_share=run.holdout_share,
        candidates=run.candidates,
        rotated=run.rotated,
        held_out=run.held_out,
        unplaced=sum(1 for m in members if m.arm == "unplaced"),
        on_trial=0,
        members=members,
        receivers=[],
    )


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A stored run as listed."""

    id: int
    run_date: dt.date
    seed: int
    holdout_share: float
    candidates: int
    rotated: int
    held_out: int
    created_by: str
    created_at: dt.datetime


def list_runs(*, engine: Engine) -> list[RunSummary]:
    """All runs, newest first."""
    with UnitOfWork(engine) as uow:
        return [
            RunSummary(
                id=r.id,
                run_date=r.run_date,
                seed=r.seed,
                holdout_share=r.holdout_share,
                candidates=r.candidates,
                rotated=r.rotated,
                held_out=r.held_out,
                created_by=r.created_by,
                created_at=r.created_at,
            )
            for r in reversed(RotationRepository(uow.session).runs())
        ]


def get_run(*, engine: Engine, run_id: int) -> RunResult:
    """One stored run with every candidate, its arm and reason."""
    with UnitOfWork(engine) as uow:
        repo = RotationRepository(uow.session)
        run = repo.run(run_id)
        if run is None:
            raise NotFoundError(f"Прогон ротации #{run_id} не найден.")
        return _stored_result(repo, run)


def _release_if_dead(engine: Engine) -> bool:
    """Free the lock left by a run killed on this host (its process is gone)."""
    with UnitOfWork(engine) as uow:
        holder = lock_holder(uow.session, JOB_NAME)
    if holder is None:
        return True
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    if process_alive(int(pid)):
        return False
    release(engine, JOB_NAME, holder)
    return True


@contextmanager
def _job(engine: Engine) -> Iterator[None]:
    holder = default_holder()
    try:
        acquire(engine, JOB_NAME, holder)
    except JobLockedError:
        if not _release_if_dead(engine):
            raise
        acquire(engine, JOB_NAME, holder)
    try:
        yield
    finally:
        release(engine, JOB_NAME, holder)


def run_rotation(
    *,
    engine: Engine,
    run_date: dt.date,
    dry_run: bool = False,
    seed: int = 0,
    holdout: float | None = None,
    confirm_vip: VipConfirmation = False,
    actor: str = "system",
    today: dt.date | None = None,
) -> RunResult:
    """Rotate the dormant clients of `run_date` in one transaction (or show it: dry run).

    Idempotent: a date that already has a run moves nothing and returns that run. A second
    run while one is going is refused (JobLockedError, exit code 3).
    """
    today = today or dt.date.today()
    if not dry_run and run_date > today:
        raise BadInputError(
            f"--date {run_date:%Y-%m-%d}: прогон в будущем невозможен; "
            "для просмотра используйте --dry-run."
        )
    if dry_run:
        with UnitOfWork(engine) as uow:
            return _run(uow, run_date, True, seed, holdout, confirm_vip, actor)
    with _job(engine), UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        return _run(uow, run_date, False, seed, holdout, confirm_vip, actor)


def _run(
    uow: UnitOfWork,
    day: dt.date,
    dry_run: bool,
    seed: int,
    holdout: float | None,
    confirm_vip: VipConfirmation,
    actor: str,
) -> RunResult:
    repo = RotationRepository(uow.session)
    settings = _settings(repo)
    share = settings.holdout if holdout is None else holdout
    if not 0.0 <= share <= 1.0:
        raise BadInputError("--holdout: доля контрольной группы должна быть от 0 до 1.")
    existing = repo.run_on(day)
    if existing is not None:
        return _stored_result(repo, existing)
    latest = repo.latest_run_date()
    if latest is not None and latest > day:
        raise BadInputError(
            f"--date {day:%Y-%m-%d}: уже есть прогон за более позднюю дату "
            f"{latest:%Y-%m-%d}; прогоны идут только вперёд по времени."
        )
    decision = _decide(repo, settings, day=day, seed=seed, share=share, confirm_vip=confirm_vip)
    counts = defaultdict(int, {arm: 0 for arm in ARM_RU})
    for m in decision.members:
        counts[m.arm] += 1
    run_id: int | None = None
    deals = activities = 0
    if not dry_run:
        params = {
            **settings.to_dict(),
            "holdout": share,
            "confirm_vip": (confirm_vip if isinstance(confirm_vip, bool) else sorted(confirm_vip)),
            "on_trial": decision.on_trial,
        }
        run_id = repo.add_run(
            t.RotationRun(
                run_date=day,
                seed=seed,
                holdout_share=share,
                params=params,
                candidates=decision.candidates,
                rotated=counts["rotated"],
                held_out=counts["holdout"],
                created_by=actor,
            )
        )
        repo.add_members(
            [
                {
                    "run_id": run_id,
                    "client_id": m.client_id,
                    "tier": m.tier,
                    "arm": m.arm,
                    "from_manager_id": m.from_manager_id,
                    "to_manager_id": m.to_manager_id,
                    "dormant_days": m.dormant_days,
                    "reason": m.reason[:300],
                }
                for m in decision.members
            ]
        )
        deals, activities = repo.apply_moves(
            run_id=run_id,
            day=day,
            reason=f"rotation run #{run_id}",
            actor=actor,
            # A crash test kills the process here, with half of the writes flushed.
            halfway=lambda: failpoint("rotation-halfway", uow.session),
        )
        uow.commit()
    return RunResult(
        run_id=run_id,
        run_date=day,
        dry_run=dry_run,
        already_done=False,
        seed=seed,
        holdout_share=share,
        candidates=decision.candidates,
        rotated=counts["rotated"],
        held_out=counts["holdout"],
        unplaced=counts["unplaced"],
        on_trial=decision.on_trial,
        members=decision.members,
        receivers=decision.receivers,
        deals_moved=deals,
        activities_moved=activities,
    )


# ---------------------------------------------------------------- effect report


@dataclass(frozen=True, slots=True)
class Comparison:
    """Reactivation of rotated vs held-out clients in one slice, with the 95 % interval."""

    label: str
    rotated_n: int
    rotated_reactivated: int
    rotated_rate: float
    rotated_revenue: float
    holdout_n: int
    holdout_reactivated: int
    holdout_rate: float
    holdout_revenue: float
    difference: float
    low: float
    high: float
    too_small: bool
    verdict: str
    manager_id: int | None = None  # the receiving manager, in the by-manager slices


@dataclass(frozen=True, slots=True)
class RunEffect:
    """The effect of one run (or of all runs together: `run_id` None)."""

    run_id: int | None
    run_date: dt.date | None
    window_end: dt.date | None
    window_complete: bool
    candidates: int
    overall: Comparison
    by_tier: list[Comparison]
    by_manager: list[Comparison]  # rotated clients per receiving manager vs the hold-out


@dataclass(frozen=True, slots=True)
class EffectReport:
    """Per run and cumulative effect of rotation."""

    window: int
    as_of: dt.date
    runs: list[RunEffect]
    cumulative: RunEffect | None
    open_windows: int  # runs whose window has not ended yet: their rates may still grow


def _compare(
    label: str,
    rotated: list[Outcome | None],
    holdout: list[Outcome | None],
    min_n: int,
    manager_id: int | None = None,
) -> Comparison:
    r_hits = sum(1 for o in rotated if o is not None)
    h_hits = sum(1 for o in holdout if o is not None)
    e: Effect = effect(r_hits, len(rotated), h_hits, len(holdout), min_n=min_n)
    return Comparison(
        label=label,
        rotated_n=len(rotated),
        rotated_reactivated=r_hits,
        rotated_rate=r_hits / len(rotated) if rotated else 0.0,
        rotated_revenue=round(sum(o.revenue for o in rotated if o is not None), 2),
        holdout_n=len(holdout),
        holdout_reactivated=h_hits,
        holdout_rate=h_hits / len(holdout) if holdout else 0.0,
        holdout_revenue=round(sum(o.revenue for o in holdout if o is not None), 2),
        difference=e.difference,
        low=e.low,
        high=e.high,
        too_small=e.too_small,
        verdict=e.verdict,
        manager_id=manager_id,
    )


def _effect_of(
    run: t.RotationRun | None,
    members: list[t.RotationMember],
    outcomes: dict[tuple[int, int], Outcome],
    names: dict[int, str],
    *,
    window: int,
    as_of: dt.date,
    min_n: int,
) -> RunEffect:
    rotated = [m for m in members if m.arm == "rotated"]
    holdout = [m for m in members if m.arm == "holdout"]

    def out(ms: list[t.RotationMember]) -> list[Outcome | None]:
        return [outcomes.get((m.run_id, m.client_id)) for m in ms]

    h_all = out(holdout)
    by_tier = [
        _compare(
            tier.value,
            out([m for m in rotated if m.tier == tier.value]),
            out([m for m in holdout if m.tier == tier.value]),
            min_n,
        )
        for tier in Tier
        if any(m.tier == tier.value for m in rotated + holdout)
    ]
    receivers = sorted({m.to_manager_id for m in rotated if m.to_manager_id is not None})
    by_manager = [
        _compare(
            names.get(mid, str(mid)),
            out([m for m in rotated if m.to_manager_id == mid]),
            h_all,
            min_n,
            manager_id=mid,
        )
        for mid in receivers
    ]
    end = run.run_date + dt.timedelta(days=window) if run is not None else None
    return RunEffect(
        run_id=run.id if run is not None else None,
        run_date=run.run_date if run is not None else None,
        window_end=end,
        window_complete=end is not None and end <= as_of,
        candidates=run.candidates if run is not None else len(members),
        overall=_compare("все", out(rotated), h_all, min_n),
        by_tier=by_tier,
        by_manager=by_manager,
    )


def effect_report(
    *, engine: Engine, window: int | None = None, as_of: dt.date | None = None
) -> EffectReport:
    """Reactivation of rotated vs held-out clients, per run and over all runs.

    Reactivated = a won deal closed within `window` days after the run date (default 90,
    setting `window_days`). Revenue reactivated = the amount of those won deals.
    """
    as_of = as_of or dt.date.today()
    with UnitOfWork(engine) as uow:
        repo = RotationRepository(uow.session)
        settings = _settings(repo)
        days = settings.window_days if window is None else window
        if days < 1:
            raise BadInputError("--window: окно реактивации должно быть ≥ 1 дня.")
        runs = repo.runs()
        members = repo.members()
        outcomes = repo.outcomes(window=days)
        names = repo.manager_names()
        per_run: dict[int, list[t.RotationMember]] = defaultdict(list)
        for m in members:
            per_run[m.run_id].append(m)
        effects = [
            _effect_of(
                run,
                per_run[run.id],
                outcomes,
                names,
                window=days,
                as_of=as_of,
                min_n=settings.min_n,
            )
            for run in runs
            # A run that found nobody to rotate or hold out has nothing to compare.
            if run.rotated or run.held_out
        ]
        cumulative = (
            _effect_of(
                None, members, outcomes, names, window=days, as_of=as_of, min_n=settings.min_n
            )
            if runs
            else None
        )
        if cumulative is not None:
            cumulative = replace(cumulative, candidates=sum(r.candidates for r in runs))
    return EffectReport(
        window=days,
        as_of=as_of,
        runs=effects,
        cumulative=cumulative,
        open_windows=sum(1 for e in effects if not e.window_complete),
    )

"""Why each client got his manager: candidates, binding rules, the runner-up and his cost."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clientbase.planning.candidates import candidate_lists, refusal
from clientbase.planning.constraints import capacity, locks
from clientbase.planning.metrics import manager_stats, peer_group_ids
from clientbase.planning.objectives.disruption import costs
from clientbase.planning.schemas import Explanation, Instance, ManagerStats, Plan
from clientbase.planning.texts import text

# Above this many clients the refusing rules of every other manager are not listed per
# client (it would cost clients × managers checks); ask for single clients instead.
DETAILED_LIMIT = 5_000
# Candidates listed by name in the text.
LISTED = 8


@dataclass(slots=True)
class _Group:
    members: list[str]
    potential: float
    capacity: int


def _spread(ratios: list[float], rho: float) -> float:
    if len(ratios) < 2 or rho <= 0:
        return 0.0
    return (max(ratios) - min(ratios)) / rho


class _Balance:
    """Spreads of the peer groups and what moving one client would do to them."""

    def __init__(self, stats: dict[str, ManagerStats], groups: list[list[str]]) -> None:
        self.stats = stats
        self.groups: list[_Group] = []
        self.group_of: dict[str, int] = {}
        for g, members in enumerate(groups):
            live = [m for m in members if stats[m].capacity > 0]
            self.groups.append(
                _Group(
                    live,
                    sum(stats[m].potential for m in live),
                    sum(stats[m].capacity for m in live),
                )
            )
            for m in live:
                self.group_of[m] = g
        # Three highest and lowest ratios per group make a one-client change O(1).
        self.top: list[list[tuple[float, str]]] = []
        self.bottom: list[list[tuple[float, str]]] = []
        for group in self.groups:
            ranked = sorted((stats[m].ratio, m) for m in group.members)
            self.bottom.append(ranked[:3])
            self.top.append(ranked[-3:])

    def _group_spread(self, g: int, change: dict[str, float]) -> float:
        group = self.groups[g]
        if len(group.members) < 2:
            return 0.0
        delta = sum(v for m, v in change.items() if self.group_of.get(m) == g)
        rho = (group.potential + delta) / group.capacity if group.capacity else 0.0
        changed = {
            m: (self.stats[m].potential + v) / self.stats[m].capacity
            for m, v in change.items()
            if self.group_of.get(m) == g
        }
        others_top = [r for r, m in self.top[g] if m not in changed]
        others_bottom = [r for r, m in self.bottom[g] if m not in changed]
        highs = others_top[-1:] + list(changed.values())
        lows = others_bottom[:1] + list(changed.values())
        return (max(highs) - min(lows)) / rho if rho > 0 else 0.0

    def delta(self, source: str | None, target: str, potential: float) -> float:
        """Change of the affected peer groups' spread if a client moves source → target."""
        change: dict[str, float] = {target: potential}
        if source is not None:
            change[source] = change.get(source, 0.0) - potential
        touched = {self.group_of[m] for m in change if m in self.group_of}
        before = sum(self._group_spread(g, {}) for g in touched)
        after = sum(self._group_spread(g, change) for g in touched)
        return after - before


def explain(
    instance: Instance,
    plan: Plan,
    client_ids: Iterable[str] | None = None,
    lang: str = "ru",
    candidates: list[list[int]] | None = None,
) -> dict[str, Explanation]:
    """An explanation for every client (or the given ones) of the plan."""
    cands = candidates if candidates is not None else candidate_lists(instance)
    stats = plan.managers or manager_stats(instance, plan.assignment)
    balance = _Balance(stats, peer_group_ids(instance, cands))
    wanted = set(client_ids) if client_ids is not None else None
    detailed = wanted is not None or len(instance.clients) <= DETAILED_LIMIT
    move_costs = costs(instance)
    unplaced = {u.client_id: u.reason for u in plan.diagnosis.unplaced} if plan.diagnosis else {}
    settings = instance.settings
    names = {m.id: m.name or m.id for m in instance.managers}
    result: dict[str, Explanation] = {}
    for c, client in enumerate(instance.clients):
        if wanted is not None and client.id not in wanted:
            continue
        chosen = plan.assignment.get(client.id)
        eligible = tuple(instance.managers[m].id for m in cands[c])
        binding: list[str] = []
        if locks.is_locked(client):
            binding.append(locks.RULE)
        if detailed and len(eligible) <= 1:
            refused = {
                rule
                for manager in instance.managers
                if manager.id not in eligible
                for rule, _ in [refusal(manager, client, settings, lang) or ("", "")]
                if rule
            }
            binding.extend(sorted(refused - {locks.RULE}))
        runner_up: str | None = None
        runner_cost: dict[str, float] = {}
        best_key: tuple[int, float, int, str] | None = None
        for m in cands[c]:
            manager = instance.managers[m]
            manager_id = manager.id
            if manager_id == chosen:
                continue
            other = stats[manager_id]
            full = other.load + settings.weight(client.tier) > manager.capacity or (
                manager.hours is not None
                and other.hours + client.hours > manager.hours + capacity.HOURS_TOLERANCE
            )
            delta = balance.delta(chosen, manager_id, client.potential)
            moves_now = int(client.owner_id is not None and chosen not in (None, client.owner_id))
            moves_then = int(client.owner_id is not None and manager_id != client.owner_id)
            key = (int(full), delta, moves_then - moves_now, manager_id)
            if best_key is None or key < best_key:
                best_key = key
                runner_up = manager_id
                runner_cost = {
                    "full": float(full),
                    "delta_imbalance": delta,
                    "delta_moves": float(moves_then - moves_now),
                    "delta_disruption": move_costs[c] * (moves_then - moves_now),
                }
        if runner_up is not None and runner_cost["full"]:
            binding.append(capacity.RULE_CLIENTS)
        result[client.id] = Explanation(
            client_id=client.id,
            manager_id=chosen,
            eligible=eligible,
            binding=tuple(binding),
            runner_up=runner_up,
            runner_up_cost=runner_cost,
            text=_sentence(
                client.owner_id,
                chosen,
                eligible,
                binding,
                runner_up,
                runner_cost,
                unplaced.get(client.id),
                lang,
                names,
            ),
        )
    return result


def _sentence(
    owner: str | None,
    chosen: str | None,
    eligible: tuple[str, ...],
    binding: list[str],
    runner_up: str | None,
    cost: dict[str, float],
    unplaced_reason: str | None,
    lang: str,
    names: dict[str, str] | None = None,
) -> str:
    stays = owner == chosen  # decided on ids: two managers may share a name
    # People read names; ids stay in the structured fields (manager_id, eligible, runner_up).
    if names:
        owner = names.get(owner, owner) if owner is not None else None
        chosen = names.get(chosen, chosen) if chosen is not None else None
        eligible = tuple(names.get(m, m) for m in eligible)
        runner_up = names.get(runner_up, runner_up) if runner_up is not None else None
    if chosen is None:
        reason = unplaced_reason or text("why.no_candidates", lang)
        return text("explain.unassigned", lang, reason=reason)
    parts: list[str] = []
    if "lock" in binding:
        parts.append(text("explain.locked", lang, manager=chosen))
    elif len(eligible) == 1:
        parts.append(text("explain.only", lang, manager=chosen))
    elif stays:
        parts.append(text("explain.stays", lang, manager=chosen))
    elif owner is not None:
        parts.append(text("explain.moved", lang, owner=owner, manager=chosen))
    else:
        parts.append(text("explain.new", lang, manager=chosen))
    if len(eligible) > 1:
        shown = ", ".join(eligible[:LISTED]) + (" …" if len(eligible) > LISTED else "")
        parts.append(text("explain.eligible", lang, managers=shown))
    if runner_up is not None:
        if cost.get("full"):
            parts.append(text("explain.runner_up_full", lang, manager=runner_up))
        else:
            parts.append(
                text(
                    "explain.runner_up",
                    lang,
                    manager=runner_up,
                    delta_imbalance=cost["delta_imbalance"],
                    delta_moves=int(cost["delta_moves"]),
                )
            )
    return "; ".join(parts)

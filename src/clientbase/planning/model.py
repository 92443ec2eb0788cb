"""The optimizer: compose the constraint and objective modules and solve, component by component.

Objectives are lexicographic: (1) serve as many clients as possible, (2) balance potential
per capacity slot among peers, (3) low disruption — within `balance_tolerance` of the best
balance, fewer and cheaper moves win.

Per independent component (decompose.py):
1. start: min-cost max-flow (start.py) serves the most clients at the least move cost;
2. if the flow cannot serve everybody (hours, tier weights, a move limit), CP-SAT decides
   exactly how many can be served (phase 1 of `solve_exact`);
3. proof: the LP relaxation over client classes (relaxation.py, GLOP) and the Hall-type
   structural bound (bounds.py) give the proven lower bound on imbalance that `gap` is
   measured against (the larger of the two); the LP also gives the level each peer group
   can meet at;
4. balance: local search by moves and swaps (objectives/local_search.py) aimed at those
   levels, in rounds; with owners, new moves away from an owner carry a price and are
   allowed only while the balance is outside the tolerance band, then moves that balance
   does not need are handed back (ADR 0021);
5. exact pass: the real ratios, below the model's resolution (objectives/equalise.py):
   pairs, min-cost-flow diffusion, deepening; with owners a new move there must lower the
   largest spread by EXACT_MOVE_PRICE × balance_tolerance (ADR 0022).

`solve_exact` also holds the full three-phase CP-SAT model (one 0/1 variable per candidate
pair); ADR 0002 records why it is not the main path for balance.

Determinism: no wall clock decides anything. CP-SAT runs with a fixed seed, fixed workers
in interleaved mode and deterministic-time limits; flow, GLOP and local search (a budget in
evaluations, fixed orders) are deterministic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from clientbase.planning import bounds, metrics, relaxation, start
from clientbase.planning.builder import (
    Backend,
    ModelBuilder,
    SubProblem,
    Term,
    Var,
    client_hours_units,
    manager_hours_units,
)
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.constraints import capacity, max_moves
from clientbase.planning.decompose import Component, components, peer_groups
from clientbase.planning.objectives import balance, disruption, equalise, local_search
from clientbase.planning.schemas import Instance, Plan, PlanStatus, Strategy

# Weight of disruption against the sum of spreads in phase 3 (cost hundredths vs 1e-5 of ρ).
DISRUPTION_WEIGHT = 1000
# Evaluations of the local search per second of time limit (about a second of CPU).
LOCAL_SEARCH_WORK = 1_200_000
# Wall-clock safety net over the deterministic limits.
WALL_FACTOR = 1.5
# Share of the time limit after which local search stops on the wall clock (the rest is
# for the bound, validation and explanations).
SEARCH_SHARE = 0.9
# A move away from an owner must narrow the spread between the two managers by about
# MOVE_PRICE / 2 × balance_tolerance per client of average size (see local_search.price);
# the low price is for a rebalance that the high one leaves far from balanced.
MOVE_PRICE = 12.0
LOW_MOVE_PRICE = 2.0
FIRST_PASS_SHARE = 0.6
# The low price is used while the spread is more than this many tolerances above the bound
# (was 2: a component left at 1.5 tolerances stayed there, the exact pass trades only
# clients whose move is free or priced, ADR 0022).
WIDE_TOLERANCES = 1.5
# The share of the work kept for the exact pass (with owners / without), and, with
# owners, the price of a new move there (the largest spread must fall by this many
# balance_tolerance per move). Shares measured in ADR 0022.
EXACT_SHARE = 0.25
EXACT_SHARE_FIRST = 0.3
EXACT_MOVE_PRICE = 0.2
# Without owners, Φ hands over to the exact pass once within this many balance steps.
HANDOVER_STEPS = 5
# Rounds of local search, each re-aiming every group at the middle of its current spread.
LEVEL_ROUNDS = 8


class CpSatBackend(Backend):
    """Integer backend: CP-SAT."""

    integral = True

    def __init__(self) -> None:
        self.model = cp_model.CpModel()

    def new_var(self, lb: float, ub: float, name: str) -> Var:
        """A Boolean for 0/1 ranges, else an integer variable."""
        if lb == 0 and ub == 1:
            return self.model.new_bool_var(name)
        return self.model.new_int_var(math.floor(lb), math.ceil(ub), name)

    def add_linear(self, terms: Sequence[Term], lb: float, ub: float) -> None:
        """lb ≤ Σ coef·var ≤ ub with integer coefficients."""
        expr = cp_model.LinearExpr.weighted_sum([v for _, v in terms], [int(c) for c, _ in terms])
        if lb == -math.inf:
            self.model.add(expr <= math.floor(ub))
        elif ub == math.inf:
            self.model.add(expr >= math.ceil(lb))
        else:
            self.model.add_linear_constraint(expr, math.ceil(lb), math.floor(ub))


@dataclass(slots=True)
class SubResult:
    """Outcome of one sub-problem: chosen manager per client position and what was proven."""

    assignment: dict[int, int | None]
    proven: bool
    bound: float  # valid lower bound on the imbalance metric of this sub-problem's groups
    det_time: float = 0.0
    method: str = "cp-sat"
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Budget:
    """Deterministic-time budget with a wall-clock safety deadline."""

    det_seconds: float
    deadline: float
    # Local search stops here even with work left: the time limit a user sets is a promise.
    # Only a loaded machine reaches it; then the plan may differ from run to run.
    search_deadline: float | None = None

    def wall_left(self) -> float:
        """Wall-clock seconds left before the safety deadline."""
        return max(0.05, self.deadline - time.monotonic())


def _greedy_hint(sub: SubProblem) -> dict[int, int]:
    """Keep owners where allowed, then the least relatively loaded candidate with room."""
    instance = sub.instance
    settings = instance.settings
    load = {m: sub.fixed_load.get(m, 0) for m in sub.managers}
    hours = {m: sub.fixed_hours.get(m, 0) for m in sub.managers}
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    position = {instance.managers[m].id: m for m in sub.managers}
    hint: dict[int, int] = {}

    def fits(c: int, m: int) -> bool:
        manager = instance.managers[m]
        client = instance.clients[c]
        if load[m] + settings.weight(client.tier) > manager.capacity:
            return False
        if manager.hours is None:
            return True
        free = manager_hours_units(manager.hours) - hours[m]
        return client_hours_units(client.hours) <= free

    def take(c: int, m: int) -> None:
        client = instance.clients[c]
        hint[c] = m
        load[m] += settings.weight(client.tier)
        hours[m] += client_hours_units(client.hours)
        potential[m] += client.potential

    rest: list[int] = []
    for c in sub.clients:
        owner = position.get(instance.clients[c].owner_id or "")
        if owner is not None and owner in sub.candidates[c] and fits(c, owner):
            take(c, owner)
        else:
            rest.append(c)
    # Big clients first, as a human would deal them out.
    rest.sort(key=lambda c: (-instance.clients[c].potential, c))
    for c in rest:
        best: tuple[float, int] | None = None
        for m in sub.candidates[c]:
            cap = instance.managers[m].capacity
            if cap <= 0 or not fits(c, m):
                continue
            key = (potential[m] / cap, m)
            if best is None or key < best:
                best = key
        if best is not None:
            take(c, best[1])
    return hint


def _cpsat_params(solver: cp_model.CpSolver, instance: Instance, det: float, wall: float) -> None:
    params = solver.parameters
    params.random_seed = instance.settings.seed
    params.num_workers = max(1, instance.settings.num_workers)
    if params.num_workers > 1:
        # Interleaved subsolvers give the same result for the same seed, run after run.
        params.interleave_search = True
    params.max_deterministic_time = max(0.01, det)
    params.max_time_in_seconds = max(0.05, wall)


def solve_exact(
    sub: SubProblem,
    budget: Budget,
    hint: dict[int, int] | None = None,
    *,
    serve_only: bool = False,
) -> SubResult:
    """Solve a sub-problem with CP-SAT in three lexicographic phases (or only the first)."""
    instance = sub.instance
    backend = CpSatBackend()
    builder = ModelBuilder(sub, backend)
    builder.build_assignment()
    capacity.add(builder)
    max_moves.add(builder)
    bal = balance.add(builder)
    model = backend.model
    start_hint = hint if hint is not None else _greedy_hint(sub)

    def set_hint(choice: dict[int, int | None]) -> None:
        # A complete hint (auxiliary variables included) is taken as a first solution at once.
        model.clear_hints()  # type: ignore[no-untyped-call]
        for (c, m), var in builder.x.items():
            model.add_hint(var, 1 if choice.get(c) == m else 0)
        for var, value in bal.hint_values(builder, choice):
            model.add_hint(var, value)

    def read(solver: cp_model.CpSolver) -> dict[int, int | None]:
        chosen: dict[int, int | None] = dict.fromkeys(sub.clients)
        for (c, m), var in builder.x.items():
            if solver.boolean_value(var):
                chosen[c] = m
        return chosen

    used = 0.0
    proven = True
    served_terms = builder.served_terms()
    moved = builder.moved_terms()
    needs_phase3 = bool(moved) or len(bal.spreads) > 1
    phases = 1 + (bal.top is not None) + needs_phase3
    current: dict[int, int | None] = dict(start_hint.items())

    # Phase 1: serve everybody who can be served (nothing to prove if the hint already does).
    served = sum(1 for m in current.values() if m is not None)
    if served < sum(1 for c in sub.clients if sub.candidates[c]):
        # Time for this phase only when it is the only one we run.
        phases = 1 if serve_only else phases
        # Serve the most; among those plans, the least disruption (weight W > total cost).
        cost_terms = disruption.terms(builder, disruption.costs(instance))
        weight = sum(int(c) for c, _ in cost_terms) + 1
        model.maximize(
            cp_model.LinearExpr.weighted_sum(
                [v for _, v in served_terms] + [v for _, v in cost_terms],
                [weight] * len(served_terms) + [-int(c) for c, _ in cost_terms],
            )
        )
        set_hint(current)
        solver = cp_model.CpSolver()
        share = budget.det_seconds / phases
        _cpsat_params(solver, instance, share, min(share * WALL_FACTOR + 0.2, budget.wall_left()))
        status = solver.solve(model)
        used += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            current = read(solver)
            proven &= status == cp_model.OPTIMAL
        served = sum(1 for m in current.values() if m is not None)
    if serve_only:
        return SubResult(current, proven, 0.0, used)
    model.add(cp_model.LinearExpr.sum([v for _, v in served_terms]) >= served)

    bound = 0.0
    if bal.top is not None:
        model.clear_objective()  # type: ignore[no-untyped-call]
        model.minimize(bal.top)
        set_hint(current)
        solver = cp_model.CpSolver()
        left = max(budget.det_seconds - used, 0.05)
        share = left / (2 if needs_phase3 else 1)
        _cpsat_params(solver, instance, share, min(share * WALL_FACTOR + 0.2, budget.wall_left()))
        status = solver.solve(model)
        used += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            current = read(solver)
            proven &= status == cp_model.OPTIMAL
            top_value = int(solver.objective_value)
            bound = balance.proven_bound(
                solver.best_objective_bound,
                sub.groups,
                integral=True,
                step=instance.settings.balance_step,
            )
            tolerance = round(
                instance.settings.balance_tolerance / max(instance.settings.balance_step, 1e-9)
            )
            model.add(bal.top <= top_value + (tolerance if moved else 0))
        else:
            proven = False

    if needs_phase3:
        cost_table = disruption.costs(instance)
        objective = [
            (coef * DISRUPTION_WEIGHT, var) for coef, var in disruption.terms(builder, cost_table)
        ]
        objective += [(1, s) for s in bal.spreads]
        model.clear_objective()  # type: ignore[no-untyped-call]
        model.minimize(
            cp_model.LinearExpr.weighted_sum(
                [v for _, v in objective], [int(c) for c, _ in objective]
            )
        )
        set_hint(current)
        solver = cp_model.CpSolver()
        left = max(budget.det_seconds - used, 0.05)
        _cpsat_params(solver, instance, left, min(left * WALL_FACTOR + 0.2, budget.wall_left()))
        status = solver.solve(model)
        used += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            current = read(solver)
            proven &= status == cp_model.OPTIMAL
        else:
            proven = False
    return SubResult(current, proven, bound, used)


def _spread_of(sub: SubProblem, assignment: dict[int, int | None]) -> float:
    """The imbalance metric restricted to the sub-problem's peer groups."""
    instance = sub.instance
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    for c, m in assignment.items():
        if m is not None:
            potential[m] += instance.clients[c].potential
    worst = 0.0
    for group in sub.groups:
        caps = [instance.managers[m].capacity for m in group.managers]
        total = sum(potential[m] for m in group.managers)
        if total <= 0:
            continue
        rho = total / sum(caps)
        ratios = [potential[m] / cap for m, cap in zip(group.managers, caps, strict=True)]
        worst = max(worst, (max(ratios) - min(ratios)) / rho)
    return worst


def solve_component(sub: SubProblem, budget: Budget) -> SubResult:
    """Flow start, CP-SAT when it cannot serve everybody, local search, LP bound."""
    instance = sub.instance
    settings = instance.settings
    assignment = start.initial_assignment(sub)
    served = sum(1 for m in assignment.values() if m is not None)
    servable = sum(1 for c in sub.clients if sub.candidates[c])
    method = "greedy+local-search"
    det_used = 0.0
    proven_served = served == servable
    moves = _moves_of(instance, assignment)
    over_limit = sub.moves_limit is not None and moves + sub.fixed_moves > sub.moves_limit
    if not proven_served or over_limit:
        # Hours, tier weights or the move limit: only an exact model knows the most we can serve.
        hint = {c: m for c, m in assignment.items() if m is not None}
        if over_limit:
            hint = {c: m for c, m in hint.items() if _keeps_owner(instance, c, m)}
        exact_result = solve_exact(sub, budget, hint, serve_only=True)
        det_used += exact_result.det_time
        assignment = exact_result.assignment
        proven_served = exact_result.proven
        served = sum(1 for m in assignment.values() if m is not None)
        method = "greedy+cp-sat+local-search"
    work = int(max(1.0, budget.det_seconds) * LOCAL_SEARCH_WORK)
    has_owners = any(instance.clients[c].owner_id is not None for c in sub.clients)
    relaxed = relaxation.solve(sub, served)
    # Two valid bounds; the larger holds (bounds.py: Hall-type, in the metric's own ρ).
    bound = max(relaxed.bound, bounds.structural_bound(sub, all_served=served == servable))
    # With owners the LP's levels would let the head of sales (outside every peer group)
    # absorb surplus at the price of moves; a rebalance aims every group at its ρ̂ instead.
    levels = relaxed.levels if not has_owners else [1.0] * len(relaxed.levels)
    # Φ stops near the model's resolution; the exact pass (equalise) goes below it. Without
    # owners it takes over earlier: from 0.01 it reaches lower than Φ does from 0.001.
    handover = settings.balance_step / 2 if has_owners else HANDOVER_STEPS * settings.balance_step
    enough = bound + handover
    # One work budget for all passes, so the time limit holds.
    stop_at = budget.search_deadline
    band = bound + settings.balance_tolerance
    # Objective 3 (few moves) comes after balance within the band. A move away from an
    # owner is taken only when it narrows the spread by a price: first a high one
    # (MOVE_PRICE), so that a few large transfers do the work; if that leaves the spread
    # more than WIDE_TOLERANCES tolerances above the bound, a low one (LOW_MOVE_PRICE)
    # until it is within that. Clients without an owner (new ones, those of leaving managers) move
    # freely throughout. Once inside the band no new move is taken.
    price = MOVE_PRICE * settings.balance_tolerance if has_owners else 0.0
    # Part of the work is kept for the exact pass: Φ spends all it gets when it cannot
    # reach its aim (e.g. a manager full on hours that only exact swaps can lift).
    reserve = int(work * (EXACT_SHARE if has_owners else EXACT_SHARE_FIRST))
    work -= reserve
    work -= _balance(
        sub,
        assignment,
        levels,
        allow_new_moves=True,
        # With owners, keep some work for the low-price pass.
        work=int(work * FIRST_PASS_SHARE) if has_owners else work,
        target=band if has_owners else 0.0,
        good_enough=enough,
        deadline=stop_at,
        move_price=price,
    )
    wide = bound + WIDE_TOLERANCES * settings.balance_tolerance
    if has_owners and work > 0 and _spread_of(sub, assignment) > wide:
        price = LOW_MOVE_PRICE * settings.balance_tolerance
        work -= _balance(
            sub,
            assignment,
            levels,
            allow_new_moves=True,
            work=work,
            target=wide,
            good_enough=enough,
            deadline=stop_at,
            move_price=price,
        )
    if has_owners and work > 0:
        # Then as few moves as that balance allows, and a last polish without new moves.
        ceiling = max(band, _spread_of(sub, assignment)) + settings.balance_tolerance / 2
        work -= local_search.reduce_moves(
            sub, assignment, ceiling=ceiling, work=work, deadline=stop_at
        )
        work -= _balance(
            sub,
            assignment,
            levels,
            allow_new_moves=False,
            work=work,
            good_enough=enough,
            deadline=stop_at,
            move_price=price,
        )
    work = max(0, work) + reserve
    if work > 0:
        # Last, the metric itself: exact ratios, below the model's resolution.
        work -= equalise.equalise(
            sub,
            assignment,
            work=work,
            floor=bound,
            deadline=stop_at,
            move_price=EXACT_MOVE_PRICE * settings.balance_tolerance,
            band=band,
        )
    fine = bound + settings.balance_step / 2
    if not has_owners and work > 0 and _spread_of(sub, assignment) > fine:
        # The exact pass got stuck above the resolution Φ used to aim for: give Φ the rest
        # of its way (its landscape differs), then the exact pass once more.
        work -= _balance(
            sub,
            assignment,
            _levels_now(sub, assignment),
            allow_new_moves=True,
            work=work,
            good_enough=fine,
            deadline=stop_at,
        )
        if work > 0:
            work -= equalise.equalise(sub, assignment, work=work, floor=bound, deadline=stop_at)
    gap = _spread_of(sub, assignment) - bound
    proven = proven_served and not has_owners and gap <= settings.balance_step
    return SubResult(assignment, proven, bound, det_used, method)


def _levels_now(sub: SubProblem, assignment: dict[int, int | None]) -> list[float]:
    """Per group, the middle of its members' r_m / ρ̂ in `assignment`."""
    instance = sub.instance
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    for c, m in assignment.items():
        if m is not None:
            potential[m] += instance.clients[c].potential
    levels: list[float] = []
    for group in sub.groups:
        ratios = [
            potential[m] / instance.managers[m].capacity / group.rho_hat
            for m in group.managers
            if instance.managers[m].capacity > 0 and group.rho_hat > 0
        ]
        middle = (max(ratios) + min(ratios)) / 2 if ratios else 0.0
        levels.append(middle if middle > 0 else 1.0)
    return levels


def _balance(
    sub: SubProblem,
    assignment: dict[int, int | None],
    levels: list[float],
    *,
    allow_new_moves: bool,
    work: int,
    good_enough: float,
    deadline: float | None,
    target: float = 0.0,
    move_price: float = 0.0,
) -> int:
    """Local search in rounds, each aiming at the middle of the spread the last one left.

    Members that the clients they may take cannot lift (or lower) stay where they are; the
    others then meet them halfway, the managers outside the group (the head of sales)
    absorbing the difference. Returns the evaluations spent; `assignment` ends as the best
    round's plan.
    """
    spent = 0
    best = dict(assignment)
    best_spread = _spread_of(sub, assignment)
    aim = list(levels)
    for _ in range(LEVEL_ROUNDS):
        if spent >= work or best_spread <= good_enough:
            break
        spent += local_search.polish(
            sub,
            assignment,
            allow_new_moves=allow_new_moves,
            work=work - spent,
            target=target,
            good_enough=good_enough,
            deadline=deadline,
            levels=aim,
            move_price=move_price,
        )
        now = _spread_of(sub, assignment)

        if now < best_spread - 1e-12:
            best, best_spread = dict(assignment), now
        else:
            # A round that does not improve will not be followed by one that does.
            assignment.clear()
            assignment.update(best)
            break
        if deadline is not None and time.monotonic() > deadline:
            break
        aim = _levels_now(sub, assignment)
    return spent


def _keeps_owner(instance: Instance, c: int, m: int) -> bool:
    owner = instance.clients[c].owner_id
    return owner is None or instance.managers[m].id == owner


def _component_subproblem(
    instance: Instance,
    component: Component,
    candidates: list[list[int]],
    moves_limit: int | None,
) -> SubProblem:
    return SubProblem(
        instance=instance,
        clients=component.clients,
        candidates={c: candidates[c] for c in component.clients},
        managers=component.managers,
        groups=peer_groups(instance, component, candidates),
        moves_limit=moves_limit,
    )


def _split_moves(limit: int, wanted: list[int]) -> list[int]:
    """Share a global move limit between components in proportion to what each wanted."""
    total = sum(wanted)
    if total <= limit:
        return wanted
    raw = [limit * w / total for w in wanted]
    shares = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[: limit - sum(shares)]:
        shares[i] += 1
    return shares


def optimize(instance: Instance) -> Plan:
    """The optimal strategy: the best plan the solver finds within the time limit."""
    started = time.monotonic()
    settings = instance.settings
    candidates = candidate_lists(instance)
    parts = components(candidates, len(instance.managers))
    pair_counts = [sum(len(candidates[c]) for c in comp.clients) for comp in parts]
    total_pairs = max(1, sum(pair_counts))
    deadline = started + settings.time_limit * WALL_FACTOR + 1.0
    search_deadline = started + settings.time_limit * SEARCH_SHARE

    def run(limits: list[int | None]) -> list[SubResult]:
        results: list[SubResult] = []
        pairs_left = total_pairs
        for comp, pairs, limit in zip(parts, pair_counts, limits, strict=True):
            sub = _component_subproblem(instance, comp, candidates, limit)
            det = max(0.05, settings.time_limit * pairs / total_pairs)
            # Each component gets its share of the wall-clock time still left for search.
            now = time.monotonic()
            stop_at = now + max(0.0, search_deadline - now) * pairs / max(1, pairs_left)
            pairs_left -= pairs
            budget = Budget(det, deadline, stop_at)
            results.append(solve_component(sub, budget))
        return results

    limits: list[int | None] = [settings.max_moves] * len(parts)
    results = run(limits)
    notes: list[str] = []
    if settings.max_moves is not None and len(parts) > 1:
        wanted = [_moves_of(instance, r.assignment) for r in results]
        if sum(wanted) > settings.max_moves:
            shares: list[int | None] = list(_split_moves(settings.max_moves, wanted))
            results = run(shares)
            notes.append("max_moves split between components")

    assignment: dict[str, str | None] = {c.id: None for c in instance.clients}
    for result in results:
        for c, m in result.assignment.items():
            assignment[instance.clients[c].id] = instance.managers[m].id if m is not None else None
    plan = finish_plan(instance, assignment, Strategy.OPTIMAL, candidates)
    plan.components = len(parts)
    plan.lower_bound = max((r.bound for r in results), default=0.0)
    plan.lower_bound = min(plan.lower_bound, plan.imbalance)
    plan.gap = max(0.0, plan.imbalance - plan.lower_bound)
    plan.objective = plan.imbalance
    all_served = plan.unassigned == 0
    if not all_served:
        plan.status = PlanStatus.PARTIAL
    elif all(r.proven for r in results):
        plan.status = PlanStatus.OPTIMAL
    else:
        plan.status = PlanStatus.FEASIBLE
    methods = sorted({r.method for r in results})
    plan.notes = [*notes, f"methods: {', '.join(methods)}"]
    plan.solve_seconds = time.monotonic() - started
    return plan


def _moves_of(instance: Instance, assignment: dict[int, int | None]) -> int:
    moves = 0
    for c, m in assignment.items():
        owner = instance.clients[c].owner_id
        if owner is not None and m is not None and instance.managers[m].id != owner:
            moves += 1
    return moves


def finish_plan(
    instance: Instance,
    assignment: dict[str, str | None],
    strategy: Strategy,
    candidates: list[list[int]] | None = None,
) -> Plan:
    """A plan with every metric filled in from an assignment (any strategy)."""
    cands = candidates if candidates is not None else candidate_lists(instance)
    groups = metrics.peer_group_ids(instance, cands)
    stats = metrics.manager_stats(instance, assignment)
    unassigned = sum(1 for c in instance.clients if assignment.get(c.id) is None)
    imbalance = max((metrics.spread(stats, g) for g in groups), default=0.0)
    return Plan(
        assignment=assignment,
        status=PlanStatus.FEASIBLE if unassigned == 0 else PlanStatus.PARTIAL,
        strategy=strategy,
        objective=imbalance,
        moves=metrics.moves(instance, assignment),
        unassigned=unassigned,
        imbalance=imbalance,
        imbalance_role_group=metrics.imbalance_role_group(instance, assignment),
        disruption=disruption.total(instance, assignment),
        managers=stats,
    )

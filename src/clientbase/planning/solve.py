"""One entry point for every strategy: plan, validate, diagnose, explain."""

from __future__ import annotations

from clientbase.planning.baselines import baseline
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.diagnose import diagnose
from clientbase.planning.explain import explain
from clientbase.planning.model import optimize
from clientbase.planning.schemas import Instance, Plan, PlanStatus, Strategy
from clientbase.planning.validate import RULE_UNASSIGNED, validate


def make_plan(
    instance: Instance, strategy: Strategy = Strategy.OPTIMAL, *, with_explanations: bool = True
) -> Plan:
    """A plan by `strategy`, validated, with a diagnosis when somebody is left unplaced."""
    lang = instance.settings.lang
    plan = optimize(instance) if strategy is Strategy.OPTIMAL else baseline(instance, strategy)
    broken = [v for v in validate(instance, plan, lang) if v.rule != RULE_UNASSIGNED]
    plan.violations = len(broken)
    if broken:
        # Only the greedy baselines break hard rules (they ignore capacity); such a plan is
        # not a valid plan, whatever else it achieves.
        plan.status = PlanStatus.INFEASIBLE
        plan.notes.append("; ".join(sorted({v.rule for v in broken})))
    candidates = candidate_lists(instance)
    if plan.unassigned:
        plan.diagnosis = diagnose(instance, plan.assignment, candidates, lang)
        if plan.status is not PlanStatus.INFEASIBLE:
            plan.status = PlanStatus.PARTIAL
    if with_explanations:
        plan.explanations = explain(instance, plan, lang=lang, candidates=candidates)
    return plan

"""`clientbase plan …`: distribution plans on the database (create, list, show, diff, apply)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out
from clientbase.core.types import Role
from clientbase.errors import InfeasibleError
from clientbase.planning.schemas import PlanStatus, Settings, Strategy
from clientbase.services import database, plans

plan_app = typer.Typer(
    help="Планы распределения в базе: расчёт, просмотр, сравнение, применение.",
    no_args_is_help=True,
)
PlanId = Annotated[int, typer.Argument(help="Номер плана.", min=1)]
RESULT_RU = {
    "optimal": "оптимальный",
    "feasible": "допустимый",
    "partial": "частичный",
    "infeasible": "нет решения",
}
STATUS_RU = {"draft": "черновик", "applied": "применён", "discarded": "отклонён"}


@plan_app.command("create")
def plan_create(
    db: DbOption = None,
    role: Annotated[Role, typer.Option(help="Какую роль распределять.")] = Role.ACCOUNT,
    strategy: Annotated[Strategy, typer.Option(help="Оптимизатор или правило для сравнения.")] = (
        Strategy.OPTIMAL
    ),
    time_limit: Annotated[float, typer.Option(help="Предел времени решения, с.", min=0.1)] = 10.0,
    seed: Annotated[int, typer.Option(help="Зерно решателя.", min=0)] = 0,
    max_moves: Annotated[
        int | None, typer.Option(help="Не больше стольких переходов клиентов.", min=0)
    ] = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="На какую дату (отпуска).")
    ] = None,
) -> None:
    """Рассчитать план распределения по сегодняшним данным и сохранить как черновик."""
    engine = database.open_database(db)
    settings = Settings(role=role, time_limit=time_limit, seed=seed, max_moves=max_moves)
    with err.status("Решаю задачу распределения…"):
        summary, plan = plans.create_plan(
            engine=engine,
            solver=plans.solve,
            settings=settings,
            strategy=strategy,
            today=today.date() if today else None,
        )
    _print_summary(summary)
    out.print(
        f"Нижняя граница дисбаланса {plan.lower_bound:.4f}, разрыв {plan.gap:.4f}, "
        f"решено за {plan.solve_seconds:.1f} с."
    )
    if plan.diagnosis is not None:
        err.print(plan.diagnosis.text, highlight=False)
    if plan.status in (PlanStatus.PARTIAL, PlanStatus.INFEASIBLE):
        raise InfeasibleError(
            f"План #{summary.id} частичный: не всех клиентов можно распределить (см. диагноз)."
        )


def _print_summary(s: plans.PlanSummary) -> None:
    out.print(
        f"План #{s.id}: {STATUS_RU[s.status]}, {RESULT_RU.get(s.result, s.result)}, "
        f"роль {s.role}, стратегия {s.strategy}; переходов {s.moves}, без ответственного "
        f"{s.unassigned}, дисбаланс {s.imbalance:.4f}."
    )


@plan_app.command("list")
def plan_list(db: DbOption = None) -> None:
    """Список сохранённых планов."""
    engine = database.open_database(db)
    table = Table()
    for title in (
        "№",
        "Статус",
        "Результат",
        "Роль",
        "Стратегия",
        "Переходов",
        "Без отв.",
        "Дисбаланс",
        "Создан",
    ):
        table.add_column(title)
    for s in plans.list_plans(engine):
        table.add_row(
            str(s.id),
            STATUS_RU[s.status],
            RESULT_RU.get(s.result, s.result),
            s.role,
            s.strategy,
            str(s.moves),
            str(s.unassigned),
            f"{s.imbalance:.4f}",
            s.created_at.strftime("%d.%m.%Y %H:%M"),
        )
    out.print(table)


@plan_app.command("show")
def plan_show(
    plan_id: PlanId,
    db: DbOption = None,
    client: Annotated[
        str | None, typer.Option(help="Объяснить решение по этому клиенту (ID).")
    ] = None,
) -> None:
    """Показать план: переходы клиентов, нагрузку менеджеров, диагноз, объяснения."""
    engine = database.open_database(db)
    summary, plan, inputs = plans.get_plan(engine, plan_id)
    _print_summary(summary)
    if client is not None:
        explanation = plan.explanations.get(client)
        if explanation is None:
            raise typer.BadParameter(
                f"в плане #{plan_id} нет клиента {client}", param_hint="--client"
            )
        out.print(explanation.text, highlight=False)
        return
    names = {m["id"]: m["name"] for m in inputs["managers"]}
    table = Table(title="Менеджеры")
    for title in ("Менеджер", "Клиентов", "Ёмкость", "Потенциал", "Пришло", "Ушло"):
        table.add_column(title)
    for mid, stats in sorted(plan.managers.items(), key=lambda kv: names.get(kv[0], kv[0])):
        if stats.clients or stats.moved_out:
            table.add_row(
                names.get(mid, mid),
                str(stats.clients),
                str(stats.capacity),
                f"{stats.potential:,.0f}".replace(",", " "),
                str(stats.moved_in),
                str(stats.moved_out),
            )
    out.print(table)
    moves = plans.moves_of(plan, inputs)
    moves_table = Table(title=f"Переходы клиентов ({len(moves)})")
    for title in ("ID", "Клиент", "Было", "Станет"):
        moves_table.add_column(title)
    for m in moves[:200]:
        moves_table.add_row(m.client_id, m.client, m.before or "—", m.after or "—")
    out.print(moves_table)
    if plan.diagnosis is not None:
        out.print(plan.diagnosis.text, highlight=False)


@plan_app.command("diff")
def plan_diff(first: PlanId, second: PlanId, db: DbOption = None) -> None:
    """Сравнить два плана: у каких клиентов разные менеджеры."""
    engine = database.open_database(db)
    moves = plans.diff_plans(engine, first, second)
    table = Table(title=f"План #{first} против плана #{second}: различий {len(moves)}")
    for title in ("ID", "Клиент", f"План #{first}", f"План #{second}"):
        table.add_column(title)
    for m in moves:
        table.add_row(m.client_id, m.client, m.before or "—", m.after or "—")
    out.print(table)


@plan_app.command("apply")
def plan_apply(plan_id: PlanId, db: DbOption = None) -> None:
    """Применить черновик одной транзакцией (отказ, если данные изменились)."""
    engine = database.open_database(db)
    result = plans.apply_plan(engine=engine, plan_id=plan_id)
    out.print(
        f"План #{plan_id} применён: передано клиентов {result.moved}, "
        f"назначено впервые {result.assigned}."
    )


@plan_app.command("discard")
def plan_discard(plan_id: PlanId, db: DbOption = None) -> None:
    """Отклонить черновик плана."""
    engine = database.open_database(db)
    plans.discard_plan(engine=engine, plan_id=plan_id)
    out.print(f"План #{plan_id} отклонён.")

"""`clientbase assign`: distribute clients among managers from files alone (SPEC §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clientbase.errors import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_OK,
    BadInputError,
    ClientbaseError,
)
from clientbase.io.assign_files import (
    read_clients,
    read_managers,
    skipped_reason,
    split_by_role,
    summary,
    write_plan,
    write_summary,
)
from clientbase.planning.schemas import Instance, PlanStatus, Settings, Strategy
from clientbase.planning.solve import make_plan


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def assign(
    clients: Annotated[
        Path, typer.Option("--clients", help="Файл клиентов clients.csv (колонки SPEC §8).")
    ],
    managers: Annotated[
        Path, typer.Option("--managers", help="Файл менеджеров managers.csv (колонки SPEC §8).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Куда записать план plan.csv.")],
    summary_path: Annotated[
        Path | None, typer.Option("--summary", help="Куда записать сводку summary.json.")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Ограничение времени решателя, секунд.")
    ] = 10.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Зерно: те же файлы и зерно — тот же план.")
    ] = 0,
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy",
            help="optimal — оптимальный план; остальные — жадные правила CRM для сравнения.",
        ),
    ] = Strategy.OPTIMAL,
    max_moves: Annotated[
        int | None,
        typer.Option("--max-moves", min=0, help="Не больше стольких смен ответственного."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Язык объяснений: ru или en.")] = "ru",
) -> None:
    """Распределить клиентов по менеджерам: баланс, ёмкость, сегменты, мало перемещений."""
    try:
        if lang not in ("ru", "en"):
            raise BadInputError(f"--lang: ожидается ru или en, а не «{lang}»")
        manager_list = read_managers(managers)
        client_list = read_clients(clients, {m.id for m in manager_list})
        settings = Settings(time_limit=time_limit, seed=seed, max_moves=max_moves, lang=lang)
        # Prospects and lost clients need no account manager: they stay out of the plan.
        needed, skipped = split_by_role(client_list, settings.role)
        instance = Instance(tuple(manager_list), tuple(needed), settings)
        plan = make_plan(instance, strategy)
        reasons = {cid: e.text for cid, e in plan.explanations.items()}
        reasons.update({c.id: skipped_reason(c, settings.role, lang) for c in skipped})
        write_plan(out, plan, client_list, reasons)
        content = summary(plan, seed=seed, time_limit=time_limit)
        if summary_path is not None:
            write_summary(summary_path, content)
    except ClientbaseError as exc:
        raise _fail(exc.message, exc.exit_code) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or ''}: {exc.strerror}", EXIT_BAD_INPUT) from None
    except Exception as exc:
        raise _fail(f"внутренняя ошибка: {exc!r}", EXIT_BAD_INPUT) from None
    typer.echo(
        f"status={content['status']} clients={len(needed)} skipped={len(skipped)} "
        f"unassigned={plan.unassigned} "
        f"moves={plan.moves} imbalance={plan.imbalance:.4f} lower_bound={plan.lower_bound:.4f} "
        f"gap={plan.gap:.4f} violations={plan.violations} seconds={plan.solve_seconds:.2f}"
    )
    if plan.violations:
        typer.echo(f"{strategy.value}: {'; '.join(plan.notes)}", err=True)
    if plan.status is PlanStatus.PARTIAL or plan.diagnosis is not None:
        assert plan.diagnosis is not None
        typer.echo(plan.diagnosis.text, err=True)
        raise typer.Exit(EXIT_INFEASIBLE)
    raise typer.Exit(EXIT_OK)

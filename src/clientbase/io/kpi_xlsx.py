"""The KPI workbook: a sheet per view, real number formats and native XlsxWriter charts.

Sheets: scorecard (every KPI of every manager), leaderboard, plan vs actual with the
run-rate forecast, monthly trends, teams / role groups / company, funnel, seasonality and
the weights used. Text that a spreadsheet would run as a formula (a manager called
"=HYPERLINK(…)") is written as text: `strings_to_formulas` is off and every string goes
through `writers.escape_formula`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clientbase.core.kpi import KPI_BY_CODE
from clientbase.io.writers import escape_formula
from clientbase.io.xlsx_book import Book
from clientbase.services.kpi import (
    GROUP_NAMES_RU,
    Comparison,
    FunnelStage,
    GroupRow,
    Scorecard,
    ScorecardRow,
    SeasonMonth,
    Trend,
    leaderboard,
    plan_vs_actual,
)

# (key, Russian header, format kind) of the scorecard sheet; the first 15 keys are the
# SPEC §10 columns, in its order.
SCORECARD_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("manager_id", "ID", "int"),
    ("manager", "Менеджер", "text"),
    ("period", "Период", "text"),
    ("volume", "Объём продаж", "money"),
    ("won_deals", "Выиграно сделок", "int"),
    ("lost_deals", "Проиграно сделок", "int"),
    ("conversion", "Конверсия сделок", "pct"),
    ("average_check", "Средний чек", "money"),
    ("new_clients", "Новые клиенты", "int"),
    ("retention", "Удержание", "pct"),
    ("repeat_rate", "Повторные продажи", "pct"),
    ("plan", "План", "money"),
    ("attainment", "Выполнение плана", "pct"),
    ("score", "Балл", "score"),
    ("rank", "Место в группе", "int"),
    ("team", "Команда", "text"),
    ("role_group", "Группа ролей", "text"),
    ("rank_overall", "Место в отделе", "int"),
    ("forecast", "Прогноз на конец периода", "money"),
    ("forecast_attainment", "Прогноз выполнения", "pct"),
    ("volume_prev", "Объём прошлого периода", "money"),
    ("growth_prev", "Динамика к прошлому периоду", "pct"),
    ("volume_last_year", "Объём год назад", "money"),
    ("growth_last_year", "Динамика к прошлому году", "pct"),
    ("contacts", "Звонки и встречи", "int"),
    ("contact_conversion", "Конверсия контактов", "pct"),
    ("inbound", "Входящие обращения", "int"),
    ("response_minutes", "Время ответа, мин (медиана)", "num"),
    ("held", "Клиентов в работе", "int"),
    ("coverage", "Охват за 30 дней", "pct"),
    ("dormant_share", "Доля «спящих»", "pct"),
    ("discipline", "Задачи в срок", "pct"),
    ("csat", "CSAT (1–5)", "num"),
    ("nps", "NPS", "num"),
    ("satisfaction", "Удовлетворённость (0–100 %)", "pct"),
    ("feedback", "Оценка коллег (1–5)", "num"),
    ("strengths", "Сильные стороны", "text"),
    ("weak_spots", "Зоны роста", "text"),
)


def scorecard_record(row: ScorecardRow) -> dict[str, Any]:
    """A flat dict of one scorecard row (the CSV and Excel columns)."""
    k = row.kpis
    out: dict[str, Any] = {
        "manager_id": row.manager_id,
        "manager": row.manager,
        "period": row.period,
        "team": row.team,
        "role_group": row.role_group,
        "score": row.score,
        "rank": row.rank,
        "rank_overall": row.rank_overall,
        "forecast": row.forecast,
        "forecast_attainment": row.forecast_attainment,
        "strengths": "; ".join(row.strengths),
        "weak_spots": "; ".join(row.weak_spots),
    }
    for key, _, kind in SCORECARD_COLUMNS:
        if key not in out:
            value = getattr(k, key)
            # Shares to 4 decimals (0.1 %), scores and minutes to 1: what a reader can use.
            if isinstance(value, float) and kind in ("pct", "num"):
                value = round(value, 4 if kind == "pct" else 1)
            out[key] = value
    return out


def _sheet_scorecard(book: Book, card: Scorecard) -> None:
    ws = book.sheet("Показатели", pages_wide=2)
    records = [scorecard_record(r) for r in card.rows]
    # The same columns as the CSV (SPEC §10), so a script reads either file the same way;
    # the Russian name of each column is the comment of its header.
    keyed = [(key, key, kind) for key, _, kind in SCORECARD_COLUMNS]
    last = book.table(ws, keyed, records)
    for c, (_, title, _) in enumerate(SCORECARD_COLUMNS):
        ws.write_comment(0, c, title)
    if records:
        # Colour scale on the score: the eye finds the strong and the weak at once.
        col = [k for k, _, _ in SCORECARD_COLUMNS].index("score")
        ws.conditional_format(1, col, last, col, {"type": "3_color_scale"})


def _sheet_leaderboard(book: Book, card: Scorecard) -> None:
    ws = book.sheet("Рейтинг")
    cols = (
        ("rank_overall", "Место", "int"),
        ("manager", "Менеджер", "text"),
        ("role_group", "Группа ролей", "text"),
        ("rank", "Место в группе", "int"),
        ("score", "Балл (0–100)", "score"),
        ("strengths", "Сильные стороны", "text"),
        ("weak_spots", "Зоны роста", "text"),
    )
    rows = [r for r in leaderboard(card) if r.score is not None]
    records = [
        {**scorecard_record(r), "role_group": GROUP_NAMES_RU.get(r.role_group, r.role_group)}
        for r in rows
    ]
    last = book.table(ws, cols, records)
    if records:
        shown = min(last, 30)
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Балл",
                "categories": ["Рейтинг", 1, 1, shown, 1],
                "values": ["Рейтинг", 1, 4, shown, 4],
                "fill": {"color": "#4F81BD"},
            }
        )
        chart.set_title({"name": f"Рейтинг менеджеров, {card.period} (лучшие {shown})"})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"min": 0, "max": 100})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": max(320, 18 * shown)})
        ws.insert_chart(1, len(cols) + 1, chart)


def _sheet_plan(book: Book, card: Scorecard) -> None:
    ws = book.sheet("План-факт")
    cols = (
        ("manager_id", "ID", "int"),
        ("manager", "Менеджер", "text"),
        ("plan", "План", "money"),
        ("actual", "Факт", "money"),
        ("forecast", "Прогноз на конец периода", "money"),
        ("attainment", "Выполнение", "pct"),
        ("forecast_attainment", "Прогноз выполнения", "pct"),
    )
    records = [
        {
            "manager_id": x.manager_id,
            "manager": x.manager,
            "plan": x.plan,
            "actual": x.actual,
            "forecast": x.forecast,
            "attainment": x.attainment,
            "forecast_attainment": x.forecast_attainment,
        }
        for x in plan_vs_actual(card)
    ]
    last = book.table(ws, cols, records)
    ws.write_string(
        last + 2,
        0,
        f"Период {card.period}: данные на {card.as_of:%d.%m.%Y}, прошло {card.elapsed_days} дн.",
    )
    if records:
        shown = min(last, 40)
        chart = book.wb.add_chart({"type": "column"})
        for c, name, colour in ((2, "План", "#A6A6A6"), (3, "Факт", "#4F81BD")):
            chart.add_series(
                {
                    "name": name,
                    "categories": ["План-факт", 1, 1, shown, 1],
                    "values": ["План-факт", 1, c, shown, c],
                    "fill": {"color": colour},
                }
            )
        line = book.wb.add_chart({"type": "line"})
        line.add_series(
            {
                "name": "Прогноз",
                "categories": ["План-факт", 1, 1, shown, 1],
                "values": ["План-факт", 1, 4, shown, 4],
                "line": {"none": True},
                "marker": {"type": "diamond", "size": 7, "fill": {"color": "#C0504D"}},
            }
        )
        chart.combine(line)
        chart.set_title({"name": f"План и факт, {card.period}"})
        chart.set_y_axis({"num_format": "#,##0"})
        chart.set_size({"width": 900, "height": 420})
        ws.insert_chart(1, len(cols) + 1, chart)


def _sheet_trends(book: Book, trend: Trend, *, chart_managers: int = 8) -> None:
    ws = book.sheet("Динамика")
    mids = sorted(trend.managers, key=lambda m: -sum(trend.managers[m]))
    ws.write_string(0, 0, "Месяц", book.fmt["head"])
    ws.write_string(0, 1, "Компания", book.fmt["head"])
    ws.set_column(0, 0, 10)
    ws.set_column(1, len(mids) + 1, 16)
    for c, mid in enumerate(mids, start=2):
        ws.write_string(0, c, escape_formula(trend.names.get(mid, str(mid))), book.fmt["head"])
    for r, month in enumerate(trend.months, start=1):
        ws.write_string(r, 0, month)
        book.cell(ws, r, 1, trend.company[r - 1], "money")
        for c, mid in enumerate(mids, start=2):
            book.cell(ws, r, c, trend.managers[mid][r - 1], "money")
    ws.freeze_panes(1, 2)
    n = len(trend.months)
    if not n:
        return
    company = book.wb.add_chart({"type": "column"})
    company.add_series(
        {
            "name": "Компания",
            "categories": ["Динамика", 1, 0, n, 0],
            "values": ["Динамика", 1, 1, n, 1],
            "fill": {"color": "#4F81BD"},
        }
    )
    company.set_title({"name": "Объём продаж компании по месяцам"})
    company.set_legend({"none": True})
    company.set_y_axis({"num_format": "#,##0"})
    company.set_size({"width": 720, "height": 320})
    ws.insert_chart(n + 3, 0, company)
    if mids:
        lines = book.wb.add_chart({"type": "line"})
        for c in range(2, 2 + min(len(mids), chart_managers)):
            lines.add_series(
                {
                    "name": ["Динамика", 0, c],
                    "categories": ["Динамика", 1, 0, n, 0],
                    "values": ["Динамика", 1, c, n, c],
                }
            )
        lines.set_title({"name": f"Тренд по менеджерам (крупнейшие {min(len(mids), 8)})"})
        lines.set_y_axis({"num_format": "#,##0"})
        lines.set_size({"width": 720, "height": 360})
        ws.insert_chart(n + 20, 0, lines)


GROUP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("level", "Уровень", "text"),
    ("name", "Группа", "text"),
    ("managers", "Менеджеров", "int"),
    ("volume", "Объём продаж", "money"),
    ("plan", "План", "money"),
    ("attainment", "Выполнение плана", "pct"),
    ("forecast", "Прогноз", "money"),
    ("won_deals", "Выиграно", "int"),
    ("lost_deals", "Проиграно", "int"),
    ("conversion", "Конверсия", "pct"),
    ("average_check", "Средний чек", "money"),
    ("new_clients", "Новые клиенты", "int"),
    ("retention", "Удержание", "pct"),
    ("repeat_rate", "Повторные продажи", "pct"),
    ("growth_prev", "К прошлому периоду", "pct"),
    ("growth_last_year", "К прошлому году", "pct"),
    ("response_minutes", "Время ответа, мин", "num"),
    ("coverage", "Охват", "pct"),
    ("dormant_share", "Доля «спящих»", "pct"),
    ("satisfaction", "Удовлетворённость", "pct"),
)
LEVELS_RU = {"team": "команда", "role_group": "группа ролей", "company": "компания"}


def group_record(g: GroupRow) -> dict[str, Any]:
    """A flat dict of a team / role-group / company row."""
    rec: dict[str, Any] = {
        "level": LEVELS_RU[g.level],
        "name": g.name,
        "managers": g.managers,
        "forecast": g.forecast,
    }
    for key, _, _ in GROUP_COLUMNS:
        if key not in rec:
            rec[key] = getattr(g.kpis, key)
    return rec


def _sheet_groups(book: Book, card: Scorecard) -> None:
    ws = book.sheet("Команды")
    groups = [*card.teams, *card.role_groups, card.company]
    last = book.table(ws, GROUP_COLUMNS, [group_record(g) for g in groups])
    ws.set_row(0, 30)
    teams = len(card.teams)
    if teams:
        chart = book.wb.add_chart({"type": "column"})
        for c, name, colour in ((4, "План", "#A6A6A6"), (3, "Факт", "#4F81BD")):
            chart.add_series(
                {
                    "name": name,
                    "categories": ["Команды", 1, 1, teams, 1],
                    "values": ["Команды", 1, c, teams, c],
                    "fill": {"color": colour},
                }
            )
        chart.set_title({"name": f"Команды: план и факт, {card.period}"})
        chart.set_y_axis({"num_format": "#,##0"})
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(last + 2, 0, chart)


UNIT_FORMAT = {"money": "money", "share": "pct", "count": "int"}


def _sheet_comparison(book: Book, comparison: Comparison) -> None:
    ws = book.sheet("Сравнение")
    heads = (
        ("Уровень", 14),
        ("Группа", 22),
        ("Показатель", 30),
        (comparison.period, 14),
        (comparison.previous, 14),
        (comparison.last_year, 14),
        (f"Изменение к {comparison.previous}", 16),
        (f"Изменение к {comparison.last_year}", 16),
    )
    for c, (title, width) in enumerate(heads):
        ws.write_string(0, c, title, book.fmt["head"])
        ws.set_column(c, c, width)
    rows = [x for x in comparison.rows if x.level != "manager"]
    for r, x in enumerate(rows, start=1):
        kind = UNIT_FORMAT.get(KPI_BY_CODE[x.kpi].unit, "num")
        ws.write_string(r, 0, LEVELS_RU[x.level])
        ws.write_string(r, 1, escape_formula(x.name))
        ws.write_string(r, 2, x.kpi_name)
        for c, v in enumerate(
            (x.current, x.previous, x.last_year, x.change_previous, x.change_last_year), start=3
        ):
            book.cell(ws, r, c, v, kind)
    ws.freeze_panes(1, 3)
    if rows:
        ws.autofilter(0, 0, len(rows), len(heads) - 1)
    # Company shares side by side for the three periods: a small table of their own under
    # the chart (the chart needs contiguous cells), then the chart.
    shares = [x for x in rows if x.level == "company" and KPI_BY_CODE[x.kpi].unit == "share"]
    if shares:
        top, left = 22, len(heads) + 1
        ws.write_string(top, left, "Доли компании", book.fmt["head"])
        for c, (label, _) in enumerate(heads[3:6], start=1):
            ws.write_string(top, left + c, label, book.fmt["head"])
        for r, x in enumerate(shares, start=top + 1):
            ws.write_string(r, left, x.kpi_name)
            for c, v in enumerate((x.current, x.previous, x.last_year), start=1):
                book.cell(ws, r, left + c, v, "pct")
        ws.set_column(left, left, 30)
        last = top + len(shares)
        chart = book.wb.add_chart({"type": "column"})
        for c, colour in ((1, "#4F81BD"), (2, "#A6A6A6"), (3, "#F79646")):
            chart.add_series(
                {
                    "name": ["Сравнение", top, left + c],
                    "categories": ["Сравнение", top + 1, left, last, left],
                    "values": ["Сравнение", top + 1, left + c, last, left + c],
                    "fill": {"color": colour},
                }
            )
        chart.set_title({"name": "Компания: доли к прошлому периоду и году"})
        chart.set_y_axis({"num_format": "0%"})
        chart.set_size({"width": 900, "height": 380})
        ws.insert_chart(1, left, chart)


def _sheet_funnel(book: Book, stages: Sequence[FunnelStage], period: str) -> None:
    ws = book.sheet("Воронка")
    cols = (("name", "Этап", "text"), ("count", "Количество", "int"))
    last = book.table(ws, cols, [{"name": s.name, "count": s.count} for s in stages])
    if stages:
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Воронка",
                "categories": ["Воронка", 1, 0, last, 0],
                "values": ["Воронка", 1, 1, last, 1],
                "fill": {"color": "#9BBB59"},
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": f"Воронка продаж, {period}"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        ws.insert_chart(1, 3, chart)


def _sheet_seasonality(book: Book, months: Sequence[SeasonMonth]) -> None:
    ws = book.sheet("Сезонность")
    cols = (("name", "Месяц", "text"), ("index", "Индекс сезонности", "num2"))
    last = book.table(ws, cols, [{"name": m.name, "index": m.index} for m in months])
    if months:
        chart = book.wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "Индекс",
                "categories": ["Сезонность", 1, 0, last, 0],
                "values": ["Сезонность", 1, 1, last, 1],
                "fill": {"color": "#F79646"},
            }
        )
        chart.set_title({"name": "Сезонность продаж (1,0 — обычный месяц)"})
        chart.set_legend({"none": True})
        ws.insert_chart(1, 3, chart)


def _sheet_weights(book: Book, card: Scorecard) -> None:
    ws = book.sheet("Веса")
    groups = sorted(card.weights)
    ws.write_string(0, 0, "Показатель", book.fmt["head"])
    ws.set_column(0, 0, 32)
    for c, g in enumerate(groups, start=1):
        ws.write_string(0, c, GROUP_NAMES_RU.get(g, g), book.fmt["head"])
        ws.set_column(c, c, 14)
    for r, k in enumerate(KPI_BY_CODE.values(), start=1):
        ws.write_string(r, 0, k.name)
        for c, g in enumerate(groups, start=1):
            book.cell(ws, r, c, card.weights[g].get(k.code), "pct")


def write_workbook(
    path: Path,
    card: Scorecard,
    *,
    trend: Trend,
    funnel: Sequence[FunnelStage],
    seasonality: Sequence[SeasonMonth],
    comparison: Comparison | None = None,
) -> None:
    """Write the KPI workbook to `path`."""
    book = Book(path)
    _sheet_scorecard(book, card)
    _sheet_leaderboard(book, card)
    _sheet_plan(book, card)
    _sheet_trends(book, trend)
    _sheet_groups(book, card)
    if comparison is not None:
        _sheet_comparison(book, comparison)
    _sheet_funnel(book, funnel, card.period)
    _sheet_seasonality(book, seasonality)
    _sheet_weights(book, card)
    book.close()

"""Competency assessments: the head of sales scores each manager on a list of skills.

An assessment is a date and a score 1–5 per competency. From the history we show each
manager's latest profile with the change since the previous assessment, strengths (4–5),
weak spots (1–2, or the lowest when nothing is that low) and the training they call for,
and the team matrix managers × competencies. The list itself is data: codes, names and the
training each low score suggests (defaults in docs/competencies.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError
from clientbase.io import readers, values, writers

STRONG = 4
WEAK = 2
MAX_TRAINING = 3


@dataclass(frozen=True, slots=True)
class CompetencyInfo:
    """One competency of the list."""

    code: str
    name: str
    training: str | None
    position: int
    active: bool


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """A manager's latest score on one competency and its change."""

    code: str
    name: str
    score: int
    assessed_on: dt.date
    previous: int | None

    @property
    def change(self) -> int | None:
        """Points gained (+) or lost (−) since the previous assessment."""
        return None if self.previous is None else self.score - self.previous


@dataclass(frozen=True, slots=True)
class Profile:
    """What a head of sales reads about one manager's skills."""

    manager_id: int
    manager: str
    lines: list[ScoreLine]
    strengths: list[str] = field(default_factory=list)
    weak_spots: list[str] = field(default_factory=list)
    training: list[str] = field(default_factory=list)
    assessments: int = 0

    @property
    def average(self) -> float | None:
        """Mean of the latest scores."""
        return sum(x.score for x in self.lines) / len(self.lines) if self.lines else None

    def summary(self) -> str:
        """Strengths and weak spots in one Russian sentence."""
        if not self.lines:
            return "Оценок компетенций ещё нет."
        parts = []
        if self.strengths:
            parts.append("сильные стороны: " + ", ".join(self.strengths))
        if self.weak_spots:
            parts.append("зоны роста: " + ", ".join(self.weak_spots))
        return ("; ".join(parts) or "ровный профиль без явных сильных и слабых сторон") + "."


def list_competencies(engine: Engine, *, include_inactive: bool = False) -> list[CompetencyInfo]:
    """The competency list in display order."""
    with UnitOfWork(engine) as uow:
        stmt = select(t.Competency).order_by(t.Competency.position, t.Competency.code)
        if not include_inactive:
            stmt = stmt.where(t.Competency.active.is_(True))
        return [
            CompetencyInfo(c.code, c.name, c.training, c.position, c.active)
            for c in uow.session.scalars(stmt)
        ]


def set_competencies(engine: Engine, items: list[CompetencyInfo]) -> tuple[int, int, int]:
    """Replace the list: add new codes, update known ones, deactivate the missing ones.

    Scores on a deactivated competency are kept (history); it stops being asked.
    Returns (added, updated, deactivated).
    """
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        raise BadInputError(f"Коды компетенций повторяются: {', '.join(dupes)}.")
    for item in items:
        if not item.code.strip() or not item.name.strip():
            raise BadInputError("У каждой компетенции должны быть код и название.")
    added = updated = deactivated = 0
    with UnitOfWork(engine, write=True) as uow:
        known = {c.code: c for c in uow.session.scalars(select(t.Competency))}
        for item in items:
            row = known.get(item.code)
            if row is None:
                uow.session.add(
                    t.Competency(
                        code=item.code,
                        name=item.name,
                        training=item.training,
                        position=item.position,
                        active=True,
                    )
                )
                added += 1
            elif (row.name, row.training, row.position, row.active) != (
                item.name,
                item.training,
                item.position,
                True,
            ):
                row.name, row.training, row.position, row.active = (
                    item.name,
                    item.training,
                    item.position,
                    True,
                )
                updated += 1
        for code, row in known.items():
            if code not in set(codes) and row.active:
                row.active = False
                deactivated += 1
        uow.commit()
    return added, updated, deactivated


def _manager(session: Session, manager_id: int) -> t.Manager:
    manager = session.get(t.Manager, manager_id)
    if manager is None:
        raise NotFoundError(f"Менеджер {manager_id} не найден.")
    return manager


def assess(
    engine: Engine,
    manager_id: int,
    scores: dict[str, int],
    *,
    on: dt.date,
    assessor: str = "system",
    comment: str | None = None,
) -> int:
    """Record one assessment (replacing the same manager's scores of that date)."""
    if not scores:
        raise BadInputError("Нет ни одной оценки: укажите код=балл, например negotiation=3.")
    for code, score in scores.items():
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise BadInputError(f"Оценка «{code}» = {score!r}: нужен балл от 1 до 5.")
    with UnitOfWork(engine, write=True) as uow:
        session = uow.session
        _manager(session, manager_id)
        by_code = {
            c.code: c
            for c in session.scalars(select(t.Competency).where(t.Competency.active.is_(True)))
        }
        unknown = sorted(set(scores) - set(by_code))
        if unknown:
            raise BadInputError(
                f"Неизвестные компетенции: {', '.join(unknown)}; "
                f"в списке: {', '.join(sorted(by_code))}."
            )
        ids = [by_code[c].id for c in scores]
        session.execute(
            delete(t.CompetencyScore).where(
                t.CompetencyScore.manager_id == manager_id,
                t.CompetencyScore.assessed_on == on,
                t.CompetencyScore.competency_id.in_(ids),
            )
        )
        for code, score in scores.items():
            session.add(
                t.CompetencyScore(
                    manager_id=manager_id,
                    competency_id=by_code[code].id,
                    assessed_on=on,
                    score=score,
                    assessor=assessor,
                    comment=comment,
                )
            )
        uow.commit()
    return len(scores)


def _profiles(session: Session, manager_ids: list[int] | None) -> list[Profile]:
    stmt = (
        select(
            t.CompetencyScore.manager_id,
            t.Manager.name,
            t.Competency.code,
            t.Competency.name,
            t.Competency.training,
            t.Competency.position,
            t.CompetencyScore.assessed_on,
            t.CompetencyScore.score,
        )
        .join(t.Competency, t.Competency.id == t.CompetencyScore.competency_id)
        .join(t.Manager, t.Manager.id == t.CompetencyScore.manager_id)
        .where(t.Competency.active.is_(True))
        .order_by(
            t.CompetencyScore.manager_id,
            t.Competency.position,
            t.Competency.code,
            t.CompetencyScore.assessed_on.desc(),
        )
    )
    if manager_ids is not None:
        stmt = stmt.where(t.CompetencyScore.manager_id.in_(manager_ids))
    history: dict[int, dict[str, list[tuple[dt.date, int]]]] = defaultdict(dict)
    names: dict[int, str] = {}
    meta: dict[str, tuple[str, str | None]] = {}
    dates: dict[int, set[dt.date]] = defaultdict(set)
    for mid, mname, code, cname, advice, _pos, on, score in session.execute(stmt):
        names[mid] = mname
        meta[code] = (cname, advice)
        history[mid].setdefault(code, []).append((on, score))
        dates[mid].add(on)
    profiles = []
    for mid, per_code in history.items():
        lines = [
            ScoreLine(
                code=code,
                name=meta[code][0],
                score=series[0][1],
                assessed_on=series[0][0],
                previous=series[1][1] if len(series) > 1 else None,
            )
            for code, series in per_code.items()
        ]
        strengths = [x.name for x in lines if x.score >= STRONG]
        weak = [x for x in lines if x.score <= WEAK]
        if not weak and lines:
            lowest = min(x.score for x in lines)
            if lowest < STRONG:
                weak = [x for x in lines if x.score == lowest]
        # Training for the three weakest at most: a plan nobody can follow helps nobody.
        focus = sorted(weak, key=lambda x: (x.score, x.name))[:MAX_TRAINING]
        training = [meta[x.code][1] or f"Развивать: {x.name}." for x in focus]
        profiles.append(
            Profile(
                manager_id=mid,
                manager=names[mid],
                lines=lines,
                strengths=strengths,
                weak_spots=[x.name for x in weak],
                training=training,
                assessments=len(dates[mid]),
            )
        )
    return profiles


def profile(engine: Engine, manager_id: int) -> Profile:
    """One manager's latest competency profile."""
    with UnitOfWork(engine) as uow:
        manager = _manager(uow.session, manager_id)
        found = _profiles(uow.session, [manager_id])
        return found[0] if found else Profile(manager_id, manager.name, [])


def matrix(engine: Engine, *, team: str | None = None) -> tuple[list[str], list[Profile]]:
    """Competency names (columns) and every assessed manager's profile (rows)."""
    with UnitOfWork(engine) as uow:
        ids = None
        if team is not None:
            ids = list(
                uow.session.scalars(
                    select(t.Manager.id).where(func.lower(t.Manager.team) == team.lower())
                )
            )
        profiles = sorted(_profiles(uow.session, ids), key=lambda p: p.manager)
    columns = [c.name for c in list_competencies(engine)]
    return columns, profiles


# Column titles of an assessments file (canonical English, then Russian aliases).
SCORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "manager": ("manager", "manager_id", "менеджер", "сотрудник", "e-mail", "email"),
    "date": ("date", "assessed_on", "дата", "дата оценки"),
    "competency": ("competency", "компетенция", "навык"),
    "score": ("score", "оценка", "балл"),
    "assessor": ("assessor", "оценщик", "кто оценил"),
    "comment": ("comment", "комментарий"),
}
REQUIRED = ("manager", "date", "competency", "score")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of an imported file, where Excel shows it."""

    row: int
    column: str
    value: str
    message: str


def _columns(headers: list[str], file: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.strip().lower()
        for canonical, aliases in SCORE_COLUMNS.items():
            if key in aliases and canonical not in found:
                found[canonical] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise BadInputError(
            f"{file}: нет столбцов {', '.join(missing)} "
            f"(ожидаются {', '.join(REQUIRED)} или их русские названия)."
        )
    return found


def import_scores(engine: Engine, path: Path, *, dry_run: bool = False) -> tuple[int, int]:
    """Load assessments from CSV/XLSX, all or nothing; (rows, changed scores).

    Managers are matched by id, e-mail or exact full name; competencies by code or name.
    Every bad row is reported with its Excel row number before anything is written.
    """
    table = readers.read_table(path)
    cols = _columns(table.headers, table.file)
    errors: list[RowError] = []
    parsed: list[tuple[int, int, dt.date, int, str, str | None]] = []
    with UnitOfWork(engine, write=not dry_run) as uow:
        session = uow.session
        managers: dict[str, int] = {}
        for m in session.scalars(select(t.Manager)):
            for key in (str(m.id), (m.email or "").lower(), m.name.lower()):
                if key:
                    managers.setdefault(key, m.id)
        comps: dict[str, int] = {}
        for c in session.scalars(select(t.Competency).where(t.Competency.active.is_(True))):
            comps[c.code.lower()] = c.id
            comps[c.name.lower()] = c.id

        def cell(row: readers.Row, name: str) -> object:
            index = cols.get(name)
            if index is None or index >= len(row.values):
                return None
            return row.values[index]

        for row in table.rows:
            raw = {name: cell(row, name) for name in SCORE_COLUMNS}
            text = {
                k: "" if v is None else writers.unescape_formula(values.text_of(v))
                for k, v in raw.items()
            }
            manager_id = managers.get(text["manager"].strip().lower().removesuffix(".0"))
            if manager_id is None:
                errors.append(RowError(row.number, "manager", text["manager"], "нет менеджера"))
            competency_id = comps.get(text["competency"].strip().lower())
            if competency_id is None:
                errors.append(
                    RowError(row.number, "competency", text["competency"], "нет компетенции")
                )
            try:
                on = values.parse_date(raw["date"])
            except (BadInputError, ValueError) as exc:
                errors.append(RowError(row.number, "date", text["date"], str(exc)))
                on = None
            try:
                score = values.parse_int(raw["score"])
                if not 1 <= score <= 5:
                    raise ValueError("балл от 1 до 5")
            except (BadInputError, ValueError) as exc:
                errors.append(RowError(row.number, "score", text["score"], str(exc)))
                score = None
            if manager_id and competency_id and on and score:
                parsed.append(
                    (
                        manager_id,
                        competency_id,
                        on,
                        score,
                        text["assessor"] or "import",
                        text["comment"] or None,
                    )
                )
        if errors:
            lines = "\n".join(
                f"  строка {e.row}, {e.column} = «{e.value}»: {e.message}" for e in errors[:50]
            )
            more = f"\n  … и ещё {len(errors) - 50}" if len(errors) > 50 else ""
            raise BadInputError(
                f"{table.file}: {len(errors)} ошибок, ничего не записано:\n{lines}{more}"
            )
        seen: set[tuple[int, int, dt.date]] = set()
        for mid, cid, on, _score, _a, _c in parsed:
            if (mid, cid, on) in seen:
                raise BadInputError(
                    f"{table.file}: менеджер {mid} оценён по одной компетенции дважды за {on}."
                )
            seen.add((mid, cid, on))
        existing = {
            (s.manager_id, s.competency_id, s.assessed_on): s
            for s in session.scalars(select(t.CompetencyScore))
        }
        changed = 0
        for mid, cid, on, score, assessor, comment in parsed:
            old = existing.get((mid, cid, on))
            if old is None:
                session.add(
                    t.CompetencyScore(
                        manager_id=mid,
                        competency_id=cid,
                        assessed_on=on,
                        score=score,
                        assessor=assessor,
                        comment=comment,
                        source="import",
                    )
                )
                changed += 1
            elif (old.score, old.comment) != (score, comment):
                old.score, old.comment, old.assessor = score, comment, assessor
                changed += 1
        if not dry_run:
            uow.commit()
    return len(parsed), changed


EXPORT_HEADERS = ("manager_id", "manager", "date", "competency", "competency_name", "score")


def export_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every score as a row of EXPORT_HEADERS plus assessor and comment."""
    with UnitOfWork(engine) as uow:
        stmt = (
            select(
                t.Manager.id,
                t.Manager.name,
                t.CompetencyScore.assessed_on,
                t.Competency.code,
                t.Competency.name,
                t.CompetencyScore.score,
                t.CompetencyScore.assessor,
                t.CompetencyScore.comment,
            )
            .join(t.Manager, t.Manager.id == t.CompetencyScore.manager_id)
            .join(t.Competency, t.Competency.id == t.CompetencyScore.competency_id)
            .order_by(t.Manager.name, t.CompetencyScore.assessed_on, t.Competency.position)
        )
        return [tuple(r) for r in uow.session.execute(stmt)]

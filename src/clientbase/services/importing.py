"""Import use case: validate every row of a file, then write all of it in one transaction."""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from clientbase.core.access import Scope
from clientbase.core.roles import hunter_farmer_violation
from clientbase.core.types import ActivityType, ClientStatus, Direction, Outcome, Role, RoleGroup
from clientbase.db.bulk import insert_columns
from clientbase.db.engine import writer
from clientbase.db.failpoints import failpoint
from clientbase.db.import_tables import ColumnMapping, ManagerAlias
from clientbase.db.repository import visible_clients, visible_managers
from clientbase.db.tables import (
    Activity,
    ChangeHistory,
    Client,
    ColleagueFeedback,
    Deal,
    ImportBatch,
    Manager,
    PlanTarget,
    Responsibility,
    Survey,
)
from clientbase.errors import BadInputError, ConflictError
from clientbase.io import readers
from clientbase.io.columns import (
    KEEP,
    blanks_to_none,
    fill,
    map_values,
    mixes_equal_values,
    numbers,
    texts,
    transpose,
)
from clientbase.io.mapping import (
    ENTITIES,
    ID_FIELDS,
    REQUIRED,
    ColumnPlan,
    normalize_header,
    plan_columns,
)
from clientbase.io.profiles import Profile, get_profile
from clientbase.io.values import (
    CellValueError,
    is_blank,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    text_of,
)
from clientbase.io.writers import write_csv
from clientbase.services.import_preview import read_table as _load_table

MAX_KEY = 120
REQUIRED_TEXT = "обязательное поле не заполнено"

# progress(done, total): called while rows are checked and written (the CLI shows a Rich bar,
# the web upload wizard a percentage); total is the number of rows of the file.
ProgressCallback = Callable[[int, int], None]
PROGRESS_STEP = 500
# Rows per bulk UPDATE and per lookup of existing (source, external_id) keys; a file with
# more rows than BIG reads this source's keys in one pass instead.
CHUNK = 5000
BIG = 50_000
# Columns of a file → attributes they set; on update only these attributes change.
COLUMN_ATTRS: dict[str, tuple[str, ...]] = {
    "client": ("client_id",),
    "manager": ("manager_id",),
    "from_manager": ("from_manager_id",),
    "to_manager": ("to_manager_id",),
    "stage": ("stage", "outcome"),  # the outcome follows the stage when it is not given
    "_semantic": ("outcome",),  # Bitrix24 STAGE_SEMANTIC_ID
}


@dataclass(frozen=True)
class ImportIssue:
    """One problem in one cell: file, row as Excel shows it, column title, value, message."""

    file: str
    row: int
    column: str
    value: str
    message: str

    def line(self) -> str:
        """`file:row:column: message`, the form printed on stderr."""
        shown = f" (значение «{self.value}»)" if self.value else ""
        return f"{self.file}:{self.row}:{self.column}: {self.message}{shown}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run or with errors, would do)."""

    file: str
    entity: str
    source: str
    dry_run: bool
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the file had no errors."""
        return not self.errors

    @property
    def written(self) -> bool:
        """Whether anything was committed."""
        return self.ok and not self.dry_run


@dataclass(frozen=True)
class ImportMapping:
    """A user's mapping file: column title → field (None = ignore) and stage → outcome."""

    columns: dict[str, str | None] = field(default_factory=dict)
    stage_outcomes: dict[str, str] = field(default_factory=dict)


def load_mapping(path: Path) -> ImportMapping:
    """Read MAP.json: `{"column": "field" | null, "stage_outcomes": {"stage": "won"}}`."""
    data = readers.read_settings(path, what="Файл сопоставления")
    return mapping_from_dict(data, file=path.name)


def mapping_from_dict(data: Any, *, file: str = "сопоставление") -> ImportMapping:
    """Validate a mapping object as read from JSON."""
    if not isinstance(data, dict):
        raise BadInputError(f'{file}: ожидается JSON-объект {{"колонка": "поле"}}.')
    stages = data.get("stage_outcomes") or {}
    if not isinstance(stages, dict) or any(
        v not in {o.value for o in Outcome} for v in stages.values()
    ):
        raise BadInputError(f'{file}: stage_outcomes — объект {{"стадия": "won|lost|open"}}.')
    columns: dict[str, str | None] = {}
    for key, value in data.items():
        if key == "stage_outcomes":
            continue
        if value is not None and not isinstance(value, str):
            raise BadInputError(f"{file}: для колонки «{key}» ожидается имя поля или null.")
        columns[str(key)] = value
    return ImportMapping(columns, {str(k): str(v) for k, v in stages.items()})


def import_file(
    *,
    engine: Engine,
    entity: str,
    path: Path,
    source: str = "generic",
    mapping: ImportMapping | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    scope: Scope | None = None,
) -> ImportReport:
    """Import one file of one entity: every row valid → all written in one transaction.

    `scope` is the importing user's (None: the command line, everything): a department
    head's rows that touch a client, a manager or a team outside his department are errors
    of those rows, so nothing is written.

    A busy or concurrently changed database (SQLite "database is locked", PostgreSQL
    serialization failure, a unique key taken by a parallel import) is a ConflictError
    (exit 3): nothing was written and the same import can simply be repeated.
    """
    if entity not in ENTITIES:
        raise BadInputError(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(ENTITIES)}.")
    profile = get_profile(source)
    with _no_gc_pauses():
        table = _load_table(path, source)
        report = ImportReport(file=table.file, entity=entity, source=source, dry_run=dry_run)
        mapping = mapping or ImportMapping()
        try:
            return _import_table(
                engine,
                entity,
                table,
                report,
                profile,
                source,
                mapping,
                dry_run,
                today,
                progress,
                scope,
            )
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise _conflict(table.file) from exc
            raise BadInputError(
                f"{table.file}: база данных отклонила данные: {str(exc.orig).splitlines()[0]}"
            ) from exc
        except OperationalError as exc:
            if _is_busy(exc):
                raise _conflict(table.file) from exc
            raise
        except DBAPIError as exc:
            if _is_busy(exc):
                raise _conflict(table.file) from exc
            raise


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Without the cyclic collector while millions of cells are made and dropped.

    The cells of a file hold no reference cycles; the collector would only re-walk every
    live cell each time another 700 objects are created (a third of a big import's time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _conflict(file: str) -> ConflictError:
    return ConflictError(
        f"{file}: данные изменились или база занята другой записью; ничего не записано, "
        "повторите импорт."
    )


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")


def _is_unique_violation(exc: IntegrityError) -> bool:
    return _sqlstate(exc) == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def _is_busy(exc: DBAPIError) -> bool:
    """SQLite lock timeouts and PostgreSQL serialization failures / deadlocks / lock waits."""
    text = str(exc.orig).lower()
    return (
        _sqlstate(exc) in {"40001", "40P01", "55P03"}
        or "database is locked" in text
        or "database is busy" in text
    )


def _import_table(
    engine: Engine,
    entity: str,
    table: readers.Table,
    report: ImportReport,
    profile: Profile,
    source: str,
    mapping: ImportMapping,
    dry_run: bool,
    today: dt.date | None,
    progress: ProgressCallback | None,
    scope: Scope | None = None,
) -> ImportReport:
    # A dry run never takes the write lock; a real run holds it from the first read so
    # that nothing can change between validation and writing (ASVS 2.3.3).
    bind = engine if dry_run else writer(engine)
    with Session(bind=bind, expire_on_commit=False) as session:
        remembered = {
            m.header: m.field
            for m in session.scalars(
                select(ColumnMapping).where(
                    ColumnMapping.source == source, ColumnMapping.entity == entity
                )
            )
        }
        plan = plan_columns(
            table.headers,
            entity,
            user_mapping=mapping.columns,
            remembered=remembered,
            profile_aliases=profile.aliases_for(entity),
        )
        report.warnings.extend(plan.warnings)
        report.rows = len(table.rows)
        _check_required_columns(report, table, plan, entity)
        if report.errors:
            return report
        frame = _frame(table, plan, profile, entity, mapping)
        importer = _Importer(
            session, report, plan, source, today or dt.date.today(), progress, scope
        )
        importer.run(entity, frame)
        if report.errors or dry_run:
            session.rollback()
            return report
        batch = ImportBatch(
            source=source,
            entity=entity,
            filename=table.file,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            status="done",
            details={"rows": report.rows, "linked": report.linked, "warnings": report.warnings},
        )
        session.add(batch)
        _remember(session, source, entity, plan)
        session.flush()
        importer.finish(batch.id)
        if entity == "deals" and importer.won_clients:
            # A won deal of a prospect hands it to an account manager (SPEC §5), same commit.
            from clientbase.services.teams import handoff_won_prospects

            handoff_won_prospects(
                session=session,
                today=importer.today,
                client_ids=importer.won_clients,
                prospects_only=True,
            )
        failpoint("before-commit", session)
        session.commit()
        report.batch_id = batch.id
        if progress is not None:
            progress(report.rows, report.rows)
    return report


def write_errors(report: ImportReport, path: Path) -> None:
    """Write the errors as CSV (row, column, value, message) that opens in Excel."""
    write_csv(
        path,
        ["file", "row", "column", "value", "message"],
        [[e.file, e.row, e.column, e.value, e.message] for e in report.errors],
    )


def _check_required_columns(
    report: ImportReport, table: readers.Table, plan: ColumnPlan, entity: str
) -> None:
    present = plan.fields
    for name in REQUIRED[entity]:
        if name in present:
            continue
        if entity == "managers" and name == "name" and {"first_name", "last_name"} & present:
            continue
        report.errors.append(
            ImportIssue(
                table.file,
                table.header_row,
                name,
                "",
                f"нет обязательной колонки {name}; назовите колонку так или укажите её "
                "в файле сопоставления (--mapping)",
            )
        )


def _remember(session: Session, source: str, entity: str, plan: ColumnPlan) -> None:
    if not plan.learned:
        return
    existing = {
        normalize_header(m.header): m
        for m in session.scalars(
            select(ColumnMapping).where(
                ColumnMapping.source == source, ColumnMapping.entity == entity
            )
        )
    }
    for header, target in plan.learned.items():
        row = existing.get(normalize_header(header))
        if row is None:
            session.add(ColumnMapping(source=source, entity=entity, header=header, field=target))
        else:
            row.field = target


# --- value vocabularies --------------------------------------------------------------

ROLE_GROUP_WORDS = {
    **{g.value: g.value for g in RoleGroup},
    "охотник": "hunter",
    "фермер": "farmer",
    "сервис": "service",
    "сервисныйинженер": "service",
    "администратор": "admin",
    "руководитель": "head",
    "роп": "head",
    "руководительотделапродаж": "head",
}
ROLE_WORDS = {
    **{r.value: r.value for r in Role},
    "привлечение": "acquisition",
    "охотник": "acquisition",
    "продажи": "sales",
    "продажа": "sales",
    "аккаунт": "account",
    "ведение": "account",
    "аккаунтменеджер": "account",
    "сервис": "service",
    "обслуживание": "service",
    "администратор": "admin",
    "админ": "admin",
}
STATUS_WORDS = {
    **{s.value: s.value for s in ClientStatus},
    "потенциальный": "prospect",
    "потенциальныйклиент": "prospect",
    "активный": "active",
    "действующий": "active",
    "клиент": "active",
    "спящий": "dormant",
    "потерян": "lost",
    "потерянный": "lost",
    "ушёл": "lost",
    "ушел": "lost",
}
OUTCOME_WORDS = {
    **{o.value: o.value for o in Outcome},
    "выиграна": "won",
    "успешно": "won",
    "проиграна": "lost",
    "провал": "lost",
    "открыта": "open",
    "вработе": "open",
}
ACTIVITY_WORDS = {
    **{a.value: a.value for a in ActivityType},
    "звонок": "call",
    "встреча": "meeting",
    "письмо": "email",
    "email": "email",
    "почта": "email",
    "задача": "task",
    "входящий": "inbound",
    "заявка": "inbound",
    "входящаязаявка": "inbound",
    "обращение": "inbound",
}
DIRECTION_WORDS = {
    **{d.value: d.value for d in Direction},
    "in": "inbound",
    "incoming": "inbound",
    "входящий": "inbound",
    "входящее": "inbound",
    "out": "outbound",
    "outgoing": "outbound",
    "исходящий": "outbound",
    "исходящее": "outbound",
}
SCALE_WORDS = {"csat": "csat", "nps": "nps"}
KIND_WORDS = {
    "survey": "survey",
    "опрос": "survey",
    "mysteryshopping": "mystery_shopping",
    "тайныйпокупатель": "mystery_shopping",
    "callreview": "call_review",
    "прослушиваниезвонка": "call_review",
    "оценказвонка": "call_review",
}
TIERS = {"vip": "VIP", "a": "A", "b": "B", "c": "C", "а": "A", "в": "B", "с": "C"}
CURRENCY_WORDS = {"руб": "RUB", "рубль": "RUB", "rur": "RUB", "р": "RUB", "₽": "RUB"}
PERIOD = re.compile(r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?")
LIST_FIELDS = ("regions", "industries", "product_lines", "channels", "ownerships", "tiers")


def inn_is_valid(inn: str) -> bool:
    """Check digits of a Russian tax id (ИНН): 10 digits for companies, 12 for individuals."""
    if len(inn) not in (10, 12) or not inn.isascii() or not inn.isdigit():
        return False
    d = [c - 48 for c in inn.encode()]
    if len(inn) == 10:
        n10 = 2 * d[0] + 4 * d[1] + 10 * d[2] + 3 * d[3] + 5 * d[4] + 9 * d[5] + 4 * d[6]
        return (n10 + 6 * d[7] + 8 * d[8]) % 11 % 10 == d[9]
    n11 = 7 * d[0] + 2 * d[1] + 4 * d[2] + 10 * d[3] + 3 * d[4] + 5 * d[5] + 9 * d[6]
    n11 += 4 * d[7] + 6 * d[8] + 8 * d[9]
    n12 = 3 * d[0] + 7 * d[1] + 2 * d[2] + 4 * d[3] + 10 * d[4] + 3 * d[5] + 5 * d[6]
    n12 += 9 * d[7] + 4 * d[8] + 6 * d[9] + 8 * d[10]
    return n11 % 11 % 10 == d[10] and n12 % 11 % 10 == d[11]


# --- lookups of referenced managers and clients ---------------------------------------


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Index:
    """Find a manager or client by a reference the way a person writes it."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_external: dict[str, set[int]] = defaultdict(set)
        self.by_email: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_source_name: dict[tuple[str, str], set[int]] = defaultdict(set)

    def add(
        self, pk: int, source: str, external_id: str | None, name: str, email: str | None
    ) -> None:
        if external_id:
            self.by_key[(source, external_id)] = pk
            self.by_external[external_id].add(pk)
        if email:
            self.by_email[email.strip().casefold()].add(pk)
        self.by_name[_name_key(name)].add(pk)
        self.by_source_name[(source, _name_key(name))].add(pk)

    def find(self, source: str, value: str, *, emails: bool) -> tuple[int | None, str]:
        """(id, "") when found, (None, reason) otherwise; id → e-mail → exact name → any id."""
        if (source, value) in self.by_key:
            return self.by_key[(source, value)], ""
        # The same company often comes from several CRMs; a name is first looked up
        # among the rows of the source being imported.
        own = self.by_source_name.get((source, _name_key(value)))
        if own and len(own) == 1:
            return next(iter(own)), ""
        for table, what in (
            (self.by_email if emails else None, "e-mail"),
            (self.by_name, "именем"),
            (self.by_external, "id"),
        ):
            if table is None:
                continue
            found = table.get(_name_key(value) if table is not self.by_external else value)
            if found and len(found) == 1:
                return next(iter(found)), ""
            if found:
                return None, f"несколько записей с таким {what}; укажите id"
        return None, "не найден"


@dataclass
class _Frame:
    """The mapped cells of a file as columns: field → cells as read and after the profile."""

    numbers: list[int]
    raw: dict[str, list[Any]]
    cells: dict[str, list[Any]]

    @property
    def size(self) -> int:
        return len(self.numbers)

    def get(self, name: str) -> list[Any]:
        column = self.cells.get(name)
        return column if column is not None else [None] * self.size


class _Distinct(tuple[Any, ...]):
    """A combination of cells hashed by identity: never shares a prepared result."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


def _frame(
    table: readers.Table,
    plan: ColumnPlan,
    profile: Profile,
    entity: str,
    mapping: ImportMapping,
) -> _Frame:
    """Columns of the mapped fields, blanks as None, with the profile's codes translated.

    The profile's hook (stage → outcome, Bitrix24 and amoCRM codes) reads a few fields of
    a row; it runs once per distinct combination of them, not once per row.
    """
    rows = table.rows
    columns = transpose([r.values for r in rows], plan.columns)
    raw = {name: blanks_to_none(columns[index]) for index, name in plan.columns.items()}
    cells = dict(raw)
    fields = profile.reads.get(entity, ())
    if fields and rows:
        present = [f for f in fields if f in cells]
        combos: list[Any] = list(zip(*(cells[f] for f in present), strict=True))
        if not present:
            combos = [()] * len(rows)
        elif any(mixes_equal_values(cells[f]) for f in present):
            # True == 1 would share one result: such rows are prepared one by one.
            combos = [_Distinct(c) for c in combos]
        stage_outcomes = mapping.stage_outcomes or None
        prepared: dict[Any, tuple[Any, ...]] = {}
        for combo in set(combos):
            record = dict(zip(present, tuple(combo), strict=True))
            profile.prepare(entity, record, stage_outcomes)
            prepared[combo] = tuple(
                None if is_blank(record.get(f)) else record.get(f) for f in fields
            )
        results = list(map(prepared.__getitem__, combos))
        for name, column in zip(fields, zip(*results, strict=True), strict=True):
            if name in cells or any(v is not None for v in column):
                cells[name] = list(column)
    return _Frame([r.number for r in rows], raw, cells)


class _Rows:
    """Rows of one table collected as columns, for one bulk INSERT."""

    def __init__(self, *names: str) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in names}
        self._lists = list(self.columns.values())

    @property
    def count(self) -> int:
        return len(self._lists[0])

    def add(self, *values: Any) -> None:
        for column, value in zip(self._lists, values, strict=True):
            column.append(value)

    def clear(self) -> None:
        for column in self._lists:
            column.clear()


class _Importer:
    """Checks a file column by column, collects every error, then writes all rows at once."""

    def __init__(
        self,
        session: Session,
        report: ImportReport,
        plan: ColumnPlan,
        source: str,
        today: dt.date,
        progress: ProgressCallback | None = None,
        scope: Scope | None = None,
    ) -> None:
        self.progress = progress
        self.scope = scope
        self.session = session
        self.report = report
        self.plan = plan
        self.source = source
        self.today = today
        # New history rows and new responsibilities, kept as columns for one bulk INSERT.
        self.history = _Rows("entity_id", "field", "old_value", "new_value")
        self.won_clients: set[int] = set()
        self.new_responsibilities = _Rows("client_id", "role", "manager_id", "since")
        self._managers: _Index | None = None
        self._clients: _Index | None = None
        self.frame = _Frame([], {}, {})
        # (row index, order of the check, field, message, value shown or None): sorted
        # into the report by row, then in the order the checks ran.
        self.failures: list[tuple[int, int, str, str, str | None]] = []
        self._check = 0
        self._ticked = 0

    # -- lookups
    @property
    def managers(self) -> _Index:
        if self._managers is None:
            index = _Index()
            for m in self.session.execute(
                select(Manager.id, Manager.source, Manager.external_id, Manager.name, Manager.email)
            ):
                index.add(m.id, m.source, m.external_id, m.name, m.email)
            for a in self.session.scalars(select(ManagerAlias)):
                index.by_key[(a.source, a.external_id)] = a.manager_id
            self._managers = index
        return self._managers

    @property
    def clients(self) -> _Index:
        if self._clients is None:
            index = _Index()
            for c in self.session.execute(
                select(Client.id, Client.source, Client.external_id, Client.name)
            ):
                index.add(c.id, c.source, c.external_id, c.name, None)
            self._clients = index
        return self._clients

    # -- column checks: each returns the parsed column (None where blank or wrong)
    def fail(self, rows: Iterable[int], name: str, messages: Iterable[str] | str) -> None:
        """Record errors of field `name` in `rows` (one message, or one per row)."""
        self._check += 1
        texts_ = repeat(messages) if isinstance(messages, str) else messages
        for row, message in zip(rows, texts_, strict=False):
            self.failures.append((row, self._check, name, message, None))

    def parse(self, name: str, parse: Callable[[Any], Any], *, required: bool = False) -> list[Any]:
        column = self.frame.get(name)
        out, rows, messages = map_values(column, parse)
        self.fail(rows, name, messages)
        if required:
            self.fail((i for i, v in enumerate(column) if v is None), name, REQUIRED_TEXT)
        return out

    def text(self, name: str, *, required: bool = False, max_len: int = 300) -> list[Any]:
        column = self.frame.get(name)
        out = texts(column)
        present = [v for v in out if v is not None]
        if present and max(map(len, present)) > max_len:
            self.fail(
                (i for i, v in enumerate(out) if v is not None and len(v) > max_len),
                name,
                f"слишком длинное значение (больше {max_len} символов)",
            )
            out = [v if v is None or len(v) <= max_len else None for v in out]
        if required:
            self.fail((i for i, v in enumerate(column) if v is None), name, REQUIRED_TEXT)
        return out

    def number(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: float | None = 0.0,
        maximum: float | None = None,
    ) -> list[Any]:
        column = self.frame.get(name)
        out, rows, messages = numbers(column)
        self.fail(rows, name, messages)
        present = [v for v in out if v is not None]
        if present:
            low = minimum is not None and min(present) < minimum
            high = maximum is not None and max(present) > maximum
            if low or high:
                out = self._range(name, out, repeat(minimum), repeat(maximum))
        if required:
            self.fail((i for i, v in enumerate(column) if v is None), name, REQUIRED_TEXT)
        return out

    def _range(
        self,
        name: str,
        out: list[Any],
        lows: Iterable[float | None],
        highs: Iterable[float | None],
    ) -> list[Any]:
        """Cells outside their row's [low, high] (None = no limit) are errors, then None."""
        rows: list[int] = []
        messages: list[str] = []
        for i, (v, low, high) in enumerate(zip(out, lows, highs, strict=False)):
            if v is None:
                continue
            if low is not None and v < low:
                rows.append(i)
                messages.append(f"значение должно быть не меньше {low:g}")
            elif high is not None and v > high:
                rows.append(i)
                messages.append(f"значение должно быть не больше {high:g}")
        self.fail(rows, name, messages)
        bad = set(rows)
        return [None if i in bad else v for i, v in enumerate(out)]

    def integer(self, name: str, *, minimum: int = 0, maximum: int | None = None) -> list[Any]:
        def parse(raw: Any) -> int:
            value = parse_int(raw)
            if value < minimum or (maximum is not None and value > maximum):
                upper = f"до {maximum}" if maximum is not None else "и больше"
                raise CellValueError(f"ожидается целое число от {minimum} {upper}")
            return value

        return self.parse(name, parse)

    def choice(self, name: str, words: Mapping[str, str], *, required: bool = False) -> list[Any]:
        def parse(raw: Any) -> str:
            key = normalize_header(text_of(raw))
            if key not in words:
                allowed = ", ".join(sorted(set(words.values())))
                raise CellValueError(f"недопустимое значение; допустимы: {allowed}")
            return words[key]

        return self.parse(name, parse, required=required)

    def ref(self, name: str, what: str, *, required: bool = False) -> list[Any]:
        index = self.managers if what == "manager" else self.clients
        label = "менеджер" if what == "manager" else "клиент"

        def parse(raw: Any) -> int:
            pk, reason = index.find(self.source, text_of(raw), emails=what == "manager")
            if pk is None:
                raise CellValueError(f"{label} {reason}")
            return pk

        return self.parse(name, parse, required=required)

    def keys(self, entity: str, *parts: str) -> list[Any]:
        """External ids: the id column, else the name, else the listed columns joined."""
        id_field = ID_FIELDS.get(entity)
        frame = self.frame
        ids = texts(frame.get(id_field)) if id_field else [None] * frame.size
        out: list[Any] = ids
        if None in ids:
            names = texts(frame.get("name"))
            joined = [frame.get(p) for p in parts]
            out = [
                v
                if v is not None
                else names[i]
                if names[i] is not None
                else "|".join(text_of(c[i]) for c in joined)
                for i, v in enumerate(ids)
            ]
        if out and max(map(len, out)) > MAX_KEY:
            self.fail(
                (i for i, v in enumerate(out) if len(v) > MAX_KEY),
                id_field or parts[0],
                f"id длиннее {MAX_KEY} символов",
            )
        return out

    # -- driving
    def run(self, entity: str, frame: _Frame) -> None:
        self.frame = frame
        convert: dict[str, Callable[[], tuple[list[Any], dict[str, list[Any]]]]] = {
            "managers": self._managers_columns,
            "clients": self._clients_columns,
            "teams": self._teams_columns,
            "deals": self._deals_columns,
            "activities": self._activities_columns,
            "plans": self._plans_columns,
            "surveys": self._surveys_columns,
            "feedback": self._feedback_columns,
        }
        keys, values = convert[entity]()
        if self.scope is not None and not self.scope.is_everything:
            self._within_scope(entity, keys, values, self.scope)
        self._duplicates(entity, keys, values)
        if self.failures:
            self._report_failures()
            return
        if self.progress is not None:
            self._ticked = frame.size // 2
            self.progress(self._ticked, frame.size)  # checking is the first half
        if entity == "deals":
            self.won_clients = {
                c for c, o in zip(values["client_id"], values["outcome"], strict=True) if o == "won"
            }
        if entity == "clients":
            self._apply_clients(keys, values)
        elif entity in ("managers", "teams", "plans"):
            rows = [
                (frame.numbers[i], key, {name: column[i] for name, column in values.items()})
                for i, key in enumerate(keys)
            ]
            {
                "managers": self._apply_managers,
                "teams": self._apply_teams,
                "plans": self._apply_plans,
            }[entity](rows)
        else:
            model = {
                "deals": Deal,
                "activities": Activity,
                "surveys": Survey,
                "feedback": ColleagueFeedback,
            }[entity]
            self._upsert(model, keys, values)

    def _within_scope(
        self, entity: str, keys: list[Any], values: dict[str, list[Any]], scope: Scope
    ) -> None:
        """Rows touching a client, a manager or a team outside the user's department fail."""
        session = self.session
        manager_cond, client_cond = visible_managers(scope), visible_clients(scope)
        assert manager_cond is not None and client_cond is not None
        managers_ok = set(session.scalars(select(Manager.id).where(manager_cond)))
        clients_ok = set(session.scalars(select(Client.id).where(client_cond)))
        where = f"команда «{scope.team}»" if scope.team else "ваши клиенты"
        not_client = f"клиент не из вашего отдела ({where}); его меняет руководитель всей компании"
        not_manager = f"менеджер не из вашего отдела ({where})"

        def outside(column: list[Any] | None, name: str, ok: set[int], message: str) -> None:
            if column is not None:
                self.fail(
                    (i for i, v in enumerate(column) if v is not None and v not in ok),
                    name,
                    message,
                )

        if entity == "clients":
            ids = self._ids(Client, keys)
            outside([ids.get(k) for k in keys], "name", clients_ok, not_client)
            outside(values.get("_owner"), "owner_id", managers_ok, not_manager)
        elif entity == "managers":
            # The manager a row would change: by its id in this source, a CRM user joined
            # earlier, or the one manager with the row's e-mail (as the import links them).
            ids = self._ids(Manager, keys)
            ids.update(
                session.execute(
                    select(ManagerAlias.external_id, ManagerAlias.manager_id).where(
                        ManagerAlias.source == self.source
                    )
                ).all()
            )
            by_email: dict[str, list[int]] = defaultdict(list)
            for mid, email in session.execute(select(Manager.id, Manager.email)):
                if email:
                    by_email[email.casefold()].append(mid)
            emails = values.get("email") or [None] * len(keys)
            for key, email in zip(keys, emails, strict=True):
                matches = by_email.get(email.casefold(), []) if email else []
                if key not in ids and len(matches) == 1:
                    ids[key] = matches[0]
            outside([ids.get(k) for k in keys], "name", managers_ok, not_manager)
            teams = values.get("team") or [None] * len(keys)
            self.fail(
                (
                    i
                    for i, (key, team) in enumerate(zip(keys, teams, strict=True))
                    if (team is not None or key not in ids) and team != scope.team
                ),
                "team",
                f"команда может быть только вашей: «{scope.team}»",
            )
        elif entity == "teams":
            outside([k[0] for k in keys], "client", clients_ok, not_client)
            outside(values["manager"], "manager", managers_ok, not_manager)
        else:
            outside(values.get("client_id"), "client", clients_ok, not_client)
            for name, column in (
                ("manager_id", "manager"),
                ("from_manager_id", "from_manager"),
                ("to_manager_id", "to_manager"),
            ):
                outside(values.get(name), column, managers_ok, not_manager)
            model: Any = {"deals": Deal, "activities": Activity, "surveys": Survey}.get(entity)
            if model is not None:
                # A row that would rewrite a record of another department's client.
                owner: dict[Any, Any] = dict(
                    session.execute(
                        select(model.external_id, model.client_id).where(
                            model.source == self.source, model.external_id.in_(set(keys))
                        )
                    ).all()
                    if len(keys) <= BIG
                    else session.execute(
                        select(model.external_id, model.client_id).where(
                            model.source == self.source
                        )
                    ).all()
                )
                outside([owner.get(k) for k in keys], "client", clients_ok, not_client)

    def _duplicates(self, entity: str, keys: list[Any], values: dict[str, list[Any]]) -> None:
        """A key (and a manager's e-mail) may appear once among the rows without errors."""
        bad = {f[0] for f in self.failures}
        if not bad and len(set(keys)) == len(keys) and entity != "managers":
            return
        numbers = self.frame.numbers
        first_row: dict[Any, int] = {}
        first_email: dict[str, int] = {}
        emails = values.get("email") if entity == "managers" else None
        column = ID_FIELDS.get(entity, "client")
        self._check += 1
        for i, key in enumerate(keys):
            if i in bad:
                continue
            if key in first_row:
                shown = key if isinstance(key, str) else " / ".join(map(str, key))
                message = f"повтор записи из строки {first_row[key]}"
                self.failures.append((i, self._check, column, message, shown))
                continue
            first_row[key] = numbers[i]
            email = emails[i] if emails is not None else None
            if email:
                if email in first_email:
                    self.failures.append(
                        (
                            i,
                            self._check,
                            "email",
                            f"этот e-mail уже у менеджера в строке {first_email[email]}; "
                            "один человек — одна строка",
                            None,
                        )
                    )
                    continue
                first_email[email] = numbers[i]

    def _report_failures(self) -> None:
        frame = self.frame
        titles: dict[str, str] = {}
        for row, _, name, message, shown in sorted(self.failures, key=lambda f: (f[0], f[1])):
            if name not in titles:
                titles[name] = self.plan.column_of(name)
            if shown is None:
                column = frame.raw.get(name) or frame.cells.get(name)
                shown = text_of(column[row]) if column is not None else ""
            self.report.errors.append(
                ImportIssue(self.report.file, frame.numbers[row], titles[name], shown, message)
            )

    def finish(self, batch_id: int | None) -> None:
        """Write the change-history rows, stamped with the batch number."""
        self._insert_rows(
            ChangeHistory,
            self.history,
            entity="client",
            reason=f"импорт #{batch_id}",
            actor="import",
        )

    def _count_changes(self, obj: Any, values: dict[str, Any]) -> bool:
        changed = False
        for name, value in values.items():
            if value is KEEP:
                continue
            if not _same(getattr(obj, name), value):
                setattr(obj, name, value)
                changed = True
        return changed

    def _present(self, values: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Only the fields the file has: a column missing from the file changes nothing."""
        present = self.plan.fields
        return {k: v for k, v in values.items() if k in present}

    # -- managers
    def _managers_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        fields = self.plan.fields
        names = self.text("name", max_len=200)
        if None in names:
            first = self.frame.get("first_name")
            last = self.frame.get("last_name")
            missing: list[int] = []
            for i, name in enumerate(names):
                if name is None:
                    parts = [text_of(first[i]), text_of(last[i])]
                    names[i] = " ".join(p for p in parts if p) or None
                    if names[i] is None:
                        missing.append(i)
            column = "name" if "name" in fields else "last_name"
            self.fail(missing, column, REQUIRED_TEXT)
        emails = self.text("email", max_len=200)
        self.fail(
            (
                i
                for i, e in enumerate(emails)
                if e is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e)
            ),
            "email",
            "неверный адрес e-mail",
        )
        values: dict[str, list[Any]] = {
            "name": names,
            "email": [e.lower() if e else None for e in emails],
            # A blank cell means the default, the same as in a new manager.
            "role_group": fill(self.choice("role_group", ROLE_GROUP_WORDS), "farmer"),
            "team": self.text("team", max_len=120),
            "grade": fill(self.integer("grade", minimum=1, maximum=5), 1),
            "capacity": self.integer("capacity", minimum=0),
            "hours": self.number("hours", maximum=744),
            "active": [True if a is None else a for a in self.parse("active", parse_bool)],
        }
        for list_field in LIST_FIELDS:
            raw = self.text(list_field, max_len=5000)
            values[list_field] = [_list_text(r or "*") for r in raw]
        present = fields | {"name"}
        values = {k: v for k, v in values.items() if k in present}
        if "capacity" in values:
            values["capacity_override"] = values.pop("capacity")
        return self.keys("managers"), values

    # -- clients
    def _clients_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        values: dict[str, list[Any]] = {"name": self.text("name", required=True)}
        tax_ids = [t.replace(" ", "") if t else t for t in self.text("tax_id", max_len=20)]
        # Excel keeps an ИНН typed as a number: its leading zero is lost (9 or 11 digits).
        # Put back when the checksum then passes; anything else stays an error.
        restored = 0
        for i, t in enumerate(tax_ids):
            if t and len(t) in (9, 11) and t.isdigit() and inn_is_valid("0" + t):
                tax_ids[i] = "0" + t
                restored += 1
        if restored:
            self.report.warnings.append(
                f"ИНН без ведущего нуля (Excel хранил его числом) восстановлен в строках: "
                f"{restored}."
            )
        self.fail(
            (i for i, t in enumerate(tax_ids) if t is not None and not inn_is_valid(t)),
            "tax_id",
            "неверный ИНН: нужно 10 или 12 цифр с верной контрольной суммой",
        )
        values["tax_id"] = tax_ids
        for name in ("region", "city", "industry", "channel", "ownership"):
            values[name] = self.text(name, max_len=120)
        values["product_line"] = self.text("product_line", max_len=300)
        values["tier"] = self.choice("tier", TIERS)
        values["potential"] = self.number("potential")
        values["revenue_12m"] = self.number("revenue_12m")
        values["hours"] = self.number("hours", maximum=744)
        values["locked"] = self.parse("locked", parse_bool)
        values["status"] = self.choice("status", STATUS_WORDS)
        owners = self.ref("owner_id", "manager")
        values = self._present(values)
        if "tier" in values:
            values["tier_given"] = [t is not None for t in values["tier"]]
            values["tier"] = [KEEP if t is None else t for t in values["tier"]]
        for name in ("potential", "revenue_12m"):
            if name in values:
                values[name] = [0.0 if v is None else v for v in values[name]]
        if "locked" in values:
            values["locked"] = [bool(v) for v in values["locked"]]
        if "status" in values:
            values["status"] = [KEEP if s is None else s for s in values["status"]]
        if "owner_id" in self.plan.fields:
            values["_owner"] = owners
        return self.keys("clients"), values

    def _apply_clients(self, keys: list[Any], values: dict[str, list[Any]]) -> None:
        outcome = self._upsert(Client, keys, values, report=False)
        owners = values.get("_owner")
        if owners is not None:
            ids = self._ids(Client, keys)
            active = self._active_responsibilities(Role.ACCOUNT.value)
            for i, (key, owner) in enumerate(zip(keys, owners, strict=True)):
                changed = owner is not None and self._assign(
                    ids[key], Role.ACCOUNT.value, owner, None, active
                )
                if changed and outcome[i] == "unchanged":
                    outcome[i] = "updated"
            self._flush_pending()
        self._count(outcome)

    def _count(self, outcome: list[str]) -> None:
        """Add "inserted" / "updated" / "unchanged" of every row to the report."""
        for state, count in Counter(outcome).items():
            setattr(self.report, state, getattr(self.report, state) + count)

    def _ids(self, model: Any, keys: list[Any]) -> dict[Any, int]:
        """Primary keys of this source's rows by external id."""
        stmt = select(model.external_id, model.id).where(model.source == self.source)
        if len(keys) > BIG:
            return dict(self.session.execute(stmt).all())
        ids: dict[Any, int] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            ids.update(
                (key, pk)
                for key, pk in self.session.execute(stmt.where(model.external_id.in_(chunk)))
            )
        return ids

    def _active_responsibilities(self, role: str | None) -> dict[tuple[int, str], Responsibility]:
        stmt = select(Responsibility).where(Responsibility.until.is_(None))
        if role is not None:
            stmt = stmt.where(Responsibility.role == role)
        return {(r.client_id, r.role): r for r in self.session.scalars(stmt)}

    # -- teams
    def _teams_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        clients = self.ref("client", "client", required=True)
        roles = self.choice("role", ROLE_WORDS, required=True)
        managers = self.ref("manager", "manager", required=True)
        since = self.parse("since", parse_date)
        # Hunters and farmers apart: a hunter never becomes a client's account manager, a
        # farmer never takes acquisition. A row that only repeats what is already so (old
        # data exported and re-imported) changes nothing and passes.
        groups = dict(
            self.session.execute(
                select(Manager.id, Manager.role_group).where(
                    Manager.id.in_({m for m in managers if m is not None})
                )
            ).all()
        )
        broken = [
            (i, c, m, r, why)
            for i, (c, m, r) in enumerate(zip(clients, managers, roles, strict=True))
            if m in groups
            and r is not None
            and (why := hunter_farmer_violation(RoleGroup(groups[m]), Role(r)))
        ]
        if broken:
            held = set(
                self.session.execute(
                    select(
                        Responsibility.client_id, Responsibility.role, Responsibility.manager_id
                    ).where(
                        Responsibility.until.is_(None),
                        Responsibility.client_id.in_({c for _, c, _, _, _ in broken}),
                    )
                ).tuples()
            )
            broken = [b for b in broken if (b[1], b[3], b[2]) not in held]
        self.fail(
            (i for i, *_ in broken),
            "role",
            (f"роль не для этого менеджера: {why}" for *_, why in broken),
        )
        return list(zip(clients, roles, strict=True)), {"manager": managers, "since": since}

    # -- deals, activities, surveys, feedback
    def _deals_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        values: dict[str, list[Any]] = {
            "client_id": self.ref("client", "client", required=True),
            "manager_id": self.ref("manager", "manager"),
            "amount": fill(self.number("amount"), 0.0),
            "stage": self.text("stage", max_len=120),
            "outcome": fill(self.choice("outcome", OUTCOME_WORDS), "open"),
            "created": self.parse("created", parse_date, required=True),
            "closed": self.parse("closed", parse_date),
            "product_line": self.text("product_line", max_len=120),
        }
        values["currency"] = fill(self.parse("currency", _currency), "RUB")
        self._not_before("closed", "created", values, "дата закрытия раньше даты создания")
        return self.keys("deals", "client", "manager", "created", "amount"), values

    def _not_before(
        self, late: str, early: str, values: dict[str, list[Any]], message: str
    ) -> None:
        self.fail(
            (
                i
                for i, (b, a) in enumerate(zip(values[late], values[early], strict=True))
                if b and a and b < a
            ),
            late,
            message,
        )

    def _activities_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        values: dict[str, list[Any]] = {
            "client_id": self.ref("client", "client"),
            "manager_id": self.ref("manager", "manager"),
            "type": self.choice("type", ACTIVITY_WORDS, required=True),
            "direction": self.choice("direction", DIRECTION_WORDS),
            "started": self.parse("started", parse_datetime, required=True),
            "ended": self.parse("ended", parse_datetime),
            "completed": self.parse("completed", parse_bool),
            "due": self.parse("due", parse_datetime),
        }
        values["completed"] = [True if c is None else c for c in values["completed"]]
        self._not_before("ended", "started", values, "окончание раньше начала")
        return self.keys("activities", "client", "manager", "type", "started"), values

    def _surveys_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        scales = fill(self.choice("scale", SCALE_WORDS), "csat")
        # CSAT is 1–5, NPS 0–10: the score is checked against its row's scale.
        scores = self.number("score", required=True, minimum=None)
        lows = [1.0 if scale == "csat" else 0.0 for scale in scales]
        highs = [5.0 if scale == "csat" else 10.0 for scale in scales]
        scores = self._range("score", scores, lows, highs)
        values: dict[str, list[Any]] = {
            "client_id": self.ref("client", "client"),
            "manager_id": self.ref("manager", "manager", required=True),
            "date": self.parse("date", parse_date, required=True),
            "scale": scales,
            "score": scores,
            "kind": fill(self.choice("kind", KIND_WORDS), "survey"),
            "comment": self.text("comment", max_len=5000),
        }
        return self.keys("surveys", "client", "manager", "date", "kind"), values

    def _feedback_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        values: dict[str, list[Any]] = {
            "from_manager_id": self.ref("from_manager", "manager", required=True),
            "to_manager_id": self.ref("to_manager", "manager", required=True),
            "date": self.parse("date", parse_date, required=True),
            "score": self.number("score", required=True, minimum=1, maximum=5),
            "comment": self.text("comment", max_len=5000),
        }
        self.fail(
            (
                i
                for i, (a, b) in enumerate(
                    zip(values["from_manager_id"], values["to_manager_id"], strict=True)
                )
                if a is not None and a == b
            ),
            "to_manager",
            "менеджер не может оценивать сам себя",
        )
        return self.keys("feedback", "from_manager", "to_manager", "date"), values

    # -- plans: one per manager and period, whatever the source
    def _plans_columns(self) -> tuple[list[Any], dict[str, list[Any]]]:
        managers = self.ref("manager", "manager", required=True)
        periods = self.text("period", required=True, max_len=10)
        self.fail(
            (i for i, p in enumerate(periods) if p is not None and not PERIOD.fullmatch(p)),
            "period",
            "период записывается как 2026, 2026-Q3 или 2026-10",
        )
        values = {
            "manager_id": managers,
            "period": periods,
            "amount": self.number("amount", required=True),
            "count": self.integer("count"),
            "_key": self.keys("plans", "manager", "period"),
        }
        return list(zip(managers, periods, strict=True)), values

    def _apply_plans(self, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        existing = {(p.manager_id, p.period): p for p in self.session.scalars(select(PlanTarget))}
        updatable = self._updatable()
        for _, key, values in rows:
            present = {k: v for k, v in values.items() if not k.startswith("_")}
            plan = existing.get(key)
            if plan is None:
                plan = PlanTarget(source=self.source, external_id=values["_key"], **present)
                self.session.add(plan)
                existing[key] = plan
                self.report.inserted += 1
            elif self._count_changes(plan, {k: v for k, v in present.items() if k in updatable}):
                self.report.updated += 1
            else:
                self.report.unchanged += 1

    def _updatable(self) -> set[str]:
        """Attributes an update may change: those whose column is in the file."""
        attrs: set[str] = set()
        for name in self.plan.fields:
            attrs.update(COLUMN_ATTRS.get(name, (name,)))
        return attrs

    # -- writing
    def _tick(self, done: int, total: int) -> None:
        """Progress of writing `done` of `total`: the second half of the file's bar.

        Several writes (rows, owners, history) each count from zero; the bar never goes
        back and moves in steps of at least PROGRESS_STEP rows.
        """
        if self.progress is None or not total:
            return
        rows = self.frame.size or total
        value = max(self._ticked, rows // 2 + (rows - rows // 2) * min(done, total) // total)
        if value - self._ticked >= PROGRESS_STEP or (done >= total and value > self._ticked):
            self._ticked = value
            self.progress(value, rows)

    def _upsert(
        self,
        model: Any,
        keys: list[Any],
        values: dict[str, list[Any]],
        *,
        report: bool = True,
    ) -> list[str]:
        """Insert new (source, external_id) keys, update changed rows, count the rest.

        An update changes only the attributes whose column is in the file (`_updatable`);
        new rows get the table's defaults for the rest. Returns "inserted" / "updated" /
        "unchanged" per row.
        """
        attrs = [a for a in values if not a.startswith("_")]
        updatable = self._updatable()
        compared = [a for a in attrs if a in updatable]
        existing = self._existing(model, keys, compared)
        outcome = ["inserted"] * len(keys)
        if not existing:
            self._insert_columns(model, attrs, keys, values, None)
        else:
            fresh: list[int] = []
            updates: list[dict[str, Any]] = []
            for i, key in enumerate(keys):
                old = existing.get(key)
                if old is None:
                    fresh.append(i)
                    continue
                new = {a: values[a][i] for a in compared if values[a][i] is not KEEP}
                if any(not _same(getattr(old, a), v) for a, v in new.items()):
                    updates.append({"id": old.id, **new})
                    outcome[i] = "updated"
                else:
                    outcome[i] = "unchanged"
            self._insert_columns(model, attrs, keys, values, fresh)
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for item in updates:
                groups[tuple(item)].append(item)
            for group in groups.values():
                for start in range(0, len(group), CHUNK):
                    # ORM bulk UPDATE by primary key: one executemany per chunk.
                    self.session.execute(update(model), group[start : start + CHUNK])
        if report:
            self._count(outcome)
        return outcome

    def _existing(self, model: Any, keys: list[Any], compared: list[str]) -> dict[Any, Any]:
        """This source's rows among `keys`: all of them in one pass for a big file."""
        has_any = self.session.execute(
            select(model.id).where(model.source == self.source).limit(1)
        ).first()
        if has_any is None:
            return {}
        stmt = select(model.external_id, model.id, *(getattr(model, a) for a in compared)).where(
            model.source == self.source
        )
        if len(keys) > BIG:
            wanted = set(keys)
            return {r.external_id: r for r in self.session.execute(stmt) if r.external_id in wanted}
        found: dict[Any, Any] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            for r in self.session.execute(stmt.where(model.external_id.in_(chunk))):
                found[r.external_id] = r
        return found

    def _insert_columns(
        self,
        model: Any,
        attrs: list[str],
        keys: list[Any],
        values: dict[str, list[Any]],
        rows: list[int] | None,
    ) -> None:
        """INSERT the rows `rows` (None = all) of columns `attrs` as new (source, key) rows."""
        count = len(keys) if rows is None else len(rows)
        if not count:
            return
        columns: dict[str, list[Any]] = {
            "source": [self.source] * count,
            "external_id": keys if rows is None else [keys[i] for i in rows],
        }
        for attr in attrs:
            column = values[attr]
            columns[attr] = column if rows is None else [column[i] for i in rows]
        insert_columns(self.session.connection(), model.__table__, columns, count, self._tick)

    def _insert_rows(self, model: Any, rows: _Rows, **same: Any) -> None:
        """INSERT the collected rows, with `same` values in every row, and forget them."""
        count = rows.count
        if count:
            columns = {**rows.columns, **{name: [v] * count for name, v in same.items()}}
            insert_columns(self.session.connection(), model.__table__, columns, count, None)
        rows.clear()

    def _flush_pending(self) -> None:
        self._insert_rows(Responsibility, self.new_responsibilities, reason="import")

    # -- rows kept as records: managers and client teams (small files)
    def _apply_managers(self, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        own = {
            m.external_id: m
            for m in self.session.scalars(select(Manager).where(Manager.source == self.source))
        }
        aliases = {
            a.external_id: a.manager_id
            for a in self.session.scalars(
                select(ManagerAlias).where(ManagerAlias.source == self.source)
            )
        }
        by_email: dict[str, list[Manager]] = defaultdict(list)
        by_id: dict[int, Manager] = {}
        for m in self.session.scalars(select(Manager)):
            by_id[m.id] = m
            if m.email:
                by_email[m.email.casefold()].append(m)
        for index, (_, key, values) in enumerate(rows, 1):
            self._tick(index, len(rows))
            manager = own.get(key)
            if manager is None and key in aliases:
                # A CRM user joined earlier: his changed name, team… update the manager.
                manager = by_id.get(aliases[key])
            if manager is not None:
                if self._count_changes(manager, values):
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
                continue
            email = (values.get("email") or "").casefold()
            matches = by_email.get(email, []) if email else []
            if len(matches) == 1:
                # The same person already exists (from another source): keep the CRM's
                # user id as an alias instead of creating a duplicate manager, and take
                # the file's values (name, team…) as the newer ones.
                self.session.add(
                    ManagerAlias(source=self.source, external_id=key, manager_id=matches[0].id)
                )
                aliases[key] = matches[0].id
                self._count_changes(matches[0], values)
                self.report.linked += 1
                continue
            manager = Manager(
                source=self.source, external_id=key, **{"role_group": "farmer", **values}
            )
            self.session.add(manager)
            own[key] = manager
            self.report.inserted += 1

    def _assign(
        self,
        client_id: int,
        role: str,
        manager_id: int,
        since: dt.date | None,
        active: dict[tuple[int, str], Responsibility],
    ) -> bool:
        current = active.get((client_id, role))
        if current is not None and current.manager_id == manager_id:
            return False
        start = since or self.today
        old: int | None = None
        if current is not None:
            old = current.manager_id
            current.until = max(start, current.since)
        if current is not None:
            # The partial unique index allows one open row per client and role: the
            # closing UPDATE must reach the database before the new row's INSERT.
            self.session.flush()
            new = Responsibility(
                client_id=client_id, role=role, manager_id=manager_id, since=start, reason="import"
            )
            self.session.add(new)
            active[(client_id, role)] = new
        else:
            # Written in bulk by _flush_pending; keys of a file are unique, so the same
            # (client, role) is not assigned twice in one import.
            self.new_responsibilities.add(client_id, role, manager_id, start)
        self.history.add(
            client_id,
            f"responsible:{role}",
            None if old is None else str(old),
            str(manager_id),
        )
        return True

    def _apply_teams(self, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        active = self._active_responsibilities(None)
        for _, (client, role), values in rows:
            existed = (client, role) in active
            if self._assign(client, role, values["manager"], values["since"], active):
                if existed:
                    self.report.updated += 1
                else:
                    self.report.inserted += 1
            else:
                self.report.unchanged += 1
        self._flush_pending()


def _currency(raw: Any) -> str:
    """A currency code: ₽/руб → RUB, otherwise three letters as given."""
    value = text_of(raw)
    if len(value) > 10:
        raise CellValueError("слишком длинное значение (больше 10 символов)")
    code = CURRENCY_WORDS.get(normalize_header(value), value.upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise CellValueError("ожидается код валюты из трёх букв (RUB, USD)")
    return code


def _list_text(raw: str) -> str:
    parts = [p.strip() for p in re.split(r"[;,\n]", raw) if p.strip()]
    return "*" if not parts or "*" in parts else ";".join(parts)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is new
        return round(float(old), 2) == round(float(new), 2)
    return bool(old == new)

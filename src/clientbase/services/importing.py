"""Import use case: validate every row of a file, then write all of it in one transaction."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from clientbase.core.types import ActivityType, ClientStatus, Direction, Outcome, Role, RoleGroup
from clientbase.db.engine import writer
from clientbase.db.failpoints import failpoint
from clientbase.db.import_tables import ColumnMapping, ManagerAlias
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
    parse_number,
    text_of,
    uses_comma_groups,
)
from clientbase.io.writers import write_csv
from clientbase.services.import_preview import read_table as _load_table

MAX_KEY = 120

# progress(done, total): called while rows are checked and written (the CLI shows a Rich bar,
# the web upload wizard a percentage); total is the number of rows of the file.
ProgressCallback = Callable[[int, int], None]
PROGRESS_STEP = 500
# Rows per bulk INSERT/UPDATE and per lookup of existing (source, external_id) keys.
CHUNK = 5000
# Columns of a file → attributes they set; on update only these attributes change.
COLUMN_ATTRS: dict[str, tuple[str, ...]] = {
    "client": ("client_id",),
    "manager": ("manager_id",),
    "from_manager": ("from_manager_id",),
    "to_manager": ("to_manager_id",),
    "stage": ("stage", "outcome"),  # the outcome follows the stage when it is not given
    "_semantic": ("outcome",),  # Bitrix24 STAGE_SEMANTIC_ID
}
NUMBER_FIELDS = ("amount", "potential", "revenue_12m", "hours", "score", "capacity", "grade")


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
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise BadInputError(f"Файл сопоставления {path} не найден.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"Файл сопоставления {path.name}: неверный JSON ({exc}).") from exc
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
) -> ImportReport:
    """Import one file of one entity: every row valid → all written in one transaction.

    A busy or concurrently changed database (SQLite "database is locked", PostgreSQL
    serialization failure, a unique key taken by a parallel import) is a ConflictError
    (exit 3): nothing was written and the same import can simply be repeated.
    """
    if entity not in ENTITIES:
        raise BadInputError(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(ENTITIES)}.")
    profile = get_profile(source)
    table = _load_table(path, source)
    report = ImportReport(file=table.file, entity=entity, source=source, dry_run=dry_run)
    mapping = mapping or ImportMapping()
    try:
        return _import_table(
            engine, entity, table, report, profile, source, mapping, dry_run, today, progress
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
        records = _records(table, plan, profile, entity, mapping)
        importer = _Importer(session, report, plan, source, today or dt.date.today(), progress)
        importer.run(entity, records)
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


def _records(
    table: readers.Table,
    plan: ColumnPlan,
    profile: Profile,
    entity: str,
    mapping: ImportMapping,
) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    for row in table.rows:
        record: dict[str, Any] = {}
        for index, name in plan.columns.items():
            value = row.values[index] if index < len(row.values) else None
            record[name] = None if is_blank(value) else value
        raw = dict(record)
        profile.prepare(entity, record, mapping.stage_outcomes or None)
        record["_raw"] = raw
        out.append((row.number, record))
    return out


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
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    digits = [int(c) for c in inn]

    def check(weights: Iterable[int], n: int) -> int:
        return sum(w * d for w, d in zip(weights, digits[:n], strict=False)) % 11 % 10

    if len(inn) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8), 9) == digits[9]
    return (
        check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), 10) == digits[10]
        and check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8), 11) == digits[11]
    )


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


class _Importer:
    """Converts records to rows of one entity, collects every error, then writes."""

    def __init__(
        self,
        session: Session,
        report: ImportReport,
        plan: ColumnPlan,
        source: str,
        today: dt.date,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.progress = progress
        self.comma_groups: set[str] = set()
        self.session = session
        self.report = report
        self.plan = plan
        self.source = source
        self.today = today
        self.history: list[dict[str, Any]] = []
        self.won_clients: set[int] = set()
        self.new_responsibilities: list[dict[str, Any]] = []
        self._managers: _Index | None = None
        self._clients: _Index | None = None

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

    # -- cell readers
    def error(self, row: int, name: str, record: dict[str, Any], message: str) -> None:
        raw = record.get("_raw", {}).get(name, record.get(name))
        self.report.errors.append(
            ImportIssue(self.report.file, row, self.plan.column_of(name), text_of(raw), message)
        )

    def value(
        self,
        row: int,
        record: dict[str, Any],
        name: str,
        parse: Callable[[Any], Any],
        *,
        required: bool = False,
    ) -> Any:
        raw = record.get(name)
        if is_blank(raw):
            if required:
                self.error(row, name, record, "обязательное поле не заполнено")
            return None
        try:
            return parse(raw)
        except CellValueError as exc:
            self.error(row, name, record, str(exc))
            return None

    def text(
        self,
        row: int,
        record: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        max_len: int = 300,
    ) -> str | None:
        def parse(raw: Any) -> str:
            value = text_of(raw)
            if len(value) > max_len:
                raise CellValueError(f"слишком длинное значение (больше {max_len} символов)")
            return value

        return self.value(row, record, name, parse, required=required)  # type: ignore[no-any-return]

    def number(
        self,
        row: int,
        record: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        minimum: float | None = 0.0,
        maximum: float | None = None,
    ) -> float | None:
        def parse(raw: Any) -> float:
            value = parse_number(raw, comma_groups=name in self.comma_groups)
            if minimum is not None and value < minimum:
                raise CellValueError(f"значение должно быть не меньше {minimum:g}")
            if maximum is not None and value > maximum:
                raise CellValueError(f"значение должно быть не больше {maximum:g}")
            return value

        return self.value(row, record, name, parse, required=required)  # type: ignore[no-any-return]

    def integer(
        self,
        row: int,
        record: dict[str, Any],
        name: str,
        *,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int | None:
        def parse(raw: Any) -> int:
            value = parse_int(raw)
            if value < minimum or (maximum is not None and value > maximum):
                upper = f"до {maximum}" if maximum is not None else "и больше"
                raise CellValueError(f"ожидается целое число от {minimum} {upper}")
            return value

        return self.value(row, record, name, parse)  # type: ignore[no-any-return]

    def choice(
        self,
        row: int,
        record: dict[str, Any],
        name: str,
        words: Mapping[str, str],
        *,
        required: bool = False,
    ) -> str | None:
        def parse(raw: Any) -> str:
            key = normalize_header(text_of(raw))
            if key not in words:
                allowed = ", ".join(sorted(set(words.values())))
                raise CellValueError(f"недопустимое значение; допустимы: {allowed}")
            return words[key]

        return self.value(row, record, name, parse, required=required)  # type: ignore[no-any-return]

    def ref(
        self, row: int, record: dict[str, Any], name: str, what: str, *, required: bool = False
    ) -> int | None:
        raw = record.get(name)
        if is_blank(raw):
            if required:
                self.error(row, name, record, "обязательное поле не заполнено")
            return None
        value = text_of(raw)
        index = self.managers if what == "manager" else self.clients
        pk, reason = index.find(self.source, value, emails=what == "manager")
        if pk is None:
            label = "менеджер" if what == "manager" else "клиент"
            self.error(row, name, record, f"{label} {reason}")
        return pk

    def key(self, row: int, record: dict[str, Any], entity: str, *parts: str) -> str | None:
        """The external id: the id column, else the name, else the listed columns joined."""
        id_field = ID_FIELDS.get(entity)
        if id_field and not is_blank(record.get(id_field)):
            key = text_of(record[id_field])
        elif not is_blank(record.get("name")):
            key = text_of(record["name"])
        else:
            key = "|".join(text_of(record.get(p)) for p in parts)
        if len(key) > MAX_KEY:
            self.error(row, id_field or parts[0], record, f"id длиннее {MAX_KEY} символов")
            return None
        return key

    # -- driving
    def run(self, entity: str, records: list[tuple[int, dict[str, Any]]]) -> None:
        convert: dict[str, Callable[[int, dict[str, Any]], tuple[Any, dict[str, Any]] | None]] = {
            "managers": self._manager,
            "clients": self._client,
            "teams": self._team,
            "deals": self._deal,
            "activities": self._activity,
            "plans": self._plan,
            "surveys": self._survey,
            "feedback": self._feedback,
        }
        rows: list[tuple[int, Any, dict[str, Any]]] = []
        first_row: dict[Any, int] = {}
        first_email: dict[str, int] = {}
        self.comma_groups = {
            name
            for name in NUMBER_FIELDS
            if name in self.plan.fields and uses_comma_groups(r.get(name) for _, r in records)
        }
        total = len(records)
        for done, (number, record) in enumerate(records, 1):
            if self.progress is not None and done % PROGRESS_STEP == 0:
                self.progress(done // 2, total)  # checking is the first half of the work
            errors_before = len(self.report.errors)
            converted = convert[entity](number, record)
            if converted is None or len(self.report.errors) > errors_before:
                continue
            key, values = converted
            if key in first_row:
                shown = key if isinstance(key, str) else " / ".join(map(str, key))
                self.report.errors.append(
                    ImportIssue(
                        self.report.file,
                        number,
                        self.plan.column_of(ID_FIELDS.get(entity, "client")),
                        shown,
                        f"повтор записи из строки {first_row[key]}",
                    )
                )
                continue
            first_row[key] = number
            email = values.get("email") if entity == "managers" else None
            if email:
                if email in first_email:
                    self.error(
                        number,
                        "email",
                        record,
                        f"этот e-mail уже у менеджера в строке {first_email[email]}; "
                        "один человек — одна строка",
                    )
                    continue
                first_email[email] = number
            rows.append((number, key, values))
        if self.report.errors:
            return
        self.won_clients = {v["client_id"] for _, _, v in rows if v.get("outcome") == "won"}
        apply = {
            "managers": self._apply_managers,
            "clients": self._apply_clients,
            "teams": self._apply_teams,
            "plans": self._apply_plans,
        }.get(entity)
        if apply is not None:
            apply(rows)
        else:
            model = {
                "deals": Deal,
                "activities": Activity,
                "surveys": Survey,
                "feedback": ColleagueFeedback,
            }[entity]
            self._apply_simple(model, rows)

    def finish(self, batch_id: int | None) -> None:
        """Stamp the change-history rows with the batch number and write them."""
        for item in self.history:
            item["reason"] = f"импорт #{batch_id}"
        self._bulk_insert(ChangeHistory, self.history)

    def _present(self, values: dict[str, Any]) -> dict[str, Any]:
        """Only the fields the file has: a column missing from the file changes nothing."""
        return {k: v for k, v in values.items() if not k.startswith("_")}

    def _count_changes(self, obj: Any, values: dict[str, Any]) -> bool:
        changed = False
        for name, value in values.items():
            if not _same(getattr(obj, name), value):
                setattr(obj, name, value)
                changed = True
        return changed

    # -- managers
    def _manager(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        fields = self.plan.fields
        name = self.text(row, r, "name", max_len=200)
        if name is None:
            parts = [text_of(r.get("first_name")), text_of(r.get("last_name"))]
            name = " ".join(p for p in parts if p) or None
            if name is None:
                column = "name" if "name" in fields else "last_name"
                self.error(row, column, r, "обязательное поле не заполнено")
            r["name"] = name
        email = self.text(row, r, "email", max_len=200)
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            self.error(row, "email", r, "неверный адрес e-mail")
        values: dict[str, Any] = {
            "name": name,
            "email": email.lower() if email else None,
            # A blank cell means the default, the same as in a new manager.
            "role_group": self.choice(row, r, "role_group", ROLE_GROUP_WORDS) or "farmer",
            "team": self.text(row, r, "team", max_len=120),
            "grade": self.integer(row, r, "grade", minimum=1, maximum=5) or 1,
            "capacity": self.integer(row, r, "capacity", minimum=0),
            "hours": self.number(row, r, "hours", maximum=744),
            "active": self.value(row, r, "active", parse_bool),
        }
        for list_field in LIST_FIELDS:
            raw = self.text(row, r, list_field, max_len=5000)
            values[list_field] = _list_text(raw or "*")
        if values["active"] is None:
            values["active"] = True
        present = fields | {"name"}
        values = {k: v for k, v in values.items() if k in present}
        if "capacity" in values:
            values["capacity_override"] = values.pop("capacity")
        return self.key(row, r, "managers"), values

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

    # -- clients
    def _client(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        values: dict[str, Any] = {"name": self.text(row, r, "name", required=True)}
        tax_id = self.text(row, r, "tax_id", max_len=20)
        if tax_id is not None:
            tax_id = tax_id.replace(" ", "")
            if not inn_is_valid(tax_id):
                self.error(
                    row,
                    "tax_id",
                    r,
                    "неверный ИНН: нужно 10 или 12 цифр с верной контрольной суммой",
                )
        values["tax_id"] = tax_id
        for name in ("region", "city", "industry", "channel", "ownership"):
            values[name] = self.text(row, r, name, max_len=120)
        values["product_line"] = self.text(row, r, "product_line", max_len=300)
        values["tier"] = self.choice(row, r, "tier", TIERS)
        values["potential"] = self.number(row, r, "potential")
        values["revenue_12m"] = self.number(row, r, "revenue_12m")
        values["hours"] = self.number(row, r, "hours", maximum=744)
        values["locked"] = self.value(row, r, "locked", parse_bool)
        values["status"] = self.choice(row, r, "status", STATUS_WORDS)
        owner = self.ref(row, r, "owner_id", "manager")
        present = self.plan.fields
        values = {k: v for k, v in values.items() if k in present}
        if "tier" in values:
            values["tier_given"] = values["tier"] is not None
            if values["tier"] is None:
                del values["tier"]
        for name in ("potential", "revenue_12m"):
            if name in values and values[name] is None:
                values[name] = 0.0
        if "locked" in values and values["locked"] is None:
            values["locked"] = False
        if "status" in values and values["status"] is None:
            del values["status"]
        if "owner_id" in present:
            values["_owner"] = owner
        return self.key(row, r, "clients"), values

    def _apply_clients(self, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        outcome = self._upsert(Client, rows, report=False)
        if any("_owner" in values for _, _, values in rows):
            ids: dict[Any, int] = {}
            keys = [key for _, key, _ in rows]
            for start in range(0, len(keys), CHUNK):
                ids.update(
                    self.session.execute(
                        select(Client.external_id, Client.id)
                        .where(Client.source == self.source)
                        .where(Client.external_id.in_(keys[start : start + CHUNK]))
                    ).all()
                )
            owners = self._active_responsibilities(Role.ACCOUNT.value)
            for _, key, values in rows:
                owner = values.get("_owner")
                changed = owner is not None and self._assign(
                    ids[key], Role.ACCOUNT.value, owner, None, owners
                )
                if changed and outcome[key] == "unchanged":
                    outcome[key] = "updated"
            self._flush_pending()
        for state in outcome.values():
            setattr(self.report, state, getattr(self.report, state) + 1)

    def _active_responsibilities(self, role: str | None) -> dict[tuple[int, str], Responsibility]:
        stmt = select(Responsibility).where(Responsibility.until.is_(None))
        if role is not None:
            stmt = stmt.where(Responsibility.role == role)
        return {(r.client_id, r.role): r for r in self.session.scalars(stmt)}

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
        fields = {
            "client_id": client_id,
            "role": role,
            "manager_id": manager_id,
            "since": start,
            "reason": "import",
        }
        if current is not None:
            # The partial unique index allows one open row per client and role: the
            # closing UPDATE must reach the database before the new row's INSERT.
            self.session.flush()
            new = Responsibility(**fields)
            self.session.add(new)
            active[(client_id, role)] = new
        else:
            # Written in bulk by _flush_pending; keys of a file are unique, so the same
            # (client, role) is not assigned twice in one import.
            self.new_responsibilities.append(fields)
        self.history.append(
            dict(
                entity="client",
                entity_id=client_id,
                field=f"responsible:{role}",
                old_value=None if old is None else str(old),
                new_value=str(manager_id),
                reason="import",
                actor="import",
            )
        )
        return True

    # -- teams
    def _team(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        client = self.ref(row, r, "client", "client", required=True)
        role = self.choice(row, r, "role", ROLE_WORDS, required=True)
        manager = self.ref(row, r, "manager", "manager", required=True)
        since = self.value(row, r, "since", parse_date)
        return (client, role), {"manager": manager, "since": since}

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

    # -- deals, activities, surveys, feedback
    def _deal(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        values: dict[str, Any] = {
            "client_id": self.ref(row, r, "client", "client", required=True),
            "manager_id": self.ref(row, r, "manager", "manager"),
            "amount": self.number(row, r, "amount") or 0.0,
            "stage": self.text(row, r, "stage", max_len=120),
            "outcome": self.choice(row, r, "outcome", OUTCOME_WORDS) or "open",
            "created": self.value(row, r, "created", parse_date, required=True),
            "closed": self.value(row, r, "closed", parse_date),
            "product_line": self.text(row, r, "product_line", max_len=120),
        }
        currency = self.text(row, r, "currency", max_len=10)
        if currency is not None:
            currency = CURRENCY_WORDS.get(normalize_header(currency), currency.upper())
            if not re.fullmatch(r"[A-Z]{3}", currency):
                self.error(row, "currency", r, "ожидается код валюты из трёх букв (RUB, USD)")
        values["currency"] = currency or "RUB"
        if values["closed"] and values["created"] and values["closed"] < values["created"]:
            self.error(row, "closed", r, "дата закрытия раньше даты создания")
        return self.key(row, r, "deals", "client", "manager", "created", "amount"), values

    def _activity(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        values: dict[str, Any] = {
            "client_id": self.ref(row, r, "client", "client"),
            "manager_id": self.ref(row, r, "manager", "manager"),
            "type": self.choice(row, r, "type", ACTIVITY_WORDS, required=True),
            "direction": self.choice(row, r, "direction", DIRECTION_WORDS),
            "started": self.value(row, r, "started", parse_datetime, required=True),
            "ended": self.value(row, r, "ended", parse_datetime),
            "completed": self.value(row, r, "completed", parse_bool),
            "due": self.value(row, r, "due", parse_datetime),
        }
        if values["completed"] is None:
            values["completed"] = True
        if values["ended"] and values["started"] and values["ended"] < values["started"]:
            self.error(row, "ended", r, "окончание раньше начала")
        return self.key(row, r, "activities", "client", "manager", "type", "started"), values

    def _survey(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        scale = self.choice(row, r, "scale", SCALE_WORDS) or "csat"
        low, high = (1.0, 5.0) if scale == "csat" else (0.0, 10.0)
        values: dict[str, Any] = {
            "client_id": self.ref(row, r, "client", "client"),
            "manager_id": self.ref(row, r, "manager", "manager", required=True),
            "date": self.value(row, r, "date", parse_date, required=True),
            "scale": scale,
            "score": self.number(row, r, "score", required=True, minimum=low, maximum=high),
            "kind": self.choice(row, r, "kind", KIND_WORDS) or "survey",
            "comment": self.text(row, r, "comment", max_len=5000),
        }
        return self.key(row, r, "surveys", "client", "manager", "date", "kind"), values

    def _feedback(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        values: dict[str, Any] = {
            "from_manager_id": self.ref(row, r, "from_manager", "manager", required=True),
            "to_manager_id": self.ref(row, r, "to_manager", "manager", required=True),
            "date": self.value(row, r, "date", parse_date, required=True),
            "score": self.number(row, r, "score", required=True, minimum=1, maximum=5),
            "comment": self.text(row, r, "comment", max_len=5000),
        }
        if (
            values["from_manager_id"] is not None
            and values["from_manager_id"] == values["to_manager_id"]
        ):
            self.error(row, "to_manager", r, "менеджер не может оценивать сам себя")
        return self.key(row, r, "feedback", "from_manager", "to_manager", "date"), values

    def _updatable(self) -> set[str]:
        """Attributes an update may change: those whose column is in the file."""
        attrs: set[str] = set()
        for name in self.plan.fields:
            attrs.update(COLUMN_ATTRS.get(name, (name,)))
        return attrs

    def _tick(self, index: int, total: int) -> None:
        """Progress of writing: the second half of the bar."""
        if self.progress is not None and index % PROGRESS_STEP == 0:
            self.progress((total + index) // 2, total)

    def _bulk_insert(self, model: Any, rows: list[dict[str, Any]]) -> None:
        """Core INSERT in chunks with executemany (no ORM objects): 100k rows in seconds.

        Rows are grouped by their set of keys so that each executemany is homogeneous;
        column defaults fill the keys a group does not have.
        """
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[tuple(row)].append(row)
        connection = self.session.connection()
        for group in groups.values():
            for start in range(0, len(group), CHUNK):
                connection.execute(insert(model.__table__), group[start : start + CHUNK])
        rows.clear()

    def _flush_pending(self) -> None:
        self._bulk_insert(Responsibility, self.new_responsibilities)

    def _upsert(
        self, model: Any, rows: list[tuple[int, Any, dict[str, Any]]], *, report: bool = True
    ) -> dict[Any, str]:
        """Insert new (source, external_id) keys, update changed rows, count the rest.

        Existing rows are looked up one chunk of keys at a time; an update changes only the
        attributes whose column is in the file (`_updatable`), defaults apply to new rows.
        Returns "inserted" / "updated" / "unchanged" per key.
        """
        updatable = self._updatable()
        attrs = sorted({k for _, _, values in rows for k in values if not k.startswith("_")})
        compared = [a for a in attrs if a in updatable]
        outcome: dict[Any, str] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        total = len(rows)
        for start in range(0, total, CHUNK):
            chunk = rows[start : start + CHUNK]
            keys = [key for _, key, _ in chunk]
            existing = {
                row.external_id: row
                for row in self.session.execute(
                    select(model.external_id, model.id, *(getattr(model, a) for a in compared))
                    .where(model.source == self.source)
                    .where(model.external_id.in_(keys))
                )
            }
            for index, (_, key, values) in enumerate(chunk, start + 1):
                self._tick(index, total)
                old = existing.get(key)
                if old is None:
                    inserts.append(
                        {"source": self.source, "external_id": key, **self._present(values)}
                    )
                    outcome[key] = "inserted"
                elif any(not _same(getattr(old, a), values[a]) for a in compared if a in values):
                    updates.append(
                        {"id": old.id, **{a: values[a] for a in compared if a in values}}
                    )
                    outcome[key] = "updated"
                else:
                    outcome[key] = "unchanged"
            self._bulk_insert(model, inserts)
        for start in range(0, len(updates), CHUNK):
            # ORM bulk UPDATE by primary key: one executemany per chunk.
            self.session.execute(update(model), updates[start : start + CHUNK])
        if report:
            for state in outcome.values():
                setattr(self.report, state, getattr(self.report, state) + 1)
        return outcome

    def _apply_simple(self, model: Any, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        self._upsert(model, rows)

    # -- plans: one per manager and period, whatever the source
    def _plan(self, row: int, r: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
        manager = self.ref(row, r, "manager", "manager", required=True)
        period = self.text(row, r, "period", required=True, max_len=10)
        if period is not None and not PERIOD.fullmatch(period):
            self.error(row, "period", r, "период записывается как 2026, 2026-Q3 или 2026-10")
        values = {
            "manager_id": manager,
            "period": period,
            "amount": self.number(row, r, "amount", required=True),
            "count": self.integer(row, r, "count"),
            "_key": self.key(row, r, "plans", "manager", "period"),
        }
        return (manager, period), values

    def _apply_plans(self, rows: list[tuple[int, Any, dict[str, Any]]]) -> None:
        existing = {(p.manager_id, p.period): p for p in self.session.scalars(select(PlanTarget))}
        updatable = self._updatable()
        for _, key, values in rows:
            present = self._present(values)
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


def _list_text(raw: str) -> str:
    parts = [p.strip() for p in re.split(r"[;,\n]", raw) if p.strip()]
    return "*" if not parts or "*" in parts else ";".join(parts)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is new
        return round(float(old), 2) == round(float(new), 2)
    return bool(old == new)

"""The first step of the import wizard: which column of the file feeds which field.

The same matching as the import itself (user choice, remembered choice for this source and
header, canonical name, known alias, the source profile's titles), shown before anything is
checked or written, so the head of sales sees and corrects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from clientbase.db.import_tables import ColumnMapping
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.mapping import ENTITIES, FIELDS, REQUIRED, plan_columns
from clientbase.io.profiles import amocrm_json_table, get_profile

SAMPLE_ROWS = 3


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """One column of the file: its title, the field it feeds (None: ignored), samples."""

    index: int
    header: str
    field: str | None
    samples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Preview:
    """The file as the wizard shows it before the check."""

    file: str
    entity: str
    source: str
    rows: int
    columns: list[ColumnChoice]
    fields: list[str]
    required: list[str]
    missing: list[str]
    warnings: list[str]


def read_table(path: Path, source: str) -> readers.Table:
    """The file as a table of cells (amoCRM JSON turned into rows)."""
    if path.suffix.lower() == ".json":
        if source != "amocrm":
            raise BadInputError(
                f"{path.name}: JSON понимается только как выгрузка amoCRM (--source amocrm)."
            )
        return amocrm_json_table(readers.read_json(path), file=path.name)
    return readers.read_table(path)


def preview(
    *,
    engine: Engine,
    entity: str,
    path: Path,
    source: str = "generic",
    user_mapping: dict[str, str | None] | None = None,
) -> Preview:
    """Columns of the file matched to fields, with a few sample values each."""
    if entity not in ENTITIES:
        raise BadInputError(f"Неизвестная сущность «{entity}».")
    profile = get_profile(source)
    table = read_table(path, source)
    with UnitOfWork(engine) as uow:
        remembered = {
            m.header: m.field
            for m in uow.session.scalars(
                select(ColumnMapping).where(
                    ColumnMapping.source == source, ColumnMapping.entity == entity
                )
            )
        }
    plan = plan_columns(
        table.headers,
        entity,
        user_mapping=user_mapping,
        remembered=remembered,
        profile_aliases=profile.aliases_for(entity),
    )
    columns = []
    for index, header in enumerate(table.headers):
        if not header:
            continue
        samples = tuple(
            str(row.values[index])
            for row in table.rows[:SAMPLE_ROWS]
            if index < len(row.values) and row.values[index] not in (None, "")
        )
        columns.append(ColumnChoice(index, header, plan.columns.get(index), samples))
    required = list(REQUIRED[entity])
    present = plan.fields
    missing = [name for name in required if name not in present]
    if entity == "managers" and "name" in missing and {"first_name", "last_name"} & present:
        missing.remove("name")
    return Preview(
        file=table.file,
        entity=entity,
        source=source,
        rows=len(table.rows),
        columns=columns,
        fields=list(FIELDS[entity]),
        required=required,
        missing=missing,
        warnings=list(plan.warnings),
    )

"""Source profiles: how Bitrix24 and amoCRM/Kommo exports name fields and mark won/lost."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clientbase.errors import BadInputError
from clientbase.io.mapping import normalize_header, outcome_from_stage
from clientbase.io.readers import Row, Table
from clientbase.io.values import is_blank, text_of

SOURCES = ("generic", "bitrix24", "amocrm")

Record = dict[str, Any]
Prepare = Callable[[str, Record, Mapping[str, str] | None], None]


def _no_prepare(entity: str, record: Record, stage_outcomes: Mapping[str, str] | None) -> None:
    if entity == "deals" and is_blank(record.get("outcome")) and not is_blank(record.get("stage")):
        record["outcome"] = outcome_from_stage(text_of(record["stage"]), stage_outcomes)


GENERIC_READS: dict[str, tuple[str, ...]] = {"deals": ("outcome", "stage")}


@dataclass(frozen=True)
class Profile:
    """Extra column titles per entity and a hook that turns source codes into neutral values."""

    name: str
    aliases: dict[str, dict[str, str | None]] = field(default_factory=dict)
    prepare: Prepare = _no_prepare
    # Per entity, every field `prepare` reads or writes: the importer runs the hook once
    # per distinct combination of these cells instead of once per row.
    reads: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(GENERIC_READS))

    def aliases_for(self, entity: str) -> dict[str, str | None]:
        """Column title → field, `_`-prefixed helper or None (a system column, ignored)."""
        return self.aliases.get(entity, {})


# --- Bitrix24 -------------------------------------------------------------------------
# REST names (crm.deal.fields, crm.company.fields, crm.activity.fields, user.fields) and
# the camelCase spelling of crm.item.* both occur; normalisation makes them the same key
# only when they differ by case/underscores (ASSIGNED_BY_ID ≈ assignedById).

BITRIX_ALIASES: dict[str, dict[str, str | None]] = {
    "managers": {
        "ID": "manager_id",
        "EMAIL": "email",
        "NAME": "first_name",
        "LAST_NAME": "last_name",
        "ACTIVE": "active",
        "WORK_POSITION": "team",
        "Имя": "first_name",
        "Фамилия": "last_name",
    },
    "clients": {
        "ID": "client_id",
        "TITLE": "name",
        "COMPANY_TYPE": "status",
        "INDUSTRY": "industry",
        "REVENUE": "revenue_12m",
        "ASSIGNED_BY_ID": "owner_id",
        "ADDRESS_REGION": "region",
        "ADDRESS_CITY": "city",
        "ADDRESS_PROVINCE": "region",
        "Название компании": "name",
        "Тип компании": "status",
        "Сфера деятельности": "industry",
        "Годовой оборот": "revenue_12m",
        "Ответственный": "owner_id",
        "DATE_CREATE": None,
        "DATE_MODIFY": None,
        "COMMENTS": None,
        "Дата создания": None,
        "Дата изменения": None,
        "Комментарий": None,
    },
    "deals": {
        "ID": "deal_id",
        "TITLE": "_title",
        "Название сделки": "_title",
        "COMPANY_ID": "client",
        "Компания": "client",
        "ASSIGNED_BY_ID": "manager",
        "Ответственный": "manager",
        "OPPORTUNITY": "amount",
        "CURRENCY_ID": "currency",
        "STAGE_ID": "stage",
        "STAGE_SEMANTIC_ID": "_semantic",
        "Группа стадий": "_semantic",
        "CLOSEDATE": "closed",
        "DATE_CREATE": "created",
        "BEGINDATE": "_begin",
        "CATEGORY_ID": "_pipeline",
        "Воронка": "_pipeline",
    },
    "activities": {
        "ID": "activity_id",
        "OWNER_ID": "client",
        "RESPONSIBLE_ID": "manager",
        "TYPE_ID": "type",
        "DIRECTION": "direction",
        "START_TIME": "started",
        "END_TIME": "ended",
        "DEADLINE": "due",
        "COMPLETED": "completed",
        "SUBJECT": "_title",
    },
}

BITRIX_SEMANTICS = {"p": "open", "s": "won", "f": "lost"}
# Localised semantic groups of the UI export.
BITRIX_SEMANTIC_TITLES = {"впроцессе": "open", "успешные": "won", "провальные": "lost"}
BITRIX_ACTIVITY_TYPES = {"1": "meeting", "2": "call", "3": "task", "4": "email"}
BITRIX_DIRECTIONS = {"1": "inbound", "2": "outbound"}
BITRIX_COMPANY_TYPES = {"customer": "active", "клиент": "active"}


def _bitrix_prepare(entity: str, record: Record, stage_outcomes: Mapping[str, str] | None) -> None:
    if entity == "deals":
        semantic = normalize_header(text_of(record.pop("_semantic", None)))
        stage = text_of(record.get("stage"))
        if is_blank(record.get("outcome")):
            if semantic in BITRIX_SEMANTICS or semantic in BITRIX_SEMANTIC_TITLES:
                record["outcome"] = (
                    BITRIX_SEMANTICS.get(semantic) or BITRIX_SEMANTIC_TITLES[semantic]
                )
            elif stage:
                # STAGE_ID codes: WON / LOSE, or C5:WON / C5:LOSE in other pipelines.
                code = stage.rsplit(":", 1)[-1].upper()
                if code == "WON":
                    record["outcome"] = "won"
                elif code in {"LOSE", "LOST", "APOLOGY"}:
                    record["outcome"] = "lost"
                else:
                    record["outcome"] = outcome_from_stage(stage, stage_outcomes)
        if is_blank(record.get("created")) and not is_blank(record.get("_begin")):
            record["created"] = record["_begin"]
    elif entity == "activities":
        kind = text_of(record.get("type"))
        record["type"] = BITRIX_ACTIVITY_TYPES.get(kind, record.get("type"))
        direction = text_of(record.get("direction"))
        if direction == "0":
            record["direction"] = None
        else:
            record["direction"] = BITRIX_DIRECTIONS.get(direction, record.get("direction"))
    elif entity == "clients" and not is_blank(record.get("status")):
        status = normalize_header(text_of(record["status"]))
        # COMPANY_TYPE is a relation (customer, partner, supplier…); only a customer
        # is an active client, everything else is a prospect until deals say otherwise.
        record["status"] = BITRIX_COMPANY_TYPES.get(status, "prospect")
    _no_prepare(entity, record, stage_outcomes)


# --- amoCRM / Kommo ------------------------------------------------------------------

AMO_ALIASES: dict[str, dict[str, str | None]] = {
    "managers": {"id": "manager_id", "name": "name", "email": "email"},
    "clients": {
        "id": "client_id",
        "name": "name",
        "responsible_user_id": "owner_id",
        "Название": "name",
    },
    "deals": {
        "id": "deal_id",
        "name": "_title",
        "Название сделки": "_title",
        "price": "amount",
        "Бюджет": "amount",
        "responsible_user_id": "manager",
        "status_id": "stage",
        "Этап сделки": "stage",
        "Статус": "stage",
        "pipeline_id": "_pipeline",
        "Воронка": "_pipeline",
        "created_at": "created",
        "closed_at": "closed",
        "company_id": "client",
        "Компания": "client",
    },
    "activities": {
        "id": "activity_id",
        "responsible_user_id": "manager",
        "entity_id": "client",
        "task_type_id": "type",
        "complete_till": "due",
        "is_completed": "completed",
        "created_at": "started",
    },
}

# System fields of API v4 objects that carry nothing for the neutral model.
AMO_SYSTEM = (
    "group_id", "loss_reason_id", "created_by", "updated_by", "updated_at", "closest_task_at",
    "is_deleted", "score", "account_id", "labor_cost", "is_price_modified_by_robot", "lang",
    "rights", "phone", "Теги", "tags",
)  # fmt: skip
for _aliases in AMO_ALIASES.values():
    for _name in AMO_SYSTEM:
        _aliases.setdefault(_name, None)
AMO_ALIASES["clients"].setdefault("created_at", None)

AMO_WON, AMO_LOST = "142", "143"
AMO_TASK_TYPES = {"1": "call", "2": "meeting", "3": "email"}


def _amo_prepare(entity: str, record: Record, stage_outcomes: Mapping[str, str] | None) -> None:
    if entity == "deals" and is_blank(record.get("outcome")):
        stage = text_of(record.get("stage"))
        # System statuses of every amoCRM pipeline: 142 closed-won, 143 closed-lost.
        if stage == AMO_WON:
            record["outcome"] = "won"
        elif stage == AMO_LOST:
            record["outcome"] = "lost"
        elif stage.isdigit() and not stage_outcomes:
            record["outcome"] = "open"
        if is_blank(record.get("currency")):
            record["currency"] = "RUB"
    elif entity == "activities":
        kind = text_of(record.get("type"))
        record["type"] = AMO_TASK_TYPES.get(kind, record.get("type") or "task")
    _no_prepare(entity, record, stage_outcomes)


PROFILES = {
    "generic": Profile("generic"),
    "bitrix24": Profile(
        "bitrix24",
        BITRIX_ALIASES,
        _bitrix_prepare,
        {
            "deals": ("_semantic", "stage", "outcome", "created", "_begin"),
            "activities": ("type", "direction"),
            "clients": ("status",),
        },
    ),
    "amocrm": Profile(
        "amocrm",
        AMO_ALIASES,
        _amo_prepare,
        {"deals": ("outcome", "stage", "currency"), "activities": ("type",)},
    ),
}


def get_profile(source: str) -> Profile:
    """The profile of a source name, or a clear error listing the known ones."""
    try:
        return PROFILES[source]
    except KeyError:
        raise BadInputError(
            f"Неизвестный источник «{source}»; допустимы: {', '.join(SOURCES)}."
        ) from None


AMO_COLLECTIONS = ("leads", "companies", "users", "tasks", "contacts")


def amocrm_json_table(data: Any, *, file: str) -> Table:
    """Flatten an amoCRM API v4 list response (or a list of pages) into a table."""
    items = _amo_items(data, file)
    headers: list[str] = []
    flat_rows: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadInputError(f"{file}: ожидается список объектов amoCRM.")
        flat = _amo_flatten(item)
        for key in flat:
            if key not in headers:
                headers.append(key)
        flat_rows.append(flat)
    rows = [
        Row(number=i + 1, values=tuple(flat.get(h) for h in headers))
        for i, flat in enumerate(flat_rows)
    ]
    # JSON has no header line: record N is reported as row N.
    return Table(file=file, headers=headers, rows=rows, header_row=0)


def _amo_items(data: Any, file: str) -> list[Any]:
    if isinstance(data, list):
        if all(isinstance(p, dict) and "_embedded" in p for p in data):
            return [item for page in data for item in _amo_items(page, file)]
        return data
    if isinstance(data, dict):
        embedded = data.get("_embedded")
        if isinstance(embedded, dict):
            for name in AMO_COLLECTIONS:
                if isinstance(embedded.get(name), list):
                    return list(embedded[name])
    raise BadInputError(
        f"{file}: не похоже на выгрузку amoCRM API v4 (нет _embedded.leads/companies/users)."
    )


def _amo_flatten(item: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if key in {"_links", "custom_fields_values", "_embedded"} or isinstance(value, dict | list):
            continue
        flat[key] = value
    embedded = item.get("_embedded") or {}
    companies = embedded.get("companies") if isinstance(embedded, dict) else None
    if companies and isinstance(companies[0], dict):
        flat["company_id"] = companies[0].get("id")
    for custom in item.get("custom_fields_values") or []:
        if not isinstance(custom, dict):
            continue
        values = [v.get("value") for v in custom.get("values") or [] if isinstance(v, dict)]
        value = values[0] if len(values) == 1 else ";".join(text_of(v) for v in values)
        code = custom.get("field_code")
        # PHONE/EMAIL carry a field_code; other custom fields are known by their title.
        flat[str(code).lower() if code else str(custom.get("field_name"))] = value
    for key in ("created_at", "closed_at", "updated_at", "complete_till"):
        if isinstance(flat.get(key), int) and flat[key] == 0:
            flat[key] = None
    return flat

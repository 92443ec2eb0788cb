"""Editing a client card with optimistic concurrency: no silent overwrite, ever.

Whoever edits a card says which version he saw (`expected_version`, from the card he
opened). The change is written only if the card is still at that version, with one
history row per changed field; otherwise the second editor gets a conflict naming who
changed the card and what, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update

from clientbase.core.types import ClientStatus, Tier
from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ConflictError, NotFoundError

# Fields a head of sales edits on the card, with how a text value becomes a stored one.
TEXT_FIELDS = ("name", "region", "city", "industry", "product_line", "channel", "ownership")
FIELD_NAMES_RU = {
    "name": "название",
    "region": "регион",
    "city": "город",
    "industry": "отрасль",
    "product_line": "направление",
    "channel": "канал",
    "ownership": "форма собственности",
    "tier": "значимость",
    "status": "статус",
    "potential": "потенциал",
    "locked": "закрепление",
}
EDITABLE = frozenset(FIELD_NAMES_RU)
_TRUE = {"1", "true", "yes", "да", "y", "д"}
_FALSE = {"0", "false", "no", "нет", "n", "н"}


@dataclass(frozen=True, slots=True)
class EditResult:
    """What an edit changed and the card's new version."""

    client_id: int
    version: int
    changed: dict[str, tuple[Any, Any]]


def parse_value(field: str, raw: str) -> Any:
    """A user's text for a card field, checked and converted."""
    value = raw.strip()
    if field in TEXT_FIELDS:
        if field == "name" and not value:
            raise BadInputError("Название клиента не может быть пустым.")
        if len(value) > 300:
            raise BadInputError(f"Поле «{FIELD_NAMES_RU[field]}»: не длиннее 300 символов.")
        return value or None
    if field == "tier":
        try:
            return Tier(value.upper() if value.lower() != "vip" else "VIP").value
        except ValueError:
            raise BadInputError(
                f"Значимость «{raw}» неизвестна; допустимо: VIP, A, B, C."
            ) from None
    if field == "status":
        try:
            return ClientStatus(value.lower()).value
        except ValueError:
            allowed = ", ".join(s.value for s in ClientStatus)
            raise BadInputError(f"Статус «{raw}» неизвестен; допустимо: {allowed}.") from None
    if field == "potential":
        try:
            number = float(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except ValueError:
            raise BadInputError(f"Потенциал «{raw}» — не число.") from None
        if not 0 <= number < 1e14:
            raise BadInputError(f"Потенциал {raw}: должен быть от 0 до 10^14.")
        return round(number, 2)
    if field == "locked":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise BadInputError(f"Закрепление «{raw}»: укажите да или нет.")
    raise BadInputError(
        f"Поле «{field}» нельзя менять в карточке; можно: {', '.join(sorted(EDITABLE))}."
    )


def edit_client(
    engine: Engine,
    client_id: int,
    changes: dict[str, str],
    *,
    expected_version: int,
    actor: str = "system",
    reason: str = "manual",
) -> EditResult:
    """Apply `changes` (field → text) if the card is still at `expected_version`."""
    if not changes:
        raise BadInputError("Нечего менять: укажите хотя бы одно поле=значение.")
    values = {field: parse_value(field, raw) for field, raw in changes.items()}
    with UnitOfWork(engine, write=True) as uow:
        session = uow.session
        client = session.get(t.Client, client_id)
        if client is None:
            raise NotFoundError(f"Клиент {client_id} не найден.")
        if client.version != expected_version:
            raise ConflictError(_conflict_message(session, client, expected_version))
        changed = {f: (getattr(client, f), v) for f, v in values.items() if getattr(client, f) != v}
        if not changed:
            return EditResult(client_id, client.version, {})
        done = session.execute(
            update(t.Client)
            .where(t.Client.id == client_id, t.Client.version == expected_version)
            .values(**{f: new for f, (_, new) in changed.items()}, version=expected_version + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"Карточку клиента {client_id} только что изменил другой.")
        for f, (old, new) in changed.items():
            session.add(
                t.ChangeHistory(
                    entity="client",
                    entity_id=client_id,
                    field=f,
                    old_value=None if old is None else str(old),
                    new_value=None if new is None else str(new),
                    reason=reason,
                    actor=actor,
                )
            )
        uow.commit()
        return EditResult(client_id, expected_version + 1, changed)


def _conflict_message(session: Any, client: t.Client, seen: int) -> str:
    last = session.execute(
        select(t.ChangeHistory.actor, t.ChangeHistory.field, t.ChangeHistory.at)
        .where(t.ChangeHistory.entity == "client", t.ChangeHistory.entity_id == client.id)
        .order_by(t.ChangeHistory.id.desc())
        .limit(1)
    ).first()
    who = (
        f" Последнее изменение: {last.actor}, поле «{FIELD_NAMES_RU.get(last.field, last.field)}»"
        f", {last.at:%d.%m.%Y %H:%M} UTC."
        if last
        else ""
    )
    return (
        f"Карточку клиента «{client.name}» изменили после того, как вы её открыли "
        f"(версия {seen} → {client.version}).{who} Откройте карточку заново и повторите."
    )


def current_version(engine: Engine, client_id: int) -> int:
    """The version of a client's card now (what an editor 'saw' when he opened it)."""
    with UnitOfWork(engine) as uow:
        version = uow.session.scalar(select(t.Client.version).where(t.Client.id == client_id))
    if version is None:
        raise NotFoundError(f"Клиент {client_id} не найден.")
    return int(version)

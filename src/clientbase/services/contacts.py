"""Client contacts: the people at a client, with their part in purchasing.

Contacts belong to the client, not to a manager, so they follow the client through every
transfer (plan, rotation, manager leaving) without being touched. Import is all or nothing
with every bad row reported; a contact is matched on re-import by its `contact_id` from the
file, else by client and name, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError
from clientbase.io import readers, values, writers

PURCHASE_ROLES = {
    "decision_maker": "ЛПР (принимает решение)",
    "influencer": "влияет на решение",
    "buyer": "закупщик",
    "user": "пользователь",
    "gatekeeper": "секретарь / фильтр",
    "other": "другое",
}
ROLE_ALIASES = {
    "лпр": "decision_maker",
    "лицо, принимающее решение": "decision_maker",
    "руководитель": "decision_maker",
    "влияющий": "influencer",
    "влияет": "influencer",
    "лвр": "influencer",
    "закупщик": "buyer",
    "снабжение": "buyer",
    "пользователь": "user",
    "секретарь": "gatekeeper",
    "другое": "other",
    "": "other",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_id": ("contact_id", "id контакта", "ид контакта"),
    "client": ("client", "client_id", "клиент", "компания", "организация"),
    "name": ("name", "фио", "контакт", "контактное лицо", "имя"),
    "position": ("position", "должность"),
    "phone": ("phone", "телефон", "рабочий телефон", "мобильный телефон"),
    "email": ("email", "e-mail", "почта", "рабочий e-mail"),
    "purchase_role": ("purchase_role", "роль", "роль в закупке"),
    "primary": ("primary", "основной"),
    "comment": ("comment", "комментарий"),
}


@dataclass(frozen=True, slots=True)
class ContactLine:
    """A contact as shown on the client card and exported."""

    id: int
    client_id: int
    client: str
    name: str
    position: str | None
    phone: str | None
    email: str | None
    purchase_role: str
    primary: bool
    comment: str | None


def normalize_phone(raw: str) -> str | None:
    """Digits with a leading + for Russian numbers (8XXXXXXXXXX → +7XXXXXXXXXX)."""
    text = raw.strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text.split("доб")[0].split("ext")[0])
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    if 5 <= len(digits) <= 15:
        return ("+" if text.startswith("+") else "") + digits
    raise ValueError(f"телефон «{raw}» не похож на номер")


def parse_role(raw: str) -> str:
    """A purchase role from its code or a Russian word."""
    key = raw.strip().lower()
    if key in PURCHASE_ROLES:
        return key
    if key in ROLE_ALIASES:
        return ROLE_ALIASES[key]
    allowed = ", ".join(PURCHASE_ROLES)
    raise ValueError(f"роль «{raw}» неизвестна; допустимо: {allowed} или ЛПР, закупщик…")


def _check(name: str, email: str | None) -> None:
    if not name.strip():
        raise ValueError("у контакта должно быть имя")
    if email and not EMAIL.match(email):
        raise ValueError(f"e-mail «{email}» неверный")


def _line(c: t.Contact, client_name: str) -> ContactLine:
    return ContactLine(
        c.id,
        c.client_id,
        client_name,
        c.name,
        c.position,
        c.phone,
        c.email,
        c.purchase_role,
        c.is_primary,
        c.comment,
    )


def list_contacts(engine: Engine, client_id: int | None = None) -> list[ContactLine]:
    """Contacts of one client (primary first) or of everybody."""
    with UnitOfWork(engine) as uow:
        stmt = (
            select(t.Contact, t.Client.name)
            .join(t.Client, t.Client.id == t.Contact.client_id)
            .order_by(t.Client.name, t.Contact.is_primary.desc(), t.Contact.name, t.Contact.id)
        )
        if client_id is not None:
            if uow.session.get(t.Client, client_id) is None:
                raise NotFoundError(f"Клиент {client_id} не найден.")
            stmt = stmt.where(t.Contact.client_id == client_id)
        return [_line(c, n) for c, n in uow.session.execute(stmt)]


def add_contact(
    engine: Engine,
    client_id: int,
    *,
    name: str,
    position: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    purchase_role: str = "other",
    primary: bool = False,
    comment: str | None = None,
) -> ContactLine:
    """Add a contact to a client; a new primary contact takes the mark from the old one."""
    try:
        role = parse_role(purchase_role)
        phone_value = normalize_phone(phone or "")
        _check(name, email)
    except ValueError as exc:
        raise BadInputError(f"Контакт: {exc}.") from exc
    with UnitOfWork(engine, write=True) as uow:
        client = uow.session.get(t.Client, client_id)
        if client is None:
            raise NotFoundError(f"Клиент {client_id} не найден.")
        if primary:
            _clear_primary(uow.session, client_id)
        contact = t.Contact(
            client_id=client_id,
            name=name.strip(),
            position=position,
            phone=phone_value,
            email=email.lower() if email else None,
            purchase_role=role,
            is_primary=primary,
            comment=comment,
        )
        uow.session.add(contact)
        uow.session.flush()
        line = _line(contact, client.name)
        uow.commit()
    return line


def _clear_primary(session: Session, client_id: int, *, keep: int | None = None) -> None:
    for other in session.scalars(
        select(t.Contact).where(t.Contact.client_id == client_id, t.Contact.is_primary)
    ):
        if other.id != keep:
            other.is_primary = False


def _columns(headers: list[str], file: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.strip().lower()
        for canonical, aliases in COLUMNS.items():
            if key in aliases and canonical not in found:
                found[canonical] = index
    missing = [c for c in ("client", "name") if c not in found]
    if missing:
        raise BadInputError(f"{file}: нет столбцов {', '.join(missing)} (клиент и ФИО).")
    return found


def _client_keys(session: Session) -> dict[str, int]:
    keys: dict[str, int] = {}
    rows = session.execute(
        select(t.Client.id, t.Client.name, t.Client.tax_id, t.Client.external_id)
    )
    for cid, name, tax_id, external_id in rows:
        for key in (str(cid), name.lower(), tax_id or "", (external_id or "").lower()):
            if key:
                keys.setdefault(key, cid)
    return keys


def import_contacts(
    engine: Engine, path: Path, *, source: str = "generic", dry_run: bool = False
) -> tuple[int, int, int]:
    """Load contacts from CSV/XLSX, all or nothing: (rows, inserted, updated)."""
    table = readers.read_table(path)
    cols = _columns(table.headers, table.file)
    errors: list[str] = []
    with UnitOfWork(engine, write=not dry_run) as uow:
        session = uow.session
        clients = _client_keys(session)
        parsed: list[tuple[int, dict[str, object], str | None]] = []
        for row in table.rows:

            def text(name: str, row: readers.Row = row) -> str:
                index = cols.get(name)
                if index is None or index >= len(row.values):
                    return ""
                value = row.values[index]
                if values.is_blank(value):
                    return ""
                return writers.unescape_formula(values.text_of(value).strip())

            client_key = text("client").lower().removesuffix(".0")
            client_id = clients.get(client_key)
            if client_id is None:
                errors.append(f"строка {row.number}, client = «{text('client')}»: нет клиента")
                continue
            try:
                email = text("email").lower() or None
                _check(text("name"), email)
                fields: dict[str, object] = {
                    "name": text("name"),
                    "position": text("position") or None,
                    "phone": normalize_phone(text("phone")),
                    "email": email,
                    "purchase_role": parse_role(text("purchase_role")),
                    "is_primary": values.parse_bool(text("primary")) if text("primary") else False,
                    "comment": text("comment") or None,
                }
            except (ValueError, BadInputError) as exc:
                errors.append(f"строка {row.number}: {exc}")
                continue
            parsed.append((client_id, fields, text("contact_id") or None))
        if errors:
            shown = "\n  ".join(errors[:50])
            raise BadInputError(
                f"{table.file}: {len(errors)} ошибок, ничего не записано:\n  {shown}"
            )
        by_external = {
            c.external_id: c
            for c in session.scalars(select(t.Contact).where(t.Contact.source == source))
            if c.external_id
        }
        by_name = {
            (c.client_id, c.name.lower()): c
            for c in session.scalars(select(t.Contact).order_by(t.Contact.id))
        }
        inserted = updated = 0
        for client_id, fields, external in parsed:
            existing = by_external.get(external) if external else None
            if existing is None and external and external.isdigit():
                # Our own export carries the internal id: a renamed contact stays one contact.
                own = session.get(t.Contact, int(external))
                existing = own if own is not None and own.client_id == client_id else None
            existing = existing or by_name.get((client_id, str(fields["name"]).lower()))
            if fields["is_primary"]:
                _clear_primary(session, client_id, keep=existing.id if existing else None)
            if existing is None:
                contact = t.Contact(client_id=client_id, source=source, external_id=external)
                for key, value in fields.items():
                    setattr(contact, key, value)
                session.add(contact)
                session.flush()
                by_name[(client_id, str(fields["name"]).lower())] = contact
                inserted += 1
            elif any(getattr(existing, k) != v for k, v in fields.items()) or (
                existing.client_id != client_id
            ):
                existing.client_id = client_id
                for key, value in fields.items():
                    setattr(existing, key, value)
                updated += 1
        if not dry_run:
            uow.commit()
    return len(parsed), inserted, updated


EXPORT_HEADERS = (
    "contact_id",
    "client",
    "client_name",
    "name",
    "position",
    "phone",
    "email",
    "purchase_role",
    "primary",
    "comment",
)


def export_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every contact as a row of EXPORT_HEADERS (re-imports unchanged)."""
    return [
        (
            c.id,
            c.client_id,
            c.client,
            c.name,
            c.position,
            c.phone,
            c.email,
            c.purchase_role,
            c.primary,
            c.comment,
        )
        for c in list_contacts(engine)
    ]


def count(engine: Engine) -> int:
    """How many contacts there are."""
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(t.Contact)) or 0)

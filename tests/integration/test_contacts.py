"""Client contacts: validated, imported all or nothing, following the client on transfers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError
from clientbase.io import writers
from clientbase.services import contacts as svc


@pytest.fixture
def clients(engine: Engine) -> list[int]:
    with UnitOfWork(engine, write=True) as uow:
        rows = [
            t.Client(name="ООО Ромашка", tax_id="7707083893", tier="A", status="active"),
            t.Client(name="АО Лютик", tier="B", status="active", external_id="B-7"),
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        ids = [c.id for c in rows]
        uow.commit()
    return ids


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("8 (495) 123-45-67", "+74951234567"),
        ("+7 916 123 45 67", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("+49 30 1234567", "+49301234567"),
        ("", None),
    ],
)
def test_phones_are_normalized(raw: str, phone: str | None) -> None:
    assert svc.normalize_phone(raw) == phone


def test_a_new_primary_contact_takes_the_mark_from_the_old_one(
    engine: Engine, clients: list[int]
) -> None:
    svc.add_contact(engine, clients[0], name="Иванов И.", purchase_role="ЛПР", primary=True)
    svc.add_contact(engine, clients[0], name="Петрова А.", purchase_role="закупщик", primary=True)
    lines = svc.list_contacts(engine, clients[0])
    assert [(c.name, c.primary, c.purchase_role) for c in lines] == [
        ("Петрова А.", True, "buyer"),
        ("Иванов И.", False, "decision_maker"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "имя"),
        ({"name": "Иванов", "email": "not-an-email"}, "e-mail"),
        ({"name": "Иванов", "phone": "12"}, "телефон"),
        ({"name": "Иванов", "purchase_role": "директор по всему"}, "роль"),
    ],
)
def test_a_bad_contact_is_refused_with_a_clear_message(
    engine: Engine, clients: list[int], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        svc.add_contact(engine, clients[0], **kwargs)  # type: ignore[arg-type]
    assert svc.count(engine) == 0


def test_a_contact_of_an_unknown_client_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        svc.add_contact(engine, 999, name="Иванов")


def test_an_import_with_bad_rows_writes_nothing_and_names_every_row(
    engine: Engine, clients: list[int], tmp_path: Path
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(
        "Компания;ФИО;Должность;Телефон;E-mail;Роль в закупке\n"
        "7707083893;Иванов Иван;Директор;8 495 123 45 67;ivanov@romashka.ru;ЛПР\n"
        "ООО Неизвестное;Петров;;;;\n"
        "B-7;Сидорова;Закупщик;12;;закупщик\n"
        "АО Лютик;Орлов;;;orlov@;\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInputError) as info:
        svc.import_contacts(engine, file)
    text = str(info.value)
    assert "3 ошибок" in text
    for row in (3, 4, 5):
        assert f"строка {row}" in text
    assert svc.count(engine) == 0


def test_export_then_import_changes_nothing_and_a_renamed_contact_stays_one(
    engine: Engine, clients: list[int], tmp_path: Path
) -> None:
    svc.add_contact(engine, clients[0], name="Иванов И.", email="I@R.RU", primary=True)
    svc.add_contact(engine, clients[1], name="=cmd|' /C calc'!A0", phone="+7 916 000 11 22")
    file = tmp_path / "contacts.csv"
    writers.write_csv(file, svc.EXPORT_HEADERS, svc.export_rows(engine))
    assert svc.import_contacts(engine, file) == (2, 0, 0)
    assert svc.list_contacts(engine, clients[1])[0].name == "=cmd|' /C calc'!A0"
    text = file.read_text(encoding="utf-8-sig").replace("Иванов И.", "Иванов Иван")
    file.write_text(text, encoding="utf-8")
    assert svc.import_contacts(engine, file) == (2, 0, 1)
    assert [c.name for c in svc.list_contacts(engine, clients[0])] == ["Иванов Иван"]

"""A client card edited by two users: the second gets a conflict, never a silent overwrite."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ConflictError, NotFoundError
from clientbase.services.client_edit import current_version, edit_client


@pytest.fixture
def client_id(engine: Engine) -> int:
    with UnitOfWork(engine, write=True) as uow:
        client = t.Client(name="ООО Ромашка", tier="B", status="active", region="Москва")
        uow.session.add(client)
        uow.session.flush()
        cid = client.id
        uow.commit()
    return cid


def _history(engine: Engine, cid: int) -> int:
    with UnitOfWork(engine) as uow:
        return int(
            uow.session.scalar(
                select(func.count()).where(
                    t.ChangeHistory.entity == "client", t.ChangeHistory.entity_id == cid
                )
            )
            or 0
        )


def test_an_edit_writes_the_fields_a_new_version_and_one_history_row_per_field(
    engine: Engine, client_id: int
) -> None:
    result = edit_client(
        engine,
        client_id,
        {"tier": "a", "region": "Казань", "potential": "1 500,5"},
        expected_version=1,
        actor="head",
    )
    assert result.version == 2
    assert result.changed == {
        "tier": ("B", "A"),
        "region": ("Москва", "Казань"),
        "potential": (0.0, 1500.5),
    }
    assert _history(engine, client_id) == 3
    assert current_version(engine, client_id) == 2


def test_the_second_of_two_editors_who_saw_the_same_version_gets_a_conflict(
    engine: Engine, client_id: int
) -> None:
    seen = current_version(engine, client_id)
    edit_client(engine, client_id, {"tier": "A"}, expected_version=seen, actor="Анна")
    with pytest.raises(ConflictError, match="Анна") as info:
        edit_client(engine, client_id, {"tier": "C"}, expected_version=seen, actor="Борис")
    assert "Откройте карточку заново" in str(info.value)
    with UnitOfWork(engine) as uow:
        client = uow.session.get(t.Client, client_id)
        assert client is not None and client.tier == "A" and client.version == 2
    assert _history(engine, client_id) == 1


def test_an_edit_that_changes_nothing_keeps_the_version(engine: Engine, client_id: int) -> None:
    result = edit_client(engine, client_id, {"tier": "B"}, expected_version=1)
    assert result.changed == {} and result.version == 1
    assert _history(engine, client_id) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tier": "Z"}, "Значимость"),
        ({"status": "sleeping"}, "Статус"),
        ({"potential": "-5"}, "Потенциал"),
        ({"potential": "много"}, "не число"),
        ({"locked": "может быть"}, "да или нет"),
        ({"name": "  "}, "пустым"),
        ({"id": "7"}, "нельзя менять"),
    ],
)
def test_a_bad_value_is_refused_with_a_clear_message_and_nothing_changes(
    engine: Engine, client_id: int, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        edit_client(engine, client_id, changes, expected_version=1)
    assert current_version(engine, client_id) == 1


def test_an_unknown_client_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        edit_client(engine, 999, {"tier": "A"}, expected_version=1)

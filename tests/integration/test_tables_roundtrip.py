"""Every table round-trips through the database; the key constraints hold."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clientbase.db import tables as t


def _seed(session: Session) -> dict[str, object]:
    head = t.Manager(name="Орлова Анна", email="orlova@x.ru", role_group="head", grade=5)
    farmer = t.Manager(
        name="Петров Иван",
        email="petrov@x.ru",
        role_group="farmer",
        grade=3,
        regions="Москва;Центр",
        tiers="A;B;C",
        source="bitrix24",
        external_id="17",
        complexity=3,
        hours=120.0,
    )
    client = t.Client(
        name="ООО «Ромашка»",
        tax_id="7701234567",
        region="Москва",
        city="Москва",
        industry="Ритейл",
        product_line="Ноутбуки",
        channel="Дилеры",
        ownership="Коммерческая",
        tier="A",
        potential=1_500_000.0,
        revenue_12m=900_000.5,
        status="active",
        source="bitrix24",
        external_id="C-1",
    )
    session.add_all([head, farmer, client])
    session.flush()
    objects: dict[str, object] = {
        "jobs": t.Job(
            kind="plan",
            title="План распределения",
            status="done",
            progress=None,
            result={"plan_id": 1},
            created_by="rop",
            created_at=dt.datetime(2026, 11, 26, 9, 0),
            finished_at=dt.datetime(2026, 11, 26, 9, 1),
        ),
        "absences": t.Absence(
            manager_id=farmer.id,
            start_date=dt.date(2026, 7, 1),
            end_date=dt.date(2026, 7, 14),
            reason="Отпуск",
        ),
        "responsibilities": t.Responsibility(
            client_id=client.id,
            role="account",
            manager_id=farmer.id,
            since=dt.date(2025, 1, 10),
            reason="plan #1",
        ),
        "deals": t.Deal(
            client_id=client.id,
            manager_id=farmer.id,
            amount=120_000.0,
            created=dt.date(2026, 1, 5),
            closed=dt.date(2026, 1, 20),
            outcome="won",
            stage="Сделка успешна",
            source="bitrix24",
            external_id="D-1",
        ),
        "activities": t.Activity(
            client_id=client.id,
            manager_id=farmer.id,
            type="call",
            direction="outbound",
            started=dt.datetime(2026, 1, 5, 10, 30),
            ended=dt.datetime(2026, 1, 5, 10, 45),
        ),
        "plan_targets": t.PlanTarget(manager_id=farmer.id, period="2026-01", amount=500_000.0),
        "surveys": t.Survey(
            client_id=client.id,
            manager_id=farmer.id,
            date=dt.date(2026, 2, 1),
            scale="nps",
            score=9,
        ),
        "colleague_feedback": t.ColleagueFeedback(
            from_manager_id=head.id, to_manager_id=farmer.id, date=dt.date(2026, 2, 1), score=4
        ),
        "change_history": t.ChangeHistory(
            entity="client",
            entity_id=client.id,
            field="account",
            old_value=None,
            new_value=str(farmer.id),
            reason="plan #1",
        ),
        "import_batches": t.ImportBatch(
            source="bitrix24", entity="clients", filename="export.xlsx", inserted=1
        ),
        "app_meta": t.AppMeta(key="k", value="v"),
        "column_mappings": t.ColumnMapping(
            source="bitrix24", entity="deals", header="Ответственный", field="manager"
        ),
        "manager_aliases": t.ManagerAlias(source="amocrm", external_id="555", manager_id=farmer.id),
        "plans": t.PlanRecord(
            role="account",
            strategy="optimal",
            result="optimal",
            moves=1,
            unassigned=0,
            imbalance=0.05,
            fingerprint="0" * 64,
            settings={"seed": 0},
            inputs={"clients": [], "managers": []},
            plan={"assignment": {str(client.id): str(farmer.id)}},
        ),
        "role_rules": t.RoleRule(
            name="VIP — руководитель отдела",
            priority=10,
            role="account",
            condition={"tier": ["VIP"]},
            target={"group": "head"},
        ),
        "job_locks": t.JobLock(
            name="rotation", holder="worker-1", expires_at=dt.datetime(2026, 1, 1, 12, 0)
        ),
    }
    session.add_all(objects.values())
    session.flush()
    run = t.RotationRun(run_date=dt.date(2026, 1, 31), seed=1, params={"days": 60})
    user = t.User(login="head", name="Руководитель", password_hash="x", role="head")
    session.add_all([run, user])
    session.flush()
    later: dict[str, object] = {
        "rotation_runs": run,
        "users": user,
        "rotation_members": t.RotationMember(
            run_id=run.id,
            client_id=client.id,
            tier="B",
            arm="rotated",
            from_manager_id=farmer.id,
            to_manager_id=head.id,
            dormant_days=75,
        ),
        "user_sessions": t.UserSession(token_hash="a" * 64, user_id=user.id, csrf_token="c" * 32),
        "competencies": t.Competency(code="tenders", name="Работа с тендерами", position=70),
        "contacts": t.Contact(
            client_id=client.id,
            name="Сидоров Олег",
            position="Директор по закупкам",
            phone="+74951234567",
            email="sidorov@client.ru",
            purchase_role="decision_maker",
            is_primary=True,
        ),
    }
    session.add_all(
        [later[k] for k in ("rotation_members", "user_sessions", "competencies", "contacts")]
    )
    session.flush()
    later["competency_scores"] = t.CompetencyScore(
        manager_id=farmer.id,
        competency_id=later["competencies"].id,  # type: ignore[attr-defined]
        assessed_on=dt.date(2026, 6, 1),
        score=4,
        comment="уверенно",
    )
    session.add(later["competency_scores"])
    session.flush()
    objects.update(later)
    objects.update(managers=farmer, clients=client)
    return objects


def test_every_table_round_trips(engine: Engine) -> None:
    with Session(engine) as session:
        objects = _seed(session)
        session.commit()
        expected = {
            name: {c.key: getattr(obj, c.key) for c in obj.__table__.columns}  # type: ignore[attr-defined]
            for name, obj in objects.items()
        }
    assert set(expected) | {"managers", "clients"} >= set(t.Base.metadata.tables)
    with Session(engine) as session:
        for name, values in expected.items():
            model = next(m for m in t.Base.registry.mappers if m.local_table.name == name).class_
            pk = {"app_meta": "key", "job_locks": "name", "user_sessions": "token_hash"}.get(
                name, "id"
            )
            pk = values[pk]
            loaded = session.get(model, pk)
            assert loaded is not None, name
            for key, value in values.items():
                assert getattr(loaded, key) == value, (name, key)


def test_source_and_external_id_are_unique(engine: Engine) -> None:
    with Session(engine) as session:
        _seed(session)
        session.commit()
        session.add(t.Client(name="Дубль", source="bitrix24", external_id="C-1", potential=0))
        with pytest.raises(IntegrityError):
            session.commit()


def test_one_client_has_at_most_one_active_responsible_per_role(engine: Engine) -> None:
    with Session(engine) as session:
        objects = _seed(session)
        session.commit()
        client = objects["clients"]
        head = session.scalars(select(t.Manager).where(t.Manager.role_group == "head")).one()
        closed = t.Responsibility(
            client_id=client.id,  # type: ignore[attr-defined]
            role="account",
            manager_id=head.id,
            since=dt.date(2024, 1, 1),
            until=dt.date(2025, 1, 10),
        )
        session.add(closed)
        session.commit()  # a closed period next to the active one is history, allowed
        session.add(
            t.Responsibility(
                client_id=client.id,  # type: ignore[attr-defined]
                role="account",
                manager_id=head.id,
                since=dt.date(2026, 1, 1),
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(t.Deal(client_id=999, amount=1.0, created=dt.date(2026, 1, 1), outcome="open"))
        with pytest.raises(IntegrityError):
            session.commit()


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (t.Client, {"name": "x", "tier": "D", "potential": 0}),
        (t.Client, {"name": "x", "potential": -1}),
        (t.Manager, {"name": "x", "role_group": "wizard"}),
        (t.Manager, {"name": "x", "role_group": "farmer", "grade": 9}),
    ],
)
def test_check_constraints_refuse_impossible_values(
    engine: Engine, model: type[t.Base], values: dict[str, object]
) -> None:
    with Session(engine) as session:
        session.add(model(**values))
        with pytest.raises(IntegrityError):
            session.commit()

"""Regenerate the sample files in examples/ (run: python examples/make_examples.py).

The Bitrix24 and amoCRM files follow the vendors' published field lists
(crm.deal.fields / crm.company.fields / user.fields; amoCRM API v4 leads, companies, users).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).parent

MANAGERS = [
    # id, name, email, role_group, team, grade, capacity, regions
    (
        "M1",
        "Иван Петров",
        "i.petrov@example.ru",
        "farmer",
        "Москва",
        4,
        40,
        "Москва;Московская область",
    ),
    (
        "M2",
        "Ольга Смирнова",
        "o.smirnova@example.ru",
        "farmer",
        "Северо-Запад",
        3,
        35,
        "Санкт-Петербург",
    ),
    ("M3", "Пётр Кузнецов", "p.kuznetsov@example.ru", "hunter", "Москва", 2, 30, "*"),
    ("M4", "Анна Волкова", "a.volkova@example.ru", "head", "Москва", 5, 10, "*"),
]

COMPANIES = [
    # bitrix id, amo id, title, INN, city, industry, company type, responsible
    (
        "101",
        "5001",
        "ООО «Альфа Дистрибуция»",
        "7707083893",
        "Москва",
        "Розничная торговля",
        "Клиент",
        "Иван Петров",
        12_500_000,
    ),
    (
        "102",
        "5002",
        "АО «Северные Системы»",
        "7830002293",
        "Санкт-Петербург",
        "Производство",
        "Клиент",
        "Ольга Смирнова",
        48_000_000,
    ),
    (
        "103",
        "5003",
        "ИП Сидоров Алексей Викторович",
        "500100732259",
        "Химки",
        "Услуги",
        "Потенциальный клиент",
        "Пётр Кузнецов",
        0,
    ),
    (
        "104",
        "5004",
        "ООО «ТехноМаркет»",
        "7725060137",
        "Москва",
        "Розничная торговля",
        "Клиент",
        "Иван Петров",
        3_200_000,
    ),
    (
        "105",
        "5005",
        "ГБУ «Городская поликлиника № 3»",
        "7714069836",
        "Москва",
        "Здравоохранение",
        "Клиент",
        "Анна Волкова",
        7_800_000,
    ),
]


def write_generic() -> None:
    with (HERE / "generic" / "managers.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["manager_id", "name", "email", "role_group", "team", "grade", "capacity", "regions"]
        )
        out.writerows(MANAGERS)
    workbook = xlsxwriter.Workbook(
        str(HERE / "generic" / "clients.xlsx"), {"strings_to_formulas": False}
    )
    sheet = workbook.add_worksheet("Клиенты")
    bold = workbook.add_format({"bold": True})
    headers = [
        "Код клиента",
        "Наименование",
        "ИНН",
        "Регион",
        "Город",
        "Отрасль",
        "Канал продаж",
        "Форма собственности",
        "Значимость",
        "Потенциал",
        "Выручка за 12 месяцев",
        "Ответственный",
    ]
    sheet.write_row(0, 0, headers, bold)
    rows = [
        (
            "C-001",
            "ООО «Альфа Дистрибуция»",
            "7707083893",
            "Москва",
            "Москва",
            "Розничная торговля",
            "Прямые продажи",
            "commercial",
            "A",
            15_000_000,
            12_500_000,
            "i.petrov@example.ru",
        ),
        (
            "C-002",
            "АО «Северные Системы»",
            "7830002293",
            "Санкт-Петербург",
            "Санкт-Петербург",
            "Производство",
            "Прямые продажи",
            "commercial",
            "VIP",
            60_000_000,
            48_000_000,
            "Ольга Смирнова",
        ),
        (
            "C-003",
            "ИП Сидоров Алексей Викторович",
            "500100732259",
            "Московская область",
            "Химки",
            "Услуги",
            "Дилеры",
            "individual",
            "",
            800_000,
            0,
            "M3",
        ),
        (
            "C-004",
            "ГБУ «Городская поликлиника № 3»",
            "7714069836",
            "Москва",
            "Москва",
            "Здравоохранение",
            "Тендеры",
            "government",
            "B",
            9_000_000,
            7_800_000,
            "a.volkova@example.ru",
        ),
    ]
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    workbook.close()
    with (HERE / "generic" / "deals.csv").open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(
            [
                "ID сделки",
                "Клиент",
                "Менеджер",
                "Сумма",
                "Валюта",
                "Стадия",
                "Дата создания",
                "Дата закрытия",
                "Товар",
            ]
        )
        out.writerow(
            [
                "D-1",
                "C-001",
                "i.petrov@example.ru",
                "1 250 000,00",
                "RUB",
                "Сделка заключена",
                "15.01.2026",
                "20.02.2026",
                "Ноутбуки",
            ]
        )
        out.writerow(
            [
                "D-2",
                "C-002",
                "o.smirnova@example.ru",
                "4 800 000,00",
                "RUB",
                "Отказ",
                "01.03.2026",
                "30.04.2026",
                "Серверы",
            ]
        )
        out.writerow(
            [
                "D-3",
                "АО «Северные Системы»",
                "Ольга Смирнова",
                "950 000,50",
                "RUB",
                "Переговоры",
                "2026-10-01",
                "",
                "Сетевое оборудование",
            ]
        )
        out.writerow(
            [
                "D-4",
                "C-004",
                "a.volkova@example.ru",
                "2 100 000",
                "руб",
                "Успешно",
                "03/25/2026",
                "04/28/2026",
                "Моноблоки",
            ]
        )


def write_bitrix() -> None:
    # UI export of the user list and REST-style user fields (user.fields).
    with (HERE / "bitrix24" / "users.csv").open("w", encoding="cp1251", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["ID", "NAME", "LAST_NAME", "EMAIL", "ACTIVE", "WORK_POSITION"])
        for i, (_, name, email, *_rest) in enumerate(MANAGERS, start=1):
            first, last = name.split()
            out.writerow(
                [str(10 + i), first, last, email.upper() if i == 2 else email, "Y", "Менеджер"]
            )
    # CRM UI export of companies: localized field titles, cp1251, `;`.
    with (HERE / "bitrix24" / "companies.csv").open("w", encoding="cp1251", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(
            [
                "ID",
                "Название компании",
                "Тип компании",
                "Сфера деятельности",
                "ИНН",
                "Город",
                "Годовой оборот",
                "Ответственный",
                "Дата создания",
                "Комментарий",
            ]
        )
        for bid, _, title, inn, city, industry, kind, owner, revenue in COMPANIES:
            out.writerow(
                [
                    bid,
                    title,
                    kind,
                    industry,
                    inn,
                    city,
                    f"{revenue:,}".replace(",", " "),
                    owner,
                    "01.02.2025 10:15:00",
                    "",
                ]
            )
    # CRM UI export of deals: localized titles, cp1251, `;`, stages in Russian.
    with (HERE / "bitrix24" / "deals.csv").open("w", encoding="cp1251", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(
            [
                "ID",
                "Название сделки",
                "Стадия сделки",
                "Сумма",
                "Валюта",
                "Компания",
                "Ответственный",
                "Дата создания",
                "Дата закрытия",
                "Воронка",
            ]
        )
        stages = [
            "Сделка успешна",
            "Сделка провалена",
            "Подготовка документов",
            "Сделка успешна",
            "Новая",
        ]
        for i, (_, _, title, _, _, _, _, owner, _) in enumerate(COMPANIES):
            out.writerow(
                [
                    str(2001 + i),
                    f"Поставка для {title}",
                    stages[i],
                    f"{(i + 1) * 350_000},00",
                    "RUB",
                    title,
                    owner,
                    f"{10 + i:02d}.03.2026 09:30:00",
                    f"{10 + i:02d}.04.2026" if i != 2 else "",
                    "Общая",
                ]
            )
    # REST crm.deal.list rows (UTF-8, `,`): STAGE_SEMANTIC_ID decides won/lost.
    with (HERE / "bitrix24" / "deals_rest.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "ID",
                "TITLE",
                "CATEGORY_ID",
                "STAGE_ID",
                "STAGE_SEMANTIC_ID",
                "OPPORTUNITY",
                "CURRENCY_ID",
                "COMPANY_ID",
                "ASSIGNED_BY_ID",
                "DATE_CREATE",
                "CLOSEDATE",
            ]
        )
        out.writerow(
            [
                "3001",
                "Серверы Q2",
                "5",
                "C5:WON",
                "S",
                "2400000.00",
                "RUB",
                "102",
                "12",
                "2026-04-01T10:00:00+03:00",
                "2026-05-15T00:00:00+03:00",
            ]
        )
        out.writerow(
            [
                "3002",
                "Ноутбуки",
                "0",
                "LOSE",
                "F",
                "880000.00",
                "RUB",
                "101",
                "11",
                "2026-04-03T11:20:00+03:00",
                "2026-04-30T00:00:00+03:00",
            ]
        )
        out.writerow(
            [
                "3003",
                "Мониторы",
                "5",
                "C5:PREPAYMENT_INVOICE",
                "P",
                "310000.00",
                "RUB",
                "104",
                "11",
                "2026-09-10T09:00:00+03:00",
                "",
            ]
        )


def _ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC).timestamp())


def write_amo() -> None:
    users = {
        "_embedded": {
            "users": [
                {
                    "id": 7001 + i,
                    "name": name,
                    "email": email,
                    "lang": "ru",
                    "rights": {"is_admin": False},
                }
                for i, (_, name, email, *_rest) in enumerate(MANAGERS)
            ]
        }
    }
    (HERE / "amocrm" / "users.json").write_text(
        json.dumps(users, ensure_ascii=False, indent=2), "utf-8"
    )
    owner_ids = {name: 7001 + i for i, (_, name, *_r) in enumerate(MANAGERS)}
    companies = {
        "_page": 1,
        "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/companies"}},
        "_embedded": {
            "companies": [
                {
                    "id": int(aid),
                    "name": title,
                    "responsible_user_id": owner_ids[owner],
                    "group_id": 0,
                    "created_at": _ts(dt.date(2025, 2, 1)),
                    "updated_at": _ts(dt.date(2026, 1, 1)),
                    "custom_fields_values": [
                        {
                            "field_id": 401,
                            "field_name": "ИНН",
                            "field_code": None,
                            "field_type": "text",
                            "values": [{"value": inn}],
                        },
                        {
                            "field_id": 402,
                            "field_name": "Отрасль",
                            "field_code": None,
                            "field_type": "select",
                            "values": [{"value": industry, "enum_id": 9000 + i}],
                        },
                        {
                            "field_id": 403,
                            "field_name": "Город",
                            "field_code": None,
                            "field_type": "text",
                            "values": [{"value": city}],
                        },
                        {
                            "field_id": 404,
                            "field_name": "Телефон",
                            "field_code": "PHONE",
                            "field_type": "multitext",
                            "values": [{"value": f"+7 495 000-00-0{i}", "enum_code": "WORK"}],
                        },
                    ],
                    "_links": {
                        "self": {"href": f"https://example.amocrm.ru/api/v4/companies/{aid}"}
                    },
                }
                for i, (_, aid, title, inn, city, industry, _kind, owner, _rev) in enumerate(
                    COMPANIES
                )
            ]
        },
    }
    (HERE / "amocrm" / "companies.json").write_text(
        json.dumps(companies, ensure_ascii=False, indent=2), "utf-8"
    )
    statuses = [142, 143, 31_500_001, 142, 31_500_002]
    leads = {
        "_page": 1,
        "_embedded": {
            "leads": [
                {
                    "id": 9001 + i,
                    "name": f"Сделка #{9001 + i}",
                    "price": (i + 2) * 150_000,
                    "responsible_user_id": owner_ids[owner],
                    "group_id": 0,
                    "status_id": statuses[i],
                    "pipeline_id": 3_150_001,
                    "loss_reason_id": None,
                    "created_by": 7004,
                    "updated_by": 7004,
                    "created_at": _ts(dt.date(2026, 2, 1 + i)),
                    "updated_at": _ts(dt.date(2026, 3, 1 + i)),
                    "closed_at": _ts(dt.date(2026, 3, 1 + i))
                    if statuses[i] in (142, 143)
                    else None,
                    "closest_task_at": None,
                    "is_deleted": False,
                    "custom_fields_values": None,
                    "score": None,
                    "_embedded": {"tags": [], "companies": [{"id": int(aid)}]},
                }
                for i, (_, aid, _t, _inn, _c, _ind, _k, owner, _rev) in enumerate(COMPANIES)
            ]
        },
    }
    (HERE / "amocrm" / "leads.json").write_text(
        json.dumps(leads, ensure_ascii=False, indent=2), "utf-8"
    )
    # The CSV export of the leads list (UTF-8 with BOM, `;`, Russian titles).
    with (HERE / "amocrm" / "leads.csv").open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(
            [
                "ID",
                "Название сделки",
                "Бюджет",
                "Ответственный",
                "Этап сделки",
                "Воронка",
                "Компания",
                "Дата создания",
                "Дата закрытия",
                "Теги",
            ]
        )
        out.writerow(
            [
                "9101",
                "Запрос КП",
                "450 000",
                "Иван Петров",
                "Успешно реализовано",
                "Продажи",
                "ООО «Альфа Дистрибуция»",
                "05.05.2026 12:00:00",
                "20.05.2026 18:00:00",
                "",
            ]
        )
        out.writerow(
            [
                "9102",
                "Тендер",
                "1 200 000",
                "a.volkova@example.ru",
                "Закрыто и не реализовано",
                "Продажи",
                "ГБУ «Городская поликлиника № 3»",
                "06.05.2026 10:00:00",
                "30.05.2026 18:00:00",
                "тендер",
            ]
        )
        out.writerow(
            [
                "9103",
                "Доп. продажа",
                "80 000",
                "Ольга Смирнова",
                "Переговоры",
                "Продажи",
                "АО «Северные Системы»",
                "07.05.2026 10:00:00",
                "",
                "",
            ]
        )


if __name__ == "__main__":
    write_generic()
    write_bitrix()
    write_amo()

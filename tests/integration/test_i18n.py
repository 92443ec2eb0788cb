"""Languages of the web app: the English catalog is complete and current, an English user sees
English on every page, the switch needs the CSRF token, and Russian stays the default."""

from __future__ import annotations

import datetime as dt
import io
import re
import tokenize
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clientbase.core.access import USER_ROLE_RU, UserRole
from clientbase.core.kpi import KPIS
from clientbase.services import accounts, capacity, contacts, rotation
from clientbase.services.demo import DemoParams, create_demo
from clientbase.services.kpi import FUNNEL_NAMES
from clientbase.web import i18n, templating
from clientbase.web.app import create_app
from clientbase.web.routes import capacity as capacity_routes
from clientbase.web.routes import imports as import_routes
from clientbase.web.routes import plans as plan_routes
from clientbase.web.templating import templates
from web_helpers import log_in

PASSWORD = "i18n-pass-1"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")
# Words of the Russian interface that must not be left on an English page's menu and header.
RUSSIAN_UI_WORDS = [
    "Обзор",
    "Клиенты",
    "Менеджеры",
    "Нагрузка",
    "Распределение",
    "Роли",
    "Ротация",
    "Импорт",
    "Выйти",
    "руководитель",
]
# Page → English words that show the page itself was translated (not only the menu).
ENGLISH_PAGES = {
    "/": ["Client base", "Potential and dormant clients by region", "Region"],
    "/clients": ["Found:", "Last purchase", "Owner", "Search"],
    "/plans": ["Client distribution", "Calculate plan", "Time limit, s"],
    "/capacity": ["Workload and capacity", "Load and coverage", "No contact"],
    "/kpi": ["Manager KPIs:", "Export to Excel", "sales volume", "Leaderboard"],
    "/rotation": ["Rotation of dormant clients", "Soon to turn dormant", "Dry run"],
    "/roles": ["Roles and routing of new clients", "Routing", "Upload rules"],
    "/import": ["Import from Excel, CSV, Bitrix24, amoCRM", "File contents", "Next"],
}


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def _header(html: str) -> str:
    found = re.search(r'<header class="top">(.*?)</header>', html, re.S)
    assert found, "page without a header"
    return found.group(1)


def _header_words(html: str) -> str:
    """The header's text without the switch, which names each language in itself."""
    header = re.sub(r'<form[^>]*id="language-form".*?</form>', "", _header(html), flags=re.S)
    return re.sub(r"<[^>]+>", "", header)


def _cells(html: str) -> list[str]:
    """The texts of the table headers, which are all interface (never data)."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)]


# --- the catalog -------------------------------------------------------------------------


def test_every_message_of_the_template_has_an_english_translation() -> None:
    template = _catalog(i18n.LOCALE / "messages.pot")
    english = _catalog(i18n.po_path("en"), "en")
    assert len(i18n.msgids(template)) > 400
    untranslated = []
    for message in template:
        if not message.id:
            continue
        found = english.get(message.id)
        if found is None or not found.string or found.fuzzy:
            untranslated.append(message.id)
            continue
        # The same placeholders (and escaped percent signs) on both sides.
        assert sorted(PLACEHOLDER.findall(str(message.id))) == sorted(
            PLACEHOLDER.findall(str(found.string))
        ), message.id
        assert not CYRILLIC.search(str(found.string)), message.id
    assert untranslated == []


def test_the_template_catalog_is_what_the_sources_give_today() -> None:
    template = _catalog(i18n.LOCALE / "messages.pot")
    fresh = i18n.extract()
    stale = i18n.msgids(template) - i18n.msgids(fresh)
    missing = i18n.msgids(fresh) - i18n.msgids(template)
    assert (sorted(missing), sorted(stale)) == ([], []), (
        "run `python -m clientbase.web.i18n` and translate the new messages"
    )


def test_no_russian_text_is_left_outside_a_gettext_call_in_the_templates() -> None:
    raw = []
    for path in sorted((i18n.WEB / "templates").rglob("*.html")):
        tokens = [
            t for t in templates.env.lex(path.read_text(encoding="utf-8")) if t[1] != "whitespace"
        ]
        for index, (line, kind, value) in enumerate(tokens):
            if not CYRILLIC.search(value):
                continue
            before = [t[2] for t in tokens[max(0, index - 2) : index]]
            if kind == "string" and before == ["_", "("]:
                continue
            raw.append(f"{path.relative_to(i18n.WEB)}:{line}: {value.strip()[:60]}")
    assert raw == []


def test_no_russian_text_is_left_outside_a_gettext_call_in_the_page_routes() -> None:
    raw = []
    # The JSON API answers programs, not people: its messages stay as the services give them.
    for path in sorted(p for p in (i18n.WEB / "routes").glob("*.py") if p.name != "api.py"):
        source = path.read_text(encoding="utf-8")
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT)
        ]
        for index, token in enumerate(tokens):
            if token.type != tokenize.STRING or not CYRILLIC.search(token.string):
                continue
            start = index - 1
            while start >= 0 and tokens[start].type == tokenize.STRING:
                start -= 1  # implicit concatenation inside one call
            if start < 0 or tokens[start].type in (tokenize.NEWLINE, tokenize.INDENT):
                continue  # a docstring
            if tokens[start].string == "(" and tokens[start - 1].string in ("_", "N_", "gettext"):
                continue
            raw.append(f"{path.name}:{token.start[0]}: {token.string[:60]}")
    assert raw == []


def test_labels_kept_in_russian_by_the_services_are_in_the_catalog() -> None:
    labels = [
        *USER_ROLE_RU.values(),
        *capacity.STATUS_RU.values(),
        *rotation.ARM_RU.values(),
        *FUNNEL_NAMES.values(),
        *contacts.PURCHASE_ROLES.values(),
        *(k.name for k in KPIS),
        *templating.STATUS_RU.values(),
        *templating.ROLE_RU.values(),
        *templating.GROUP_RU.values(),
        *plan_routes.STRATEGY_RU.values(),
        *import_routes.ENTITY_RU.values(),
        *capacity_routes.TYPE_RU.values(),
        accounts.WRONG,
    ]
    known = i18n.msgids(_catalog(i18n.LOCALE / "messages.pot"))
    assert [label for label in labels if label not in known] == []


def test_english_is_read_from_the_po_file_and_russian_is_the_source_text() -> None:
    i18n.use_language("en")
    try:
        assert i18n.gettext("Клиенты") == "Clients"
        assert i18n.translate_value("объём продаж") == "sales volume"
        assert i18n.translate_value("Текст, которого нет в каталоге") == (
            "Текст, которого нет в каталоге"
        )
    finally:
        i18n.use_language("ru")
    assert i18n.gettext("Клиенты") == "Клиенты"


@pytest.mark.parametrize(
    ("user_language", "cookie", "expected"),
    [
        ("en", None, "en"),
        ("ru", "en", "ru"),
        (None, "en", "en"),
        (None, "de", "ru"),
        (None, None, "ru"),
        ("xx", "en", "en"),
    ],
)
def test_the_users_setting_wins_over_the_cookie_which_wins_over_russian(
    user_language: str | None, cookie: str | None, expected: str
) -> None:
    assert i18n.choose_language(user_language, cookie) == expected


# --- the pages ---------------------------------------------------------------------------


@pytest.fixture
def demo(engine: Engine) -> Engine:
    create_demo(engine, DemoParams(clients=200, months=3, today=dt.date.today()))
    accounts.ensure_demo_accounts(engine, password=PASSWORD)
    accounts.create_user(
        engine,
        login="anna",
        password=PASSWORD,
        role=UserRole.HEAD,
        name="Anna Smith",
        language="en",
    )
    return engine


@pytest.fixture
def app_client(demo: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo)) as client:
        yield client


def test_an_english_user_sees_english_on_every_page(app_client: TestClient) -> None:
    log_in(app_client, "anna", PASSWORD)
    for path, words in ENGLISH_PAGES.items():
        page = app_client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="en">' in page.text, path
        header = _header_words(page.text)
        assert not CYRILLIC.search(header), (path, header)
        assert [w for w in RUSSIAN_UI_WORDS if w in _header(page.text)] == [], path
        assert 'id="language-ru"' in page.text
        assert "Log out" in header and "Dashboard" in header and "head of sales" in header
        assert [w for w in words if w not in page.text] == [], path
        assert [c for c in _cells(page.text) if CYRILLIC.search(c)] == [], path
    # Error pages too (rendered by the app's error handler, outside the route).
    missing = app_client.get("/clients/999999999")
    assert missing.status_code == 404
    assert '<html lang="en">' in missing.text and "Something went wrong" in missing.text


def test_a_russian_user_sees_the_russian_pages_as_before(app_client: TestClient) -> None:
    log_in(app_client, "rop", PASSWORD)
    page = app_client.get("/kpi")
    assert '<html lang="ru">' in page.text
    assert "Показатели менеджеров:" in page.text and "объём продаж" in page.text
    assert 'id="language-en"' in page.text and "Выйти" in _header(page.text)


def test_the_login_page_is_russian_until_the_english_link_sets_the_cookie(
    app_client: TestClient,
) -> None:
    first = app_client.get("/login")
    assert '<html lang="ru">' in first.text and "Вход в clientbase" in first.text
    link = re.search(r'<a href="(\?[^"]*lang=en[^"]*)" id="language-en"', first.text)
    assert link, "no link to English on the login page"
    english = app_client.get("/login" + link.group(1).replace("&amp;", "&"))
    assert '<html lang="en">' in english.text and "Log in to clientbase" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = app_client.get("/login")
    assert "Log in to clientbase" in again.text and 'id="language-ru"' in again.text
    # The logged-in user's own language (Russian) wins over the cookie.
    log_in(app_client, "rop", PASSWORD)
    assert '<html lang="ru">' in app_client.get("/").text


def test_the_switch_needs_the_csrf_token_and_remembers_the_language(
    app_client: TestClient, demo: Engine
) -> None:
    csrf = log_in(app_client, "rop", PASSWORD)
    refused = app_client.post(
        "/language", data={"language": "en", "next": "/clients"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert '<html lang="ru">' in app_client.get("/clients").text
    switched = app_client.post(
        "/language",
        data={"language": "en", "next": "/clients", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/clients"
    assert "lang=en" in switched.headers["set-cookie"]
    page = app_client.get("/clients")
    assert '<html lang="en">' in page.text and "Last purchase" in page.text
    assert {u.login: u.language for u in accounts.list_users(demo)}["rop"] == "en"
    # Stored on the account: a new browser without the cookie gets English too.
    with TestClient(app_client.app) as other:
        log_in(other, "rop", PASSWORD)
        assert '<html lang="en">' in other.get("/").text
    unknown = app_client.post(
        "/language", data={"language": "de", "csrf_token": csrf}, follow_redirects=False
    )
    assert unknown.status_code == 400
    back = app_client.post(
        "/language",
        data={"language": "ru", "next": "https://evil.example/", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert '<html lang="ru">' in app_client.get("/").text


def test_concurrent_requests_each_get_their_own_language(demo: Engine) -> None:
    app = create_app(demo)
    with TestClient(app) as english, TestClient(app) as russian:
        log_in(english, "anna", PASSWORD)
        log_in(russian, "rop", PASSWORD)

        def fetch(client: TestClient) -> str:
            return client.get("/clients").text

        with ThreadPoolExecutor(max_workers=4) as pool:
            pages = list(pool.map(fetch, [english, russian] * 6))
    for index, page in enumerate(pages):
        if index % 2 == 0:
            assert '<html lang="en">' in page and "Last purchase" in page
        else:
            assert '<html lang="ru">' in page and "Посл. покупка" in page

"""Languages of the web app: Russian source texts, an English catalog read from its .po file.

Russian is the source language: every msgid is the Russian text, so Russian needs no
catalog and stays the default. English comes from `locale/en/LC_MESSAGES/messages.po`,
read with Babel at the first use and compiled in memory (no .mo file in the repository or
the build). The Jinja2 environment is shared by all threads, so the gettext callables it
gets never hold a language: they read it from a context variable that `LanguageMiddleware`
sets for each request (the user's `language` field, else the `lang` cookie, else Russian).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientbase import __version__
from clientbase.settings import get_settings

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}
LANGUAGE_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

WEB = Path(__file__).parent
LOCALE = WEB / "locale"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("clientbase_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Mark a text for the catalog without translating it (module-level labels)."""
    return message


def po_path(language: str) -> Path:
    """Where the catalog of a language lives."""
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The gettext object of a language, read once per process (Russian: the identity)."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    with po_path(language).open("rb") as fp:
        catalog = read_po(fp, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    # Fuzzy entries are guesses of the merge, not translations: Russian is better than a guess.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def current_language() -> str:
    """The language of the request being served."""
    return _language.get()


def use_language(language: str) -> None:
    """Serve the rest of this context (a request, a test) in `language`."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    """The text in the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural text in the current language."""
    return translations(_language.get()).ngettext(singular, plural, n)


def translate_value(value: Any) -> Any:
    """A label computed elsewhere (a dict value, a KPI name) in the current language.

    Unlike `_()` in templates it never treats `%` as a format: the value is data.
    """
    if isinstance(value, str) and value:
        return gettext(value)
    return value


def choose_language(user_language: str | None, cookie: str | None) -> str:
    """The user's own setting wins, then the browser's cookie, then Russian."""
    for candidate in (user_language, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE


def language_cookie_header(language: str, *, secure: bool) -> str:
    """A Set-Cookie value remembering the language for a year (not a secret: no HttpOnly)."""
    flags = f"; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax"
    return f"{LANGUAGE_COOKIE}={language}{flags}{'; Secure' if secure else ''}"


class LanguageMiddleware:
    """Picks the language of each request; `?lang=xx` without a session sets the cookie.

    Runs inside the session middleware, so the logged-in user is already known.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        user = scope.get("state", {}).get("user")
        asked = parse_qs(request.url.query).get("lang", [""])[-1]
        remember = user is None and asked in LANGUAGES
        cookie = asked if remember else request.cookies.get(LANGUAGE_COOKIE)
        language = choose_language(getattr(user, "language", None), cookie)
        token = _language.set(language)

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = get_settings().secure_cookies or request.url.scheme == "https"
                headers.append("set-cookie", language_cookie_header(language, secure=secure))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _language.reset(token)


# Extraction: the files of babel.cfg, the gettext names of the code and templates.
BABEL_CFG = WEB / "babel.cfg"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract() -> Catalog:
    """Every translatable text of the web app, from the templates and the Python sources."""
    catalog = Catalog(
        project="clientbase",
        version=__version__,
        domain=DOMAIN,
        header_comment="# Texts of the clientbase web app; msgid is the Russian source text.",
        charset="utf-8",
        fuzzy=False,
    )
    with BABEL_CFG.open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp, str(BABEL_CFG))  # type: ignore[no-untyped-call]
    found: Iterable[tuple[str, int, Any, list[str], str | None]] = extract_from_dir(
        str(WEB), method_map, options_map, KEYWORDS, strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(
            message,
            None,
            [(f"web/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def msgids(catalog: Catalog) -> set[str]:
    """The message ids of a catalog (a plural one by its singular), the header left out."""
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def main(argv: list[str]) -> int:
    """`python -m clientbase.web.i18n`: rewrite messages.pot and merge it into every .po."""
    template = extract()
    with (LOCALE / f"{DOMAIN}.pot").open("wb") as fp:
        write_po(fp, template, width=100, omit_header=False, sort_output=True)
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        path = po_path(language)
        if path.exists():
            with path.open("rb") as fp:
                catalog = read_po(fp, locale=language, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project="clientbase", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.header_comment = (
            f"# {LANGUAGE_NAMES[language]} texts of the clientbase web app "
            "(msgid: the Russian source text)."
        )
        catalog.version = __version__
        catalog.revision_date = dt.datetime.now(dt.UTC)
        catalog.last_translator = "clientbase"
        catalog.language_team = LANGUAGE_NAMES[language]
        with path.open("wb") as fp:
            write_po(fp, catalog, width=100, sort_output=True, ignore_obsolete=True)
        missing = sorted(str(m.id) for m in catalog if m.id and not m.string)
        print(f"{path.relative_to(WEB)}: {len(catalog)} messages, {len(missing)} untranslated")
        for text in missing:
            print(f"  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

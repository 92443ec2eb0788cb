"""The language switch in the header: the user's own setting and the browser's cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clientbase.errors import BadInputError
from clientbase.services import accounts
from clientbase.settings import get_settings
from clientbase.web.auth import UserDep
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import LANGUAGES, gettext, language_cookie_header
from clientbase.web.routes.auth import _safe_next

router = APIRouter()


@router.post("/language")
async def set_language(
    request: Request,
    engine: EngineDep,
    user: UserDep,
    language: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the language on the account and in a cookie, back to the same page.

    The app's CSRF check has already run (the form carries `csrf_token`).
    """
    if language not in LANGUAGES:
        raise BadInputError(
            gettext("Язык «%(language)s» не поддерживается: ru или en.") % {"language": language}
        )
    await run_in_threadpool(accounts.set_language, engine, user_id=user.id, language=language)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = get_settings().secure_cookies or request.url.scheme == "https"
    response.headers.append("set-cookie", language_cookie_header(language, secure=secure))
    return response

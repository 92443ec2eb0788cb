"""Bounds on every request before a route sees it: body size, and no control characters.

- A form or JSON body may be at most `MAX_FORM_BYTES` (1 MB: a page's form or an API call
  is a few KB); a file upload (multipart) at most the reader's file limit plus 1 MB of form
  around it. The size is checked on the declared Content-Length and again while the body
  streams in, so a client that lies about it is cut off too (413, in Russian).
- Text that is not a file — the query string, a form's fields, a JSON body — may not hold
  NUL or other control characters (tab, line feed and carriage return excepted): they are
  never typed by a person and break exports and other programs that read the data (400).
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientbase.errors import ClientbaseError
from clientbase.io.readers import MAX_FILE_BYTES

MAX_FORM_BYTES = 1024 * 1024
MAX_UPLOAD_REQUEST_BYTES = MAX_FILE_BYTES + 1024 * 1024
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RequestTooLargeError(ClientbaseError):
    """A body that grew past its limit while it streamed in (HTTP 413)."""


def _refusal(status: int, text: str, api: bool) -> tuple[dict[str, object], bytes]:
    if api:
        body = json.dumps({"detail": text}, ensure_ascii=False).encode()
        kind = b"application/json"
    else:
        body = (
            '<!doctype html><html lang="ru"><meta charset="utf-8"><title>Ошибка</title>'
            f"<p>{text}</p></html>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
    }
    return start, body


def has_control_characters(text: str) -> bool:
    """True when `text` holds NUL or another control character a person never types."""
    return CONTROL.search(text) is not None


class RequestLimitsMiddleware:
    """Refuse oversized bodies (413) and control characters in text (400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        kind = headers.get("content-type", "").lower()
        multipart = kind.startswith("multipart/")
        limit = MAX_UPLOAD_REQUEST_BYTES if multipart else MAX_FORM_BYTES
        query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
        if has_control_characters(query):
            await self._refuse(send, 400, "В адресе запроса есть управляющие символы.", api)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, 413, _too_large(limit), api)
            return
        if multipart or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            started = False

            async def tracking(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, self._counting(receive, limit), tracking)
            except RequestTooLargeError:
                if not started:
                    await self._refuse(send, 413, _too_large(limit), api)
            return
        # A form or JSON body: read it whole (it is small), check it, replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, 413, _too_large(limit), api)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        text = body.decode("utf-8", "replace")
        if "urlencoded" in kind:
            text = unquote_plus(text)
        elif "json" in kind:
            text = re.sub(r"\\u00(?:0[0-8bcef]|1[0-9a-f]|7f)", "\x01", text, flags=re.I)
        if has_control_characters(text):
            await self._refuse(
                send,
                400,
                "В тексте запроса есть управляющие символы (например, NUL); "
                "уберите их и повторите.",
                api,
            )
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _counting(receive: Receive, limit: int) -> Receive:
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise RequestTooLargeError(_too_large(limit))
            return message

        return counted

    @staticmethod
    async def _refuse(send: Send, status: int, text: str, api: bool) -> None:
        start, body = _refusal(status, text, api)
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return f"Запрос слишком большой: больше {limit // (1024 * 1024)} МБ."

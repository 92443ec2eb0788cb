"""A small uploaded file put on disk for a service that reads files, then removed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import UploadFile

from clientbase.errors import BadInputError
from clientbase.web.i18n import gettext

MAX_NAME_CHARS = 100


def safe_upload_name(filename: str | None, default: str) -> str:
    """The user's file name as it may be shown and stored: no folders, no control
    characters, at most 100 characters (the extension kept), never empty."""
    name = Path((filename or "").replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*').strip(" .")
    if not name:
        return default
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix[:10]
    keep = MAX_NAME_CHARS - len(suffix) - 1
    return f"{stem[:keep]}.{suffix}" if suffix else name[:MAX_NAME_CHARS]


@asynccontextmanager
async def upload_on_disk(
    file: UploadFile, *, suffixes: Iterable[str], max_bytes: int, default_name: str
) -> AsyncIterator[Path]:
    """The upload under its own name in a private temporary folder (type and size checked)."""
    name = safe_upload_name(file.filename, default_name)
    allowed = sorted(suffixes)
    if Path(name).suffix.lower() not in allowed:
        kinds = ", ".join(s.lstrip(".").upper() for s in allowed)
        raise BadInputError(
            gettext("%(name)s: ожидается файл %(kinds)s.") % {"name": name, "kinds": kinds}
        )
    body = await file.read(max_bytes + 1)
    if len(body) > max_bytes:
        limit = max(1, max_bytes // (1024 * 1024))
        raise BadInputError(
            gettext("%(name)s: файл больше %(mb)s МБ.") % {"name": name, "mb": limit}
        )
    folder = Path(tempfile.mkdtemp(prefix="clientbase-upload-"))
    try:
        path = folder / name
        path.write_bytes(body)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)

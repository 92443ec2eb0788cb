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


@asynccontextmanager
async def upload_on_disk(
    file: UploadFile, *, suffixes: Iterable[str], max_bytes: int, default_name: str
) -> AsyncIterator[Path]:
    """The upload under its own name in a private temporary folder (type and size checked)."""
    name = Path(file.filename or default_name).name
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

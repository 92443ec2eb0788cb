"""The import wizard: upload → column mapping → check (dry run) → error CSV → import.

The uploaded file is kept in a private folder of the server for a day under a random
token, so each step (and a reload) works on the same file; only the user who uploaded it
may use the token. The import itself is all or nothing (services/importing.py) and runs in
a background job, so a big file never freezes the page.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from clientbase.errors import BadInputError, NotFoundError
from clientbase.io import readers
from clientbase.io.mapping import ENTITIES
from clientbase.services import import_preview, jobs
from clientbase.services.accounts import CurrentUser
from clientbase.services.importing import ImportMapping, ImportReport, import_file, write_errors
from clientbase.web.auth import HeadDep
from clientbase.web.deps import EngineDep
from clientbase.web.i18n import N_
from clientbase.web.i18n import gettext as _
from clientbase.web.templating import templates
from clientbase.web.uploads import safe_upload_name

router = APIRouter()

UPLOADS = Path(tempfile.gettempdir()) / "clientbase-uploads"
# The same limit as the reader's: a file the web takes is a file the import can read.
MAX_UPLOAD_BYTES = readers.MAX_FILE_BYTES
KEEP_SECONDS = 24 * 3600
SUFFIXES = {".csv", ".txt", ".xlsx", ".xls", ".ods", ".json"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ENTITY_RU = {
    "managers": N_("менеджеры"),
    "clients": N_("клиенты"),
    "teams": N_("команды клиентов (кто за что отвечает)"),
    "deals": N_("сделки"),
    "activities": N_("активности (звонки, встречи, задачи)"),
    "plans": N_("планы продаж"),
    "surveys": N_("оценки клиентов (CSAT/NPS)"),
    "feedback": N_("отзывы коллег"),
}
SOURCE_RU = {
    "generic": N_("Excel/CSV (любой)"),
    "bitrix24": N_("Битрикс24"),
    "amocrm": N_("amoCRM / Kommo"),
}
templates.env.globals.update(ENTITY_RU=ENTITY_RU, SOURCE_RU=SOURCE_RU)


def _folder(token: str, user: CurrentUser) -> tuple[Path, dict[str, Any]]:
    """The upload of this token, if this user made it."""
    if not TOKEN.match(token):
        raise NotFoundError(_("Загрузка не найдена."))
    folder = UPLOADS / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFoundError(_("Загрузка не найдена или устарела; загрузите файл снова.")) from exc
    if meta.get("user") != user.login:
        raise NotFoundError(_("Загрузка не найдена."))
    return folder, meta


def _sweep() -> None:
    """Remove uploads older than a day."""
    if not UPLOADS.exists():
        return
    limit = time.time() - KEEP_SECONDS
    for folder in UPLOADS.iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


@router.get("/import", response_class=HTMLResponse)
def import_start(request: Request, user: HeadDep) -> HTMLResponse:
    """Step 1: what the file holds, where it comes from, the file."""
    return templates.TemplateResponse(
        request, "import/start.html", {"entities": ENTITIES, "sources": list(SOURCE_RU)}
    )


@router.post("/import")
async def import_upload(
    user: HeadDep,
    file: Annotated[UploadFile, File()],
    entity: Annotated[str, Form(max_length=20)] = "clients",
    source: Annotated[str, Form(max_length=20)] = "generic",
) -> Response:
    """Keep the uploaded file (size-limited while it streams in) and go to the mapping."""
    if entity not in ENTITIES:
        raise BadInputError(_("Неизвестная сущность «%(name)s».") % {"name": entity})
    if source not in SOURCE_RU:
        raise BadInputError(_("Неизвестный источник «%(name)s».") % {"name": source})
    name = safe_upload_name(file.filename, "file.csv")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInputError(
            _("%(file)s: ожидается CSV, XLSX, XLS, ODS или JSON (amoCRM).") % {"file": name}
        )
    _sweep()
    token = secrets.token_urlsafe(24)
    folder = UPLOADS / token
    folder.mkdir(parents=True, mode=0o700)
    target = folder / f"upload{suffix}"
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise BadInputError(
                    _(
                        "%(file)s: файл больше %(mb)s МБ; "
                        "разбейте его или загрузите из командной строки."
                    )
                    % {"file": name, "mb": MAX_UPLOAD_BYTES // 1024 // 1024}
                )
            out.write(chunk)
    meta = {
        "user": user.login,
        "entity": entity,
        "source": source,
        "name": name,
        "file": target.name,
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return RedirectResponse(f"/import/{token}", status_code=303)


def _mapping_from_form(form: dict[str, Any], columns: list[str]) -> dict[str, str | None]:
    """`col-N` selects of the mapping form → {header: field or None}."""
    mapping: dict[str, str | None] = {}
    for index, header in enumerate(columns):
        value = form.get(f"col-{index}")
        if isinstance(value, str):
            mapping[header] = value or None
    return mapping


def _renamed(meta: dict[str, Any], folder: Path) -> Path:
    """The upload under its original name, so reports and errors name the user's file."""
    named = folder / "named"
    named.mkdir(exist_ok=True)
    path: Path = named / str(meta["name"])
    if not path.exists():
        # Moved, not copied: one copy of the user's file on disk.
        (folder / meta["file"]).replace(path)
    return path


@router.get("/import/{token}", response_class=HTMLResponse)
def import_mapping(request: Request, engine: EngineDep, user: HeadDep, token: str) -> HTMLResponse:
    """Step 2: each column of the file and the field it feeds; change what is wrong."""
    folder, meta = _folder(token, user)
    saved = meta.get("mapping")
    try:
        view = import_preview.preview(
            engine=engine,
            entity=meta["entity"],
            path=_renamed(meta, folder),
            source=meta["source"],
            user_mapping=saved,
        )
    except BadInputError:
        # A file that cannot be read is refused for good: nothing of it stays on disk.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return templates.TemplateResponse(
        request, "import/mapping.html", {"p": view, "token": token, "meta": meta}
    )


async def _save_mapping(request: Request, engine: Any, folder: Path, meta: dict[str, Any]) -> None:
    form = dict(await request.form())
    path = _renamed(meta, folder)
    # Reading runs in a child process and may take a while: never on the event loop.
    table = await run_in_threadpool(import_preview.read_table, path, meta["source"])
    headers = table.headers
    meta["mapping"] = _mapping_from_form(form, headers)
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _report_dict(report: ImportReport) -> dict[str, Any]:
    data = asdict(report)
    data["ok"] = report.ok
    data["errors"] = data["errors"][:500]
    data["error_count"] = len(report.errors)
    return data


@router.post("/import/{token}/check", response_class=HTMLResponse)
async def import_check(
    request: Request, engine: EngineDep, user: HeadDep, token: str
) -> HTMLResponse:
    """Step 3: every row checked, nothing written; all errors listed (and as a CSV)."""
    folder, meta = _folder(token, user)
    await _save_mapping(request, engine, folder, meta)
    report = await run_in_threadpool(
        partial(
            import_file,
            engine=engine,
            entity=meta["entity"],
            path=_renamed(meta, folder),
            source=meta["source"],
            mapping=ImportMapping(meta.get("mapping") or {}),
            dry_run=True,
            scope=user.scope,
        )
    )
    if report.errors:
        write_errors(report, folder / "errors.csv")
    return templates.TemplateResponse(
        request,
        "import/report.html",
        {"r": _report_dict(report), "token": token, "meta": meta, "checked": True},
    )


@router.get("/import/{token}/errors.csv")
def import_errors(user: HeadDep, token: str) -> FileResponse:
    """The errors of the last check as a CSV (file, row, column, value, message)."""
    folder, meta = _folder(token, user)
    path = folder / "errors.csv"
    if not path.exists():
        raise NotFoundError(_("Ошибок нет: файл ошибок не создавался."))
    return FileResponse(
        path, media_type="text/csv", filename=f"{Path(meta['name']).stem}-errors.csv"
    )


@router.post("/import/{token}/apply")
async def import_apply(request: Request, engine: EngineDep, user: HeadDep, token: str) -> Response:
    """Step 4: the import itself, all or nothing, in the background."""
    folder, meta = _folder(token, user)
    await _save_mapping(request, engine, folder, meta)
    path = _renamed(meta, folder)

    def work(progress: jobs.Progress) -> dict[str, Any]:
        def tick(done: int, total: int) -> None:
            if total >= 2000 and (done % 5000 == 0 or done == total):
                progress(
                    _("Проверено и записано строк: %(done)s из %(total)s")
                    % {"done": done, "total": total}
                )

        report = import_file(
            engine=engine,
            entity=meta["entity"],
            path=path,
            source=meta["source"],
            mapping=ImportMapping(meta.get("mapping") or {}),
            progress=tick,
            scope=user.scope,
        )
        if report.errors:
            write_errors(report, folder / "errors.csv")
        (folder / "report.json").write_text(
            json.dumps(_report_dict(report), ensure_ascii=False, default=str), encoding="utf-8"
        )
        return {"url": f"/import/{token}/report"}

    what = ENTITY_RU[meta["entity"]]
    job_id = jobs.start_job(
        engine=engine,
        kind="import",
        title=_("Импорт: %(entity)s из %(file)s") % {"entity": _(what), "file": meta["name"]},
        actor=user.login,
        work=work,
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/import/{token}/report", response_class=HTMLResponse)
def import_report(request: Request, user: HeadDep, token: str) -> HTMLResponse:
    """What the import did."""
    folder, meta = _folder(token, user)
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except OSError as exc:
        raise NotFoundError(_("Импорт ещё не выполнялся.")) from exc
    return templates.TemplateResponse(
        request, "import/report.html", {"r": report, "token": token, "meta": meta, "checked": False}
    )

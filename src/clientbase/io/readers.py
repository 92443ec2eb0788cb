"""Reading CSV, XLSX/XLS/ODS and JSON files into rows that keep the row numbers Excel shows."""

from __future__ import annotations

import csv
import io
import json
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, count
from pathlib import Path
from typing import Any, NamedTuple

from python_calamine import CalamineError, CalamineWorkbook

from clientbase.errors import BadInputError
from clientbase.io import guards, sandbox
from clientbase.io.guards import ShapeLimits
from clientbase.io.values import is_blank

# Upload limits (ASVS 5.2.1 / 5.2.3): a sales department's exports are a few MB; anything
# far bigger is a mistake or an attack and must be refused before it is parsed.
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_RATIO = 200

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}
OLE_SUFFIXES = {".xls"}
JSON_SUFFIXES = {".json"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | ZIP_SUFFIXES | OLE_SUFFIXES | JSON_SUFFIXES

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Row(NamedTuple):
    """One data row: its number as Excel shows it (1-based) and its cell values."""

    number: int
    values: tuple[Any, ...]


@dataclass
class Table:
    """A header and the data rows below it; `file` is shown in every error message."""

    file: str
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    header_row: int = 1


def read_table(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Table:
    """Read the first sheet of a spreadsheet or a CSV file into a `Table`.

    The file is parsed in a bounded child process (`io/sandbox.py`): a hostile file ends in
    a clear refusal, never in the death of this process.
    """
    suffix = _checked_suffix(path)
    if suffix in JSON_SUFFIXES:
        raise BadInputError(
            f"{path.name}: JSON читается только в формате amoCRM (--source amocrm)."
        )
    _checked_size(path, max_bytes)
    headers, rows, header_row = sandbox.run("table", path, max_bytes=max_bytes)
    return _table(path.name, headers, rows, header_row)


def read_json(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON file (an API dump), refusing huge, deep or malformed ones clearly."""
    _checked_size(path, max_bytes)
    return sandbox.run("json", path, max_bytes=max_bytes)


MAX_SETTINGS_BYTES = 5 * 1024 * 1024
SETTINGS_SUFFIXES = {".json", ".toml"}


def read_settings(path: Path, *, what: str, max_bytes: int = MAX_SETTINGS_BYTES) -> Any:
    """A settings file (.json or .toml: rules, tables, weights) parsed in the bounded child.

    `what` names the file in every message ("Файл правил кросс-продаж").
    """
    if path.suffix.lower() not in SETTINGS_SUFFIXES:
        raise BadInputError(f"{what} {path.name}: ожидается файл .json или .toml.")
    _checked_size(path, max_bytes)
    try:
        return sandbox.run("settings", path, max_bytes=max_bytes)
    except BadInputError as exc:
        raise BadInputError(f"{what} {exc.message}") from exc


def parse_settings_here(path: Path, max_bytes: int, limits: ShapeLimits) -> Any:
    """In this process (the sandbox's child): a JSON or TOML document, depth bounded."""
    data = _read_bytes(path, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path.name}: файл не в UTF-8.") from exc
    try:
        value = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{path.name}: ошибка JSON в строке {exc.lineno}, столбце {exc.colno}: {exc.msg}."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path.name}: ошибка TOML ({exc}).") from exc
    except RecursionError as exc:
        raise BadInputError(f"{path.name}: слишком глубокая вложенность.") from exc
    guards.check_json(path.name, value, limits)
    return value


def parse_table_here(
    path: Path, max_bytes: int, limits: ShapeLimits
) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]], int]:
    """In this process (the sandbox's child): headers, (row number, values), header row."""
    suffix = _checked_suffix(path)
    data = _read_bytes(path, max_bytes)
    if suffix in CSV_SUFFIXES:
        return _csv_parts(data, file=path.name, limits=limits)
    _check_binary_kind(path.name, suffix, data)
    if data.startswith(ZIP_MAGIC) and suffix == ".ods":
        guards.check_ods(path.name, data, limits)
    elif data.startswith(ZIP_MAGIC) and suffix != ".xlsb":
        guards.check_xlsx(path.name, data, limits)
    return _workbook_parts(path.name, data, limits)


def parse_json_here(path: Path, max_bytes: int, limits: ShapeLimits) -> Any:
    """In this process (the sandbox's child): the parsed document, its depth bounded."""
    data = _read_bytes(path, max_bytes)
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{path.name}: это не JSON ({exc}).") from exc
    except RecursionError as exc:
        raise BadInputError(f"{path.name}: слишком глубокая вложенность JSON.") from exc
    guards.check_json(path.name, value, limits)
    return value


def decode_text(data: bytes, *, file: str) -> str:
    """UTF-8 (with or without BOM) first, then cp1251 as Russian Excel saves CSV."""
    if b"\x00" in data[:4096]:
        raise BadInputError(f"{file}: это двоичный файл, а не текст CSV.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{file}: не удалось определить кодировку (ожидается UTF-8 или Windows-1251)."
        ) from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter among `,` `;` and tab that splits the first lines most consistently."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1
    for delimiter in (";", "\t", ","):
        try:
            counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        except csv.Error:  # e.g. a cell over the field size limit: not this delimiter's fault
            continue
        # A real delimiter gives the header more than one column and the same count on
        # most lines; ties go to `;` and tab because `,` also appears in decimal commas.
        if counts[0] < 2:
            continue
        score = sum(1 for c in counts if c == counts[0]) * 100 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv_bytes(data: bytes, *, file: str, limits: ShapeLimits | None = None) -> Table:
    """Parse CSV bytes; empty records count as rows so numbers match Excel's."""
    return _table(file, *_csv_parts(data, file=file, limits=limits or ShapeLimits()))


def _csv_parts(
    data: bytes, *, file: str, limits: ShapeLimits
) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]], int]:
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        raise BadInputError(f"{file}: это таблица Excel, а не CSV; переименуйте файл в .xlsx/.xls.")
    text = decode_text(data, file=file)
    guards.check_csv_text(file, text, limits)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[Any] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        detail = (
            f"ячейка длиннее {csv.field_size_limit()} символов"
            if "field larger" in str(exc)
            else str(exc)
        )
        raise BadInputError(
            f"{file}, строка {reader.line_num}: повреждённый CSV ({detail})."
        ) from exc
    guards.check_columns(file, records, limits)
    return _record_parts(file, records, text=True)


def _table(
    file: str, headers: list[str], rows: list[tuple[int, tuple[Any, ...]]], header_row: int
) -> Table:
    return Table(file=file, headers=headers, rows=list(map(_new_row, rows)), header_row=header_row)


def _record_parts(
    file: str, records: list[Any], *, text: bool = False
) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]], int]:
    """Rows below the first non-empty record (the header); `text`: CSV lists of strings."""
    header_index = next((i for i, r in enumerate(records) if not _is_empty(r)), None)
    if header_index is None:
        raise BadInputError(f"{file}: файл пуст — нет строки заголовков.")
    headers = [_header_text(v) for v in records[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    body = records[header_index + 1 :]
    if text:
        # A CSV record is a list of strings: joined and trimmed in C, empty means skip.
        filled: Iterable[Any] = map(str.strip, map("".join, body))
    else:
        # Most rows start with a filled cell: only the others are scanned whole.
        filled = ((r and not is_blank(r[0])) or not _is_empty(r) for r in body)
    rows = list(compress(zip(count(header_index + 2), map(tuple, body)), filled))
    return headers, rows, header_index + 1


# Row((number, values)) without NamedTuple's Python-level __new__: a million rows in C.
_new_row = partial(tuple.__new__, Row)


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def _is_empty(record: Any) -> bool:
    return all(map(is_blank, record))


def _checked_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        known = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise BadInputError(
            f"{path.name}: неизвестный тип файла {suffix or '(без расширения)'}; "
            f"поддерживаются {known}."
        )
    return suffix


def _checked_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise BadInputError(f"Файл {path} не найден.") from exc
    except OSError as exc:
        raise BadInputError(f"Не удалось открыть файл {path}: {exc.strerror}.") from exc
    if size > max_bytes:
        raise BadInputError(
            f"{path.name}: файл слишком большой ({size // 1_048_576} МБ; предел "
            f"{max_bytes // 1_048_576} МБ)."
        )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    _checked_size(path, max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"Не удалось прочитать файл {path}: {exc.strerror}.") from exc


def _check_binary_kind(file: str, suffix: str, data: bytes) -> None:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<")):
        # Bitrix24's "Excel" export is an HTML table saved with an .xls name.
        raise BadInputError(
            f"{file}: это HTML/XML-страница, а не таблица {suffix}; "
            "выгрузите данные в CSV или сохраните файл в Excel как .xlsx."
        )
    if suffix in ZIP_SUFFIXES:
        if not data.startswith(ZIP_MAGIC):
            raise BadInputError(f"{file}: содержимое не соответствует расширению {suffix}.")
        check_zip(file, data)
    elif suffix in OLE_SUFFIXES and not data.startswith(OLE_MAGIC):
        if data.startswith(ZIP_MAGIC):
            check_zip(file, data)  # an .xlsx saved as .xls still opens, after the guard
        else:
            raise BadInputError(f"{file}: содержимое не соответствует расширению {suffix}.")


def check_zip(file: str, data: bytes) -> None:
    """Refuse a ZIP container whose declared unpacked size or entry count is excessive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise BadInputError(f"{file}: повреждённый файл ({exc}).") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise BadInputError(f"{file}: слишком много частей в архиве ({len(entries)}).")
    unpacked = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if unpacked > MAX_UNZIPPED_BYTES or (
        unpacked > 10 * 1_048_576 and unpacked / packed > MAX_ZIP_RATIO
    ):
        raise BadInputError(
            f"{file}: файл распаковывается в {unpacked // 1_048_576} МБ — похоже на zip-бомбу; "
            "файл отклонён."
        )


def _workbook_parts(
    file: str, data: bytes, limits: ShapeLimits
) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]], int]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise BadInputError(f"{file}: в книге нет листов.")
        # skip_empty_area=False keeps leading empty rows, so row numbers match Excel's.
        records = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise BadInputError(f"{file}: не удалось прочитать таблицу: {exc}.") from exc
    except (ValueError, OSError) as exc:
        raise BadInputError(f"{file}: не удалось прочитать таблицу: {exc}.") from exc
    guards.check_columns(file, records, limits)
    return _record_parts(file, [tuple(r) for r in records])

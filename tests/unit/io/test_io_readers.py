"""Readers: encodings, delimiters, real row numbers, size and content guards."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from clientbase.errors import BadInputError
from clientbase.io.readers import read_csv_bytes, read_table


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffname,region\nООО Ромашка,Москва\n", "utf-8"),
        ("name,region\nООО Ромашка,Москва\n", "utf-8"),
        ("name;region\r\nООО Ромашка;Москва\r\n", "cp1251"),
        ("name\tregion\nООО Ромашка\tМосква\n", "utf-8"),
    ],
    ids=["utf8-bom", "utf8", "cp1251-semicolon", "tab"],
)
def test_csv_is_read_in_any_common_encoding_and_delimiter(data: str, encoding: str) -> None:
    table = read_csv_bytes(data.encode(encoding), file="c.csv")
    assert table.headers == ["name", "region"]
    assert table.rows[0].values == ("ООО Ромашка", "Москва")
    assert table.rows[0].number == 2


def test_semicolon_file_with_decimal_commas_is_split_on_semicolons() -> None:
    table = read_csv_bytes("name;potential\nА;1 234,50\nБ;10,5\n".encode(), file="c.csv")
    assert table.headers == ["name", "potential"]
    assert table.rows[1].values == ("Б", "10,5")


def test_leading_empty_lines_of_a_csv_keep_the_row_numbers_excel_shows() -> None:
    table = read_csv_bytes(b"\n;\nname;region\nA;B\n\nC;D\n", file="c.csv")
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4, 6]


def test_an_xlsx_with_leading_empty_rows_keeps_excel_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    date = workbook.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(2, 1, ["Наименование", "Дата", "Потенциал"])
    sheet.write_string(3, 1, "ООО Ромашка")
    sheet.write_datetime(3, 2, dt.datetime(2026, 1, 5), date)
    sheet.write_number(3, 3, 1500.5)
    sheet.write_string(5, 1, "АО Лютик")
    workbook.close()
    table = read_table(path)
    assert table.header_row == 3
    assert table.headers[1:] == ["Наименование", "Дата", "Потенциал"]
    assert [r.number for r in table.rows] == [4, 6]
    assert table.rows[0].values[1:] == ("ООО Ромашка", dt.date(2026, 1, 5), 1500.5)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.csv", b"name\n" + b"x\n" * 1000)
    with pytest.raises(BadInputError, match="слишком большой"):
        read_table(path, max_bytes=1000)


def test_an_html_page_named_xlsx_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = _write(tmp_path / "deals.xls", b"<html><body><table><tr><td>1</td></tr></table>")
    with pytest.raises(BadInputError, match="HTML"):
        read_table(path)


def test_a_text_file_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "clients.xlsx", "name,region\nА,Б\n".encode())
    with pytest.raises(BadInputError, match="не соответствует расширению"):
        read_table(path)


def test_an_xlsx_named_csv_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "clients.csv", b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(BadInputError, match="Excel"):
        read_table(path)


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    path = _write(tmp_path / "bomb.xlsx", buffer.getvalue())
    assert path.stat().st_size < 100_000
    with pytest.raises(BadInputError, match="zip-бомбу"):
        read_table(path)


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="неизвестный тип файла"):
        read_table(_write(tmp_path / "a.pdf", b"%PDF"))


def test_a_missing_file_is_a_bad_input_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="не найден"):
        read_table(tmp_path / "nope.csv")


def test_a_corrupt_xlsx_is_a_bad_input_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", b"not a workbook")
    with pytest.raises(BadInputError):
        read_table(_write(tmp_path / "broken.xlsx", buffer.getvalue()))

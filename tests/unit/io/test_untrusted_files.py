"""Hostile files end in a clear Russian refusal from a bounded child, never a dead process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clientbase.errors import BadInputError
from clientbase.io import guards, readers, sandbox
from clientbase.settings import get_settings

sys.path.insert(0, str(Path(__file__).parents[2]))
import hostile_workbooks as hw


def _refusal(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    with pytest.raises(BadInputError) as caught:
        readers.read_table(path)
    message = caught.value.message
    assert message.startswith(path.name), message
    return message


def test_a_workbook_with_a_filled_cell_at_the_last_row_and_column_is_refused_by_its_size(
    tmp_path: Path,
) -> None:
    message = _refusal(tmp_path / "far.xlsx", hw.far_cell_xlsx())
    assert "слишком большой лист" in message and "1048576 строк × 16384 столбцов" in message


def test_a_shared_strings_part_declaring_billions_of_strings_is_refused(tmp_path: Path) -> None:
    assert "4000000000" in _refusal(tmp_path / "sst.xlsx", hw.shared_strings_bomb_xlsx())


def test_an_ods_row_repeated_a_million_times_is_refused_and_trailing_empty_rows_are_not(
    tmp_path: Path,
) -> None:
    assert "слишком большой лист" in _refusal(tmp_path / "far.ods", hw.ods_far_rows())
    normal = tmp_path / "normal.ods"
    normal.write_bytes(hw.ods_trailing_empty_rows())
    table = readers.read_table(normal)
    assert table.headers == ["Название", "Регион"]
    assert [r.values for r in table.rows] == [("ООО Ромашка", "Москва")]


def test_a_far_empty_styled_cell_does_not_count_as_data(tmp_path: Path) -> None:
    path = tmp_path / "styled.xlsx"
    path.write_bytes(
        hw.xlsx(
            f'<row r="1">{hw.text_cell("A1", "Название")}</row>'
            f'<row r="2">{hw.text_cell("A2", "ООО А")}<c r="XFD2" s="1"/></row>'
            '<row r="1048576"><c r="XFD1048576" s="1"></c></row>',
            dimension="A1:XFD1048576",
        )
    )
    assert [r.values for r in readers.read_table(path).rows] == [("ООО А",)]


def test_when_the_reader_itself_aborts_the_caller_gets_a_message_and_lives_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Limits so high that the cheap check lets the file through: the Rust reader then
    # aborts its process (SIGABRT) — the child's, not ours.
    monkeypatch.setenv("CLIENTBASE_READER_MAX_CELLS", str(10**15))
    monkeypatch.setenv("CLIENTBASE_READER_MAX_COLUMNS", str(10**6))
    get_settings.cache_clear()
    try:
        message = _refusal(tmp_path / "far.xlsx", hw.far_cell_xlsx())
    finally:
        get_settings.cache_clear()
    assert "слишком большой лист или файл повреждён" in message


def _refusal_under(monkeypatch: pytest.MonkeyPatch, setting: str, path: Path, data: bytes) -> str:
    """The refusal of `data` read with one reader setting lowered (e.g. its memory)."""
    name, value = setting.split("=")
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return _refusal(path, data)
    finally:
        get_settings.cache_clear()


def test_a_child_over_its_memory_limit_ends_in_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"name;region\n" + b"a;b\n" * 3_000_000
    message = _refusal_under(
        monkeypatch, "CLIENTBASE_READER_MEMORY_MB=200", tmp_path / "big.csv", data
    )
    assert "не хватило памяти" in message


def test_csv_wider_than_the_column_limit_or_with_a_huge_line_is_refused(tmp_path: Path) -> None:
    wide = (";".join(f"c{i}" for i in range(2500)) + "\n").encode()
    assert "2500 столбцов" in _refusal(tmp_path / "wide.csv", wide)
    long = b"name;region\n" + b"a" * 1_200_000 + b";b\n"
    assert "строка 2" in _refusal(tmp_path / "long.csv", long)


def test_json_nested_too_deep_is_refused_and_a_normal_dump_is_read(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 50_000 + b"]" * 50_000)
    with pytest.raises(BadInputError, match="вложенност"):
        readers.read_json(deep)
    nested = tmp_path / "nested.json"
    nested.write_bytes(b'{"a": ' * 100 + b"1" + b"}" * 100)
    with pytest.raises(BadInputError, match="глубже 64"):
        readers.read_json(nested)
    fine = tmp_path / "fine.json"
    fine.write_text('{"_embedded": {"leads": [{"id": 1, "name": "Сделка"}]}}')
    assert readers.read_json(fine)["_embedded"]["leads"][0]["name"] == "Сделка"


def test_settings_files_are_read_in_the_child_with_a_clear_error(tmp_path: Path) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text('[[rules]]\nname = "VIP"\n', encoding="utf-8")
    assert readers.read_settings(toml, what="Файл правил") == {"rules": [{"name": "VIP"}]}
    bad = tmp_path / "rules.json"
    bad.write_text('{"rules": [', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"^Файл правил rules.json: ошибка JSON в строке 1"):
        readers.read_settings(bad, what="Файл правил")


def test_the_child_answer_is_read_without_building_any_class_but_dates() -> None:
    import pickle

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    with pytest.raises(pickle.UnpicklingError):
        sandbox._PlainUnpickler(__import__("io").BytesIO(pickle.dumps(("ok", Evil())))).load()


def test_the_extent_scan_reads_cells_cut_by_a_chunk_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "CHUNK_BYTES", 7)
    rows = "".join(
        f'<row r="{n}">{hw.text_cell(f"A{n}", "x")}{hw.text_cell(f"C{n}", "y")}</row>'
        for n in range(1, 40)
    )
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(hw.xlsx(rows))) as archive:
        assert guards.xlsx_extent("t.xlsx", archive, "xl/worksheets/sheet1.xml") == (39, 3)


def test_a_child_over_its_cpu_time_ends_in_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"name;region;inn\n" + b'"a";"b";"1"\n' * 6_000_000
    message = _refusal_under(
        monkeypatch, "CLIENTBASE_READER_CPU_SECONDS=1", tmp_path / "slow.csv", data
    )
    assert "заняло слишком много времени" in message


def test_a_big_csv_saved_with_mac_line_endings_is_not_taken_for_one_long_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"name;region\r" + b"\xce\xce\xce;\xcc\xee\xf1\xea\xe2\xe0\r" * 150_000)
    table = readers.read_table(path)
    assert len(table.rows) == 150_000 and table.rows[0].values == ("ООО", "Москва")

"""The password policy (core/passwords.py) and the common-password list shipped with it."""

from __future__ import annotations

import pytest

from clientbase.core.passwords import password_problems
from clientbase.services.accounts import common_passwords

COMMON = frozenset({"password", "qwerty", "dragon", "admin", "1234567890", "qwertyuiop", "a"})


@pytest.mark.parametrize(
    ("password", "login", "problems"),
    [
        # Refused: what a guesser tries first.
        ("12345678", "rop", ["короче 10 символов", "это символы подряд, как 12345… или abcde…"]),
        (
            "aaaaaaaa",
            "rop",
            ["короче 10 символов", "это один символ или фрагмент, повторённый несколько раз"],
        ),
        ("aaaaaaaaaaaa", "rop", ["это один символ или фрагмент, повторённый несколько раз"]),
        ("weak4weak4", "admin", ["это один символ или фрагмент, повторённый несколько раз"]),
        ("abcdefghijk", "rop", ["это символы подряд, как 12345… или abcde…"]),
        ("9876543210", "rop", ["это символы подряд, как 12345… или abcde…"]),
        ("QwertyUiop", "rop", ["он есть в списке самых распространённых паролей"]),
        ("Password@123", "rop", ["он есть в списке самых распространённых паролей"]),
        ("2024dragon!!", "rop", ["он есть в списке самых распространённых паролей"]),
        ("admin-2024-x", "admin", ["он содержит логин"]),
        ("my-ROP-password", "rop", ["он содержит логин"]),
        (
            "x" * 201,
            "rop",
            ["длиннее 200 символов", "это один символ или фрагмент, повторённый несколько раз"],
        ),
        # Accepted: long enough, no pattern, the common word is not the whole of it.
        ("import-pass-1", "rop", []),
        ("browser-pass-1", "admin", []),
        ("hostile-pass-1", "manager", []),
        ("dragon#8kq2!x", "rop", []),
        ("a7#9$2!5@8", "rop", []),  # `a` alone is in the list but stands for nothing here
        ("secret-pass", "m", []),  # a one-letter login is not looked for
        ("Зимний-вечер-7", "rop", []),
    ],
)
def test_the_policy_refuses_what_a_guesser_tries_first_and_says_why(
    password: str, login: str, problems: list[str]
) -> None:
    assert password_problems(password, login=login, common=COMMON) == problems


def test_the_minimum_length_is_a_parameter() -> None:
    assert password_problems("kpi-pass", login="rop", common=COMMON, min_length=8) == []
    assert password_problems("kpi-pass", login="rop", common=COMMON, min_length=12) == [
        "короче 12 символов"
    ]


def test_the_shipped_list_holds_twenty_thousand_lowercased_common_passwords() -> None:
    common = common_passwords()
    assert 19_000 < len(common) < 21_000
    assert {"123456", "password", "qwerty123", "1q2w3e4r5t", "zaq12wsx"} <= common
    assert all(p == p.lower() for p in common)


def test_every_password_the_tests_and_the_benchmarks_use_passes_the_real_policy() -> None:
    used = [
        "import-pass-1", "browser-pass-1", "hostile-pass-1", "cycle-pass-1", "serve-pass-1",
        "matrix-pass-1", "plans-pass-1", "roles-pass-1", "api-pass-1", "i18n-pass-1",
        "kpi-pass-1", "bonus-pass-1", "xsell-pass-1", "rotation-pass-1", "board-pass-1",
        "schema-pass-1", "test-password", "secret-pass", "bench-password-123",
        "flood-pass-12",
    ]  # fmt: skip
    for password in used:
        for login in ("admin", "rop", "manager", "head", "bench-head", "worker"):
            assert password_problems(password, login=login, common=common_passwords()) == []

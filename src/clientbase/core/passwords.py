"""The password policy: long enough, not common, not a pattern, not the login.

Pure rules: the list of common passwords is handed in by the caller (services/accounts.py
reads the one shipped in `clientbase/data`). What a guesser tries first is refused: short
passwords, the most common ones — also with digits or signs around them
(`Password@123`, `qwerty2024`) —, one character or one chunk repeated (`aaaaaaaaaa`,
`weak4weak4`), a run of the keyboard's digits or the alphabet (`1234567890`, `abcdefghij`),
and any password holding the login (`admin12345` for `admin`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import pairwise

MIN_LENGTH = 10
MAX_LENGTH = 200
# A common word is recognised inside digits and signs only when it is at least this long:
# `a7#9$2!5@8` stands for nothing common even though `a` is in the list.
MIN_CORE = 4
# Logins shorter than this are not looked for inside the password (`m` would refuse half).
MIN_LOGIN_CHECKED = 3

_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _repeats_a_chunk(text: str) -> bool:
    """True when the text is one chunk written two or more times (`abab`, `aaaa`)."""
    size = len(text)
    return any(
        size % period == 0 and text == text[:period] * (size // period)
        for period in range(1, size // 2 + 1)
    )


def _is_a_run(text: str) -> bool:
    """True for a run of consecutive characters, up or down (`34567`, `fedcba`)."""
    steps = {ord(b) - ord(a) for a, b in pairwise(text)}
    return steps in ({1}, {-1})


def password_problems(
    password: str, *, login: str, common: Collection[str], min_length: int = MIN_LENGTH
) -> list[str]:
    """What is wrong with a password, in Russian (empty when it may be used)."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(f"короче {min_length} символов")
    if len(password) > MAX_LENGTH:
        problems.append(f"длиннее {MAX_LENGTH} символов")
    folded = password.lower()
    if password and _repeats_a_chunk(folded):
        problems.append("это один символ или фрагмент, повторённый несколько раз")
    elif len(password) > 2 and _is_a_run(folded):
        problems.append("это символы подряд, как 12345… или abcde…")
    core = _AROUND.sub("", folded)
    if folded in common or (len(core) >= MIN_CORE and core in common):
        problems.append("он есть в списке самых распространённых паролей")
    name = login.strip().lower()
    if len(name) >= MIN_LOGIN_CHECKED and name in folded:
        problems.append("он содержит логин")
    return problems


def policy_text(min_length: int = MIN_LENGTH) -> str:
    """The policy in one Russian sentence (for help texts)."""
    return (
        f"не короче {min_length} символов, не из списка распространённых паролей, "
        "не повтор одного символа или фрагмента и без логина внутри"
    )

"""Login throttling rules (core/login_throttle.py): the account's brake, the address window."""

from __future__ import annotations

import datetime as dt

import pytest

from clientbase.core.login_throttle import AccountBrake, AddressWindow, address_key

NOW = dt.datetime(2026, 11, 26, 9, 0)
BRAKE = AccountBrake()


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (1, 0),
        (4, 0),
        (5, 0),
        (6, 15),
        (7, 30),
        (8, 60),
        (9, 120),
        (11, 480),
        (12, 900),
        (13, 900),
        (10_000, 900),
    ],
)
def test_the_first_five_wrong_passwords_cost_nothing_then_the_wait_doubles_up_to_15_minutes(
    failures: int, seconds: int
) -> None:
    assert BRAKE.wait_after(failures) == dt.timedelta(seconds=seconds)


def test_a_wrong_password_counts_on_from_the_last_run_unless_it_is_an_hour_old() -> None:
    assert BRAKE.after_failure(0, None, NOW) == (1, NOW)
    assert BRAKE.after_failure(5, NOW, NOW + dt.timedelta(minutes=1)) == (
        6,
        NOW + dt.timedelta(minutes=1, seconds=15),
    )
    two_hours = NOW + dt.timedelta(hours=2)
    assert BRAKE.after_failure(9, NOW, two_hours) == (1, two_hours)


def test_an_account_waits_only_until_the_end_of_its_wait() -> None:
    until = NOW + dt.timedelta(seconds=15)
    assert BRAKE.waiting(until, NOW)
    assert not BRAKE.waiting(until, until)
    assert not BRAKE.waiting(None, NOW)


def test_an_address_is_refused_past_its_limit_until_its_oldest_failure_leaves_the_window() -> None:
    window = AddressWindow(limit=3, window_seconds=600)
    assert [window.admit("10.0.0.1", t) for t in (0.0, 10.0, 20.0)] == [0.0, 0.0, 0.0]
    assert window.admit("10.0.0.1", 30.0) == pytest.approx(570.0)
    assert window.retry_after("10.0.0.1", 30.0) == pytest.approx(570.0)
    assert window.admit("10.0.0.2", 30.0) == 0.0  # another address is not affected
    assert window.admit("10.0.0.1", 600.5) == 0.0  # the first failure has left the window
    assert window.admit("10.0.0.1", 601.0) > 0


def test_a_successful_attempt_is_forgiven() -> None:
    window = AddressWindow(limit=2, window_seconds=600)
    window.admit("10.0.0.1", 1.0)
    window.admit("10.0.0.1", 2.0)
    window.forgive("10.0.0.1", 2.0)
    assert window.retry_after("10.0.0.1", 3.0) == 0.0
    assert window.admit("10.0.0.1", 3.0) == 0.0


def test_the_window_forgets_quiet_addresses_and_never_grows_past_its_bound() -> None:
    window = AddressWindow(limit=5, window_seconds=60, max_addresses=100)
    for n in range(1_000):
        window.admit(f"10.0.{n // 256}.{n % 256}", float(n) / 100)
    assert len(window) <= 100
    window.admit("10.9.9.9", 10_000.0)
    assert len(window) == 1


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_is_throttled_by_its_64_network(host: str | None, key: str) -> None:
    assert address_key(host) == key

"""Login throttling rules (docs/decisions/0025-login-throttling.md).

Two brakes, neither of which locks the real owner out:

- **per account** (`AccountBrake`): the first few wrong passwords in a row cost nothing;
  after them each wrong password makes the account's next check wait, doubling from a few
  seconds up to a ceiling. Attempts during the wait are answered "wrong" without looking
  at the password and do not lengthen it. A browser that has logged in to the account
  before is not held by the wait (services/accounts.py, the device cookie).
- **per client address** (`AddressWindow`): a sliding window of failed attempts; past the
  limit the address is refused (HTTP 429) until its oldest failure leaves the window.

Pure: times are handed in; nothing here reads a clock, a database or a request.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountBrake:
    """How wrong passwords in a row space out an account's next attempts."""

    free_failures: int = 5
    first_wait: dt.timedelta = dt.timedelta(seconds=15)
    longest_wait: dt.timedelta = dt.timedelta(minutes=15)
    # Failures older than this (counted from the end of the last wait) are forgotten.
    memory: dt.timedelta = dt.timedelta(hours=1)

    def waiting(self, until: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether the account's attempts are refused unchecked until `until`."""
        return until is not None and until > now

    def wait_after(self, failures: int) -> dt.timedelta:
        """The wait that follows the `failures`-th wrong password in a row."""
        excess = failures - self.free_failures
        if excess <= 0:
            return dt.timedelta(0)
        doubled: dt.timedelta = self.first_wait * 2 ** min(excess - 1, 30)
        return min(doubled, self.longest_wait)

    def after_failure(
        self, failures: int, until: dt.datetime | None, now: dt.datetime
    ) -> tuple[int, dt.datetime]:
        """The count and the end of the wait after one more wrong password.

        `until` is also the moment of the last failure when it brought no wait, so an old
        run of typos is forgotten after `memory`.
        """
        if until is None or now - until > self.memory:
            failures = 0
        failures += 1
        return failures, now + self.wait_after(failures)


def address_key(host: str | None) -> str:
    """The throttling key of a client address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 host usually holds a whole /64, so keying by the full address would give an
    attacker billions of fresh keys.
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class AddressWindow:
    """Failed login attempts per client address in a sliding window (one per web worker).

    An attempt is counted when it is admitted and forgiven when it succeeds, so attempts
    still running count too: sixty parallel requests from one address cannot all slip in
    before the first one fails. Memory is bounded: addresses whose attempts all left the
    window are dropped, and beyond `max_addresses` the least recently seen go first.
    """

    def __init__(self, *, limit: int, window_seconds: float, max_addresses: int = 100_000):
        self.limit = limit
        self.window = window_seconds
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _expire(self, stamps: deque[float], now: float) -> None:
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()

    def _prune(self, now: float) -> None:
        while self._seen:
            key, stamps = next(iter(self._seen.items()))
            if stamps and stamps[-1] > now - self.window and len(self._seen) <= self.max_addresses:
                return
            del self._seen[key]

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until this address may try again; 0 when it may try now."""
        with self._lock:
            stamps = self._seen.get(key)
            if stamps is None:
                return 0.0
            self._expire(stamps, now)
            if len(stamps) < self.limit:
                return 0.0
            return max(0.001, stamps[0] + self.window - now)

    def admit(self, key: str, now: float) -> float:
        """Count an attempt and return 0, or refuse it: seconds until the next may come."""
        with self._lock:
            stamps = self._seen.get(key)
            if stamps is None:
                stamps = self._seen[key] = deque()
            self._expire(stamps, now)
            if len(stamps) >= self.limit:
                return max(0.001, stamps[0] + self.window - now)
            stamps.append(now)
            self._seen.move_to_end(key)
            self._prune(now)
            return 0.0

    def forgive(self, key: str, stamp: float) -> None:
        """Take back an admitted attempt that succeeded."""
        with self._lock:
            stamps = self._seen.get(key)
            if stamps is not None and stamp in stamps:
                stamps.remove(stamp)

    def __len__(self) -> int:
        return len(self._seen)

"""Settings from the environment (prefix CLIENTBASE_) and a `.env` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///clientbase.db"


class Settings(BaseSettings):
    """Runtime settings of clientbase."""

    model_config = SettingsConfigDict(
        env_prefix="CLIENTBASE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    language: str = "ru"
    sqlite_busy_timeout_ms: int = 30_000
    # Calendar days of Unix timestamps (amoCRM) are counted in this zone (docs/import.md).
    business_timezone: str = "Europe/Moscow"
    # Web sessions (docs/operations.md): ended after this long without a request, and
    # after this long in any case; cookies marked Secure when served over HTTPS.
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    secure_cookies: bool = False
    # Login rate limit: after this many wrong passwords in a row the account waits.
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # The in-app scheduler of `serve` and the ASGI factory (services/scheduler.py); turn it
    # off when cron runs `clientbase jobs run` instead.
    scheduler: bool = True
    # Untrusted files are parsed in a child process with these limits (io/sandbox.py):
    # its address space and CPU time, and the largest sheet (rows × columns) and width.
    reader_memory_mb: int = 4096
    reader_cpu_seconds: int = 300
    reader_max_cells: int = 50_000_000
    reader_max_columns: int = 2_000
    # Logins (docs/decisions/0025-login-throttling.md). `login_max_failures` above is the
    # number of wrong passwords in a row that cost nothing; after them each one makes the
    # account's next check wait, from `login_first_wait_seconds` doubling up to
    # `login_lock_minutes`; a run of failures is forgotten after `login_failure_memory_minutes`.
    login_first_wait_seconds: int = 15
    login_failure_memory_minutes: int = 60
    # Failed logins one client address may make in a sliding window (per web worker): past
    # that it is answered 429 until its oldest failure leaves the window.
    login_address_failures: int = 30
    login_address_window_minutes: int = 10
    # Password hash checks running at once (Argon2id: 64 MiB and about 0.2 s of CPU each);
    # 0 = one per CPU core.
    login_hash_concurrency: int = 0
    password_min_length: int = 10


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process."""
    return Settings()

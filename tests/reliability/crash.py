"""Killing a real `clientbase` process at a failpoint, mid-transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from clientbase.db.failpoints import ENV_MARKER, ENV_POINT


def kill_at_failpoint(
    args: list[str], marker: Path, *, point: str = "before-commit", timeout: float = 120
) -> None:
    """Run `clientbase ARGS`, wait until it freezes at the failpoint, then SIGKILL it."""
    env = {k: v for k, v in os.environ.items() if k != "CLIENTBASE_DATABASE_URL"}
    env.update({ENV_POINT: point, ENV_MARKER: str(marker), "COLUMNS": "200"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "clientbase", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            if proc.poll() is not None:
                _out, err = proc.communicate()
                raise AssertionError(f"finished before the failpoint: {proc.returncode}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError("the failpoint was not reached in time")
            time.sleep(0.05)
        assert int(marker.read_text()) == proc.pid
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def integrity_ok(engine: Engine) -> bool:
    """SQLite's full integrity check (PostgreSQL guarantees it itself); FKs checked on both."""
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            return True
        result = conn.execute(text("PRAGMA integrity_check")).scalar()
        broken = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
        return result == "ok" and not broken


def kill_after_acknowledgement(args: list[str], acknowledgement: str, timeout: float = 120) -> str:
    """Run `clientbase ARGS`, SIGKILL it the moment it prints `acknowledgement`."""
    env = {k: v for k, v in os.environ.items() if k != "CLIENTBASE_DATABASE_URL"}
    env.update({"COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "clientbase", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in proc.stdout:
            seen.append(line)
            if acknowledgement in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                raise AssertionError("no acknowledgement in time")
        else:
            raise AssertionError(f"never acknowledged: {''.join(seen)}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return "".join(seen)

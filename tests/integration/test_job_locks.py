"""Named job locks: one worker runs a job; a lock left by a dead process expires."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from clientbase.errors import ConflictError
from clientbase.services.locks import acquire, job_lock, release


def test_concurrent_second_run_is_refused_by_the_lock(engine: Engine) -> None:
    with (
        job_lock(engine, "rotation", "worker-1"),
        pytest.raises(ConflictError, match="уже выполняется"),
    ):
        acquire(engine, "rotation", "worker-2")
    with job_lock(engine, "rotation", "worker-2"):
        pass


def test_expired_lock_is_taken_over(engine: Engine) -> None:
    acquire(engine, "rotation", "dead-worker", ttl_seconds=-1)
    acquire(engine, "rotation", "worker-2")
    release(engine, "rotation", "worker-2")

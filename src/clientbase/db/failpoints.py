"""Named points where a crash test can freeze a process mid-transaction and kill it.

Off unless the environment names the point: `CLIENTBASE_FAILPOINT=before-commit` makes the
first write transaction that reaches it flush all its changes to the database, write its
process id to `CLIENTBASE_FAILPOINT_MARKER`, and sleep — so a test can `SIGKILL` it at
exactly the worst moment and check that nothing of the transaction survives.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy.orm import Session

ENV_POINT = "CLIENTBASE_FAILPOINT"
ENV_MARKER = "CLIENTBASE_FAILPOINT_MARKER"


def failpoint(name: str, session: Session | None = None) -> None:
    """Freeze here (after flushing `session`) when the environment names this point."""
    if os.environ.get(ENV_POINT) != name:
        return
    if session is not None:
        session.flush()
    marker = os.environ.get(ENV_MARKER)
    if marker:
        # Written aside and renamed: the waiting test never sees the file half written.
        staged = Path(f"{marker}.part")
        staged.write_text(str(os.getpid()), encoding="utf-8")
        os.replace(staged, marker)
    while True:  # pragma: no cover - ends with the kill
        time.sleep(1)

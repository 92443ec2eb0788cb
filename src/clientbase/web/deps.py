"""FastAPI dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Engine


def get_engine(request: Request) -> Engine:
    """The database engine the app was built on."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


# A database id as a path parameter: 64-bit, positive, so huge numbers are a 422, not a crash.
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]

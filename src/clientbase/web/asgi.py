"""ASGI entry point for running several workers: `uvicorn --factory clientbase.web.asgi:app`.

The database comes from CLIENTBASE_DATABASE_URL (or `.env`), as for every command.
"""

from __future__ import annotations

from fastapi import FastAPI

from clientbase.services import database
from clientbase.settings import get_settings
from clientbase.web.app import create_app


def app() -> FastAPI:
    """A web application on the configured database, which must be at the current schema."""
    return create_app(database.open_database(None), scheduler=get_settings().scheduler)

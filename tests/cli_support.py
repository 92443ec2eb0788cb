"""Small shared builders for tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from clientbase.services.demo import DemoParams, create_demo


def demo_engine_today(engine: Engine, today: dt.date, clients: int = 250) -> None:
    """A small demo company on the engine, as of `today`."""
    create_demo(engine, DemoParams(clients=clients, months=6, today=today))

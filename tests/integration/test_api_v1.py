"""The REST API: a plan solved, explained and applied over HTTP with the CSRF header."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clientbase.services import accounts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from web_helpers import log_in

PASSWORD = "api-pass-1"


def test_a_plan_goes_through_the_api_and_writes_need_the_csrf_header(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=200, months=2, today=dt.date.today()))
    accounts.ensure_demo_accounts(engine, password=PASSWORD)
    with TestClient(create_app(engine)) as client:
        log_in(client, "rop", PASSWORD)
        session = client.get("/api/v1/session").json()
        assert session["role"] == "head" and session["csrf_token"]
        assert client.post("/api/v1/plans", params={"time_limit": 3}).status_code == 403
        header = {"X-CSRF-Token": session["csrf_token"]}
        started = client.post("/api/v1/plans", params={"time_limit": 3}, headers=header)
        assert started.status_code == 202
        job_id = started.json()["job_id"]
        deadline = time.monotonic() + 60
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        while not job["finished"] and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.get(f"/api/v1/jobs/{job_id}").json()
        assert job["status"] == "done", job
        plan_id = job["result"]["plan_id"]
        plan = client.get(f"/api/v1/plans/{plan_id}").json()
        assert plan["summary"]["status"] == "draft" and "moves" in plan
        if plan["moves"]:
            cid = plan["moves"][0]["client_id"]
            why = client.get(f"/api/v1/plans/{plan_id}/explain/{cid}").json()
            assert why["text"]
        applied = client.post(f"/api/v1/plans/{plan_id}/apply", headers=header)
        assert applied.status_code == 200 and applied.json()["moved"] == len(plan["moves"]) - sum(
            1 for m in plan["moves"] if m["before"] is None
        )
        again = client.post(f"/api/v1/plans/{plan_id}/apply", headers=header)
        assert again.status_code == 409

"""How far a running import is, through the running system: the importer writes its progress into the
key-value bucket while the upload waits, and the gateway answers it to the uploader alone."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from opendso_cli.generator import GeneratorConfig, write_csv
from opendso_cli.supervisor import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_the_uploader_sees_the_import_under_way_then_done_and_another_user_sees_nothing(system: System) -> None:
    buffer = io.BytesIO()
    rows = write_csv(GeneratorConfig(customers=1500, today=dt.date.today()), buffer)
    content = buffer.getvalue()
    key = f"progress-{uuid.uuid4()}"
    url = f"{system.base_url}/api/v1/imports/progress"
    admin = system.admin_headers()
    answers: dict[str, Any] = {}

    def upload() -> None:
        answers["upload"] = httpx.post(
            f"{system.base_url}/api/v1/imports/receivables",
            files={"file": ("ledger.csv", content, "text/csv")},
            headers={**admin, "Idempotency-Key": key},
            timeout=120,
        )

    sending = threading.Thread(target=upload)
    sending.start()
    seen: list[dict[str, Any]] = []
    while sending.is_alive():
        answer = httpx.get(url, params={"key": key}, headers=admin, timeout=10)
        assert answer.status_code in (200, 404), answer.text
        if answer.status_code == 200:
            seen.append(answer.json())
        time.sleep(0.1)
    sending.join()

    report = answers["upload"]
    assert report.status_code == 200, report.text
    assert report.json()["rows_read"] == rows
    assert seen, "no progress answered while the import ran"
    assert {p["file_name"] for p in seen} == {"ledger.csv"}
    under_way = [p for p in seen if p["phase"] != "done"]
    assert under_way, f"the import was never seen under way: {seen}"
    assert all(0 <= p["rows_read"] <= rows for p in under_way)

    # Written before the answer: done, with every row read.
    last = httpx.get(url, params={"key": key}, headers=admin, timeout=10).json()
    assert (last["phase"], last["rows_read"], last["percent"]) == ("done", rows, 100)
    assert last["file_bytes"] == len(content)
    assert last["rows_estimated"] == rows

    email = f"progress-{uuid.uuid4().hex[:8]}@example.com"
    password = "Vltava-tram-22-" + uuid.uuid4().hex[:8]
    created = httpx.post(
        f"{system.base_url}/api/v1/users",
        json={"email": email, "name": "Other", "role": "admin", "password": password, "entities": "all"},
        headers=admin,
        timeout=10,
    )
    assert created.status_code in (200, 201), created.text
    other = system.sign_in(email, password)
    assert httpx.get(url, params={"key": key}, headers=other, timeout=10).status_code == 404

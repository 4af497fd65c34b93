"""The whole system as separate processes: a CSV uploaded to the gateway ends
as agenda tasks, readable e-mails in the outbox and an aging balance."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import time
from collections.abc import Callable
from email import policy
from pathlib import Path

import httpx
import pytest
from opendso_cli.demo import HEADER, demo_csv
from opendso_cli.supervisor import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.1)


def agenda(system: System, **params: str) -> dict:  # type: ignore[type-arg]
    answer = httpx.get(
        f"{system.base_url}/api/v1/agenda",
        params={"page_size": "500", **params},
        headers=system.admin_headers(),
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def outbox_files(system: System) -> list[Path]:
    folder = system.var / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_an_uploaded_csv_becomes_tasks_emails_and_aging(system: System) -> None:
    today = dt.date.today()
    upload = httpx.post(
        f"{system.base_url}/api/v1/imports/receivables",
        files={"file": ("demo.csv", demo_csv(today), "text/csv")},
        headers=system.admin_headers(),
        timeout=60,
    )
    assert upload.status_code == 200, upload.text
    report = upload.json()
    assert report["customers_created"] == 5
    assert report["items_opened"] == 8
    # The demo's bad row comes back with its row, column and reason.
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(10, "email"), (10, "due_date")}
    trace_id = upload.headers["traceparent"].split("-")[1]

    wait_for(lambda: len(outbox_files(system)) == 3, what="three e-mails in the outbox")
    mails = {
        m["To"]: m
        for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox_files(system))
    }
    assert set(mails) == {"ap@acme.example", "compta@dupont.example", "buchhaltung@mueller.example"}
    german = mails["buchhaltung@mueller.example"]
    body = german.get_body(("plain",)).get_content()
    assert "Müller Maschinenbau GmbH" in body
    assert "INV-3001" in body and "15.000,00\xa0€" in body
    assert german["Subject"].startswith("Zweite Mahnung")
    # One trace follows the file from the gateway to each e-mail it caused.
    assert {m["X-OpenDSO-Trace-Id"] for m in mails.values()} == {trace_id}

    def agenda_complete() -> bool:
        return agenda(system)["total"] == 5

    wait_for(agenda_complete, what="five agenda tasks")
    tasks = {t["account_number"]: t for t in agenda(system)["items"]}
    assert tasks["C001"]["step"] == "friendly"
    assert tasks["C002"]["step"] == "first"
    assert tasks["C003"]["step"] == "second"
    assert tasks["C004"]["step"] == "call" and tasks["C004"]["status"] == "open"
    # No e-mail address: the automatic step falls to a collector.
    assert tasks["C005"]["status"] == "open"
    wait_for(
        lambda: all(
            t["status"] == "done"
            for t in agenda(system, channel="email", entity="DEMO")["items"]
            if t["account_number"] in {"C001", "C002", "C003"}
        ),
        what="e-mail tasks done",
    )

    account = httpx.get(
        f"{system.base_url}/api/v1/customers/DEMO/C003", headers=system.admin_headers(), timeout=10
    ).json()
    assert account["customer"]["name"] == "Müller Maschinenbau GmbH"
    assert {i["number"] for i in account["items"]} == {"INV-3001", "CN-3001"}
    missing = httpx.get(f"{system.base_url}/api/v1/customers/DEMO/NOPE", headers=system.admin_headers(), timeout=10)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    def aged() -> bool:
        body = httpx.get(
            f"{system.base_url}/api/v1/reports/aging",
            params={"entity": "DEMO"},
            headers=system.admin_headers(),
            timeout=10,
        ).json()
        return {c["currency"]: c["total"]["amount"] for c in body["currencies"]} == {
            "EUR": "16905.50",
            "USD": "5779.99",
        }

    wait_for(aged, what="aging totals")

    def told() -> bool:
        # An item's timeline finds the e-mail too, though the message event names only its task.
        body = httpx.get(
            f"{system.base_url}/api/v1/customers/DEMO/C003/timeline",
            params={"item": "DEMO/invoice/INV-3001"},
            headers=system.admin_headers(),
            timeout=10,
        ).json()
        return {"item.opened", "task.created", "message.sent"} <= {e["kind"] for e in body["entries"]}

    wait_for(told, what="C003's timeline with the item, its task and its e-mail")

    # The same file again changes nothing and sends nothing.
    again = httpx.post(
        f"{system.base_url}/api/v1/imports/receivables",
        files={"file": ("demo.csv", demo_csv(today), "text/csv")},
        headers=system.admin_headers(),
        timeout=60,
    ).json()
    assert (again["customers_created"], again["items_opened"], again["items_changed"]) == (0, 0, 0)
    time.sleep(1.0)  # give a wrongly re-sent message time to appear before counting
    assert len(outbox_files(system)) == 3
    assert agenda(system)["total"] == 5


def _overdue_csv(customers: int, today: dt.date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    due = today - dt.timedelta(days=4)
    for n in range(customers):
        writer.writerow(
            [
                "LOAD",
                f"L{n:05d}",
                f"Load Customer {n}",
                f"ap{n}@load.example",
                "en",
                "GB",
                "",
                f"INV-{n:05d}",
                "invoice",
                (due - dt.timedelta(days=30)).isoformat(),
                due.isoformat(),
                "100.00",
                "100.00",
                "EUR",
                "",
            ]
        )
    return out.getvalue().encode()


def test_killing_the_scenario_service_mid_flow_loses_no_task_and_duplicates_none(system: System) -> None:
    customers = 300
    upload = httpx.post(
        f"{system.base_url}/api/v1/imports/receivables",
        files={"file": ("load.csv", _overdue_csv(customers, dt.date.today()), "text/csv")},
        headers=system.admin_headers(),
        timeout=120,
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["items_opened"] == customers

    wait_for(lambda: agenda(system, entity="LOAD")["total"] > 0, what="first tasks")
    system.kill("scenario")
    killed_at = agenda_total = 0
    try:
        killed_at = len(outbox_files(system))
    finally:
        system.restart("scenario")

    def all_tasks() -> bool:
        nonlocal agenda_total
        try:
            agenda_total = agenda(system, entity="LOAD")["total"]
        except httpx.HTTPError:
            return False
        return agenda_total == customers and len(outbox_files(system)) == customers

    wait_for(all_tasks, timeout=120, what=f"{customers} tasks and e-mails")
    time.sleep(1.0)  # a duplicate would show up now
    assert agenda(system, entity="LOAD")["total"] == customers
    recipients = [email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in outbox_files(system)]
    assert len(recipients) == len(set(recipients)) == customers
    assert killed_at < customers, "the kill happened after all the work was done; the test proved nothing"

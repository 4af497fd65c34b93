"""Imports through the running system: a large generated ledger through the object
store, a full snapshot, and files left in the drop folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from opendso_cli.generator import GeneratorConfig, write_csv
from opendso_cli.supervisor import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.1)


def open_totals(content: bytes, entity: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in csv.DictReader(io.StringIO(content.decode()), delimiter=";"):
        if row["entity"] == entity:
            amount = Decimal(row["open_amount"].replace(",", "."))
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + amount
    return {c: v for c, v in totals.items() if v}


def aging_totals(system: System, entity: str) -> dict[str, Decimal]:
    body = httpx.get(
        f"{system.base_url}/api/v1/reports/aging", params={"entity": entity}, headers=system.admin_headers(), timeout=10
    ).json()
    return {c["currency"]: Decimal(c["total"]["amount"]) for c in body["currencies"]}


def test_a_large_ledger_goes_through_the_object_store_and_a_snapshot_closes_what_was_paid(system: System) -> None:
    buffer = io.BytesIO()
    rows = write_csv(GeneratorConfig(customers=1500, today=dt.date.today()), buffer)
    content = buffer.getvalue()
    assert len(content) > 1024 * 1024  # over the inline limit: the object store carries it

    answer = httpx.post(
        f"{system.base_url}/api/v1/imports/receivables",
        files={"file": ("ledger.csv", content, "text/csv")},
        headers=system.admin_headers(),
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows_read"] == rows and report["rows_rejected"] == 0
    expected = open_totals(content, "FR01")
    wait_for(lambda: aging_totals(system, "FR01") == expected, what="FR01 aging equal to the file's open amounts")

    # The next day's full export of FR01 lacks its first ten items: they were paid.
    lines = content.decode().splitlines(keepends=True)
    fr01 = [i for i, line in enumerate(lines) if line.startswith("FR01;")]
    paid = set(fr01[:10])
    snapshot = "".join(line for i, line in enumerate(lines) if i == 0 or (i in fr01 and i not in paid))
    answer = httpx.post(
        f"{system.base_url}/api/v1/imports/receivables",
        params={"mode": "full_snapshot", "entities": "FR01"},
        files={"file": ("fr01.csv", snapshot.encode(), "text/csv")},
        headers=system.admin_headers(),
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items_closed"] == 10
    after = open_totals(snapshot.encode(), "FR01")
    wait_for(lambda: aging_totals(system, "FR01") == after, what="FR01 aging without the paid items")
    # Other entities were not part of the snapshot: untouched.
    assert aging_totals(system, "DE01") == open_totals(content, "DE01")


def test_files_left_in_the_drop_folder_are_imported_once_and_archived(system: System) -> None:
    drop = system.var / "drop"
    today = dt.date.today()
    header = "entity;account_number;customer_name;item_number;issue_date;due_date;amount;currency\n"
    wait_for(lambda: (drop / "incoming" / "receivables").is_dir(), what="the drop folder")
    incoming = drop / "incoming" / "receivables" / "erp.csv"
    incoming.write_text(header + f"DROP;D1;Dropped Ltd;X-1;{today};{today + dt.timedelta(days=30)};99,00;EUR\n")

    archived = drop / "archive" / today.isoformat() / "receivables" / "erp.csv"
    wait_for(archived.exists, what="the file archived")
    report = json.loads(Path(f"{archived}.report.json").read_text())
    assert report["items_opened"] == 1
    assert not incoming.exists()
    wait_for(lambda: aging_totals(system, "DROP") == {"EUR": Decimal("99.00")}, what="the dropped item aged")

    contacts = drop / "incoming" / "contacts" / "crm.csv"
    contacts.write_text("entity;account_number;contact_name;email;role\nDROP;D1;Ann Lee;ann@dropped.example;dunning\n")
    wait_for((drop / "archive" / today.isoformat() / "contacts" / "crm.csv").exists, what="contacts archived")
    account = httpx.get(
        f"{system.base_url}/api/v1/customers/DROP/D1", headers=system.admin_headers(), timeout=10
    ).json()
    assert account["contacts"] == [
        {"name": "Ann Lee", "email": "ann@dropped.example", "phone": None, "role": "collection", "language": None}
    ]

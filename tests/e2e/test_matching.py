"""Cash application through the running system: a bank statement against the demo ledger, the review
queue, a collector's confirmation and a reversal, all over the public API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opendso_cli.supervisor import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.2)


def listing(system: System, which: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{system.base_url}/api/v1/matching/{which}",
        params={"entity": "DEMO"},
        headers=system.admin_headers(),
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return sorted(e["transaction"]["counterparty_name"] for e in body["entries"])


def test_a_statement_is_applied_proposed_or_suspended_and_a_collector_decides(system: System) -> None:
    system.load_demo()
    report = system.load_demo_statement()
    assert report["transactions_published"] == 4
    # The statement may overtake the ledger's events on the bus; lines queued too early are matched
    # again once the invoices are there, so the queue settles to what the references and names say.
    wait_for(
        lambda: (
            names(listing(system, "review")) == ["BOULANGERIE DUPONT"]
            and names(listing(system, "suspense")) == ["J. DOE"]
        ),
        what="one line in review, one in suspense",
    )
    [dupont] = listing(system, "review")["entries"]
    proposal = dupont["proposal"]
    assert proposal["customer_id"] == "DEMO/C002"
    assert [a["item_number"] for a in proposal["allocations"]] == ["INV-2001"]
    assert any("845.50" in reason for reason in proposal["reasons"])

    tid = dupont["transaction"]["transaction_id"]
    confirmed = httpx.post(
        f"{system.base_url}/api/v1/matching/transactions/{tid}/confirm",
        json={"accept_proposal": True},
        headers=system.admin_headers(),
        timeout=10,
    )
    assert confirmed.status_code == 200, confirmed.text
    decision = confirmed.json()
    assert decision["entry"]["status"] == "applied"
    assert "IBAN FR7630006000011234567890189 is DEMO/C002" in decision["learned"]
    assert listing(system, "review")["entries"] == []

    reversed_ = httpx.post(
        f"{system.base_url}/api/v1/matching/allocations/{decision['allocation_id']}/reverse",
        json={"reason": "paid twice, refund asked"},
        headers=system.admin_headers(),
        timeout=10,
    )
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["entry"]["status"] == "in_review"
    assert names(listing(system, "review")) == ["BOULANGERIE DUPONT"]

    missing = httpx.get(
        f"{system.base_url}/api/v1/matching/transactions/nope", headers=system.admin_headers(), timeout=10
    )
    assert missing.status_code == 404

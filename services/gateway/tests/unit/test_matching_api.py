"""The cash application routes over a fake bus: the JSON they promise and the commands they send."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import Date, Money
from opendso.matching.v1 import matching_pb2 as mt
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import SIGNED_IN, MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    # main() installs the provider in a real process; a test installs one if nobody has.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_api.py: with --import-mode=importlib a sibling test module is not importable.
class FakeBus:
    """Answers queries from a table of canned replies and records what was asked."""

    def __init__(self, answers: dict[type, Any]) -> None:
        self.answers = answers
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        answer = self.answers[type(req)]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(answers: dict[type, Any]) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app)), bus


UPDATED = dt.datetime(2026, 11, 3, 9, 30, 15, tzinfo=dt.UTC)


def _entry(
    status: mt.TransactionStatus.ValueType = mt.TRANSACTION_STATUS_IN_REVIEW,
    allocation_id: str = "",
    unallocated: str = "50.00",
) -> mt.ReviewEntry:
    updated = Timestamp()
    updated.FromDatetime(UPDATED)
    return mt.ReviewEntry(
        transaction=bk.BankTransaction(
            transaction_id="tx-1",
            entity="FR01",
            account_iban="FR7630001007941234567890185",
            booking_date=Date(year=2026, month=11, day=2),
            amount=Money(amount="1250.00", currency="EUR"),
            counterparty_name="DUPONT SARL",
            counterparty_iban="FR7612345678901234567890123",
            remittance_text="FACT F-2026-0001",
            structured_reference="RF18539007547034",
            structured_reference_type="RF",
        ),
        proposal=mt.Proposal(
            outcome=mt.MATCH_OUTCOME_REVIEW,
            confidence="0.72",
            customer_id="FR01/C001",
            allocations=[
                mt.Allocation(
                    item_id="i-1",
                    item_number="F-2026-0001",
                    amount=Money(amount="1195.50", currency="EUR"),
                    write_off=Money(amount="4.50", currency="EUR"),
                ),
                mt.Allocation(item_id="i-2", item_number="F-2026-0002", amount=Money(amount="0.01", currency="EUR")),
            ],
            unallocated=Money(amount=unallocated, currency="EUR"),
            reasons=["reference F-2026-0001 in the remittance text", "amount short by 4.50"],
            alternative_item_ids=["i-3"],
        ),
        status=status,
        allocation_id=allocation_id,
        updated_at=updated,
    )


ENTRY_JSON = {
    "transaction": {
        "transaction_id": "tx-1",
        "entity": "FR01",
        "booking_date": "2026-11-02",
        "value_date": None,
        "amount": {"amount": "1250.00", "currency": "EUR"},
        "counterparty_name": "DUPONT SARL",
        "counterparty_iban": "FR7612345678901234567890123",
        "remittance_text": "FACT F-2026-0001",
        "structured_reference": "RF18539007547034",
        "structured_reference_type": "RF",
    },
    "status": "in_review",
    "allocation_id": None,
    "updated_at": "2026-11-03T09:30:15Z",
    "proposal": {
        "outcome": "review",
        "confidence": "0.72",
        "customer_id": "FR01/C001",
        "allocations": [
            {
                "item_id": "i-1",
                "item_number": "F-2026-0001",
                "amount": {"amount": "1195.50", "currency": "EUR"},
                "write_off": {"amount": "4.50", "currency": "EUR"},
            },
            {
                "item_id": "i-2",
                "item_number": "F-2026-0002",
                "amount": {"amount": "0.01", "currency": "EUR"},
                "write_off": None,
            },
        ],
        "unallocated": {"amount": "50.00", "currency": "EUR"},
        "reasons": ["reference F-2026-0001 in the remittance text", "amount short by 4.50"],
        "rate": None,
        "alternative_item_ids": ["i-3"],
    },
}


def _decision(replayed: bool = False) -> mt.MatchDecision:
    return mt.MatchDecision(
        entry=_entry(mt.TRANSACTION_STATUS_APPLIED, allocation_id="a-9", unallocated="0.00"),
        allocation_id="a-9",
        learned=["IBAN FR7612345678901234567890123 is FR01/C001"],
        replayed=replayed,
    )


def test_the_review_queue_answers_its_entries_and_asks_for_lines_in_review() -> None:
    http, bus = client({mt.ListReviewQueue: mt.ReviewQueue(entries=[_entry()], next_page_token="tok-2", total=41)})
    with http:
        answer = http.get("/api/v1/matching/review", params={"entity": "FR01", "page_size": 20, "page_token": "tok-1"})
    assert answer.status_code == 200
    assert answer.json() == {"entries": [ENTRY_JSON], "next_page_token": "tok-2", "total": 41}
    sent = bus.asked[0]
    assert isinstance(sent, mt.ListReviewQueue)
    assert sent.status == mt.TRANSACTION_STATUS_IN_REVIEW
    assert (sent.entity, sent.page_size, sent.page_token) == ("FR01", 20, "tok-1")


def test_the_last_page_has_a_null_token() -> None:
    http, _ = client({mt.ListReviewQueue: mt.ReviewQueue(total=0)})
    with http:
        answer = http.get("/api/v1/matching/review")
    assert answer.json() == {"entries": [], "next_page_token": None, "total": 0}


def test_the_suspense_list_asks_for_suspense_with_the_default_page() -> None:
    http, bus = client({mt.ListReviewQueue: mt.ReviewQueue()})
    with http:
        assert http.get("/api/v1/matching/suspense").status_code == 200
        assert http.get("/api/v1/matching/suspense", params={"page_size": 501}).status_code == 422
        assert http.get("/api/v1/matching/suspense", params={"page_size": 0}).status_code == 422
    assert len(bus.asked) == 1
    sent = bus.asked[0]
    assert isinstance(sent, mt.ListReviewQueue)
    assert sent.status == mt.TRANSACTION_STATUS_SUSPENSE
    assert (sent.entity, sent.page_size, sent.page_token) == ("", 50, "")


def test_one_line_shows_its_allocation_and_a_zero_unallocated_as_null() -> None:
    entry = _entry(mt.TRANSACTION_STATUS_APPLIED, allocation_id="a-9", unallocated="0.00")
    http, bus = client({mt.GetTransactionMatch: entry})
    with http:
        answer = http.get("/api/v1/matching/transactions/tx-1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "applied" and body["allocation_id"] == "a-9"
    assert body["proposal"]["unallocated"] is None
    sent = bus.asked[0]
    assert isinstance(sent, mt.GetTransactionMatch) and sent.transaction_id == "tx-1"


def test_an_unknown_line_is_a_404_problem() -> None:
    http, _ = client({mt.GetTransactionMatch: RemoteError("s", "not_found", "no bank transaction 'tx-0'")})
    with http:
        answer = http.get("/api/v1/matching/transactions/tx-0")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "no bank transaction 'tx-0'"


def test_a_confirmation_sends_the_allocations_the_user_and_the_request_id() -> None:
    http, bus = client({mt.ConfirmMatch: _decision()})
    with http:
        answer = http.post(
            "/api/v1/matching/transactions/tx-1/confirm",
            json={
                "customer_id": "FR01/C001",
                "allocations": [
                    {"item_id": "i-1", "amount": "1195.50", "write_off": "4.50"},
                    {"item_id": "i-4", "amount": "-20"},
                ],
                "learn": False,
            },
            headers={**signed_in(http.app, email="marie@example.com"), "X-Request-Id": "req-77"},
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["allocation_id"] == "a-9" and body["replayed"] is False
    assert body["learned"] == ["IBAN FR7612345678901234567890123 is FR01/C001"]
    assert body["entry"]["status"] == "applied" and body["entry"]["allocation_id"] == "a-9"
    sent = bus.asked[0]
    assert isinstance(sent, mt.ConfirmMatch)
    assert (sent.transaction_id, sent.customer_id, sent.accept_proposal) == ("tx-1", "FR01/C001", False)
    assert [(a.item_id, a.amount, a.write_off) for a in sent.allocations] == [
        ("i-1", "1195.50", "4.50"),
        ("i-4", "-20", ""),
    ]
    assert sent.user == "marie@example.com" and sent.correlation_id == "req-77" and sent.skip_learning is True


def test_accepting_the_proposal_learns_by_default_as_the_api_user() -> None:
    http, bus = client({mt.ConfirmMatch: _decision(replayed=True)})
    with http:
        answer = http.post("/api/v1/matching/transactions/tx-1/confirm", json={"accept_proposal": True})
    assert answer.status_code == 200 and answer.json()["replayed"] is True
    sent = bus.asked[0]
    assert isinstance(sent, mt.ConfirmMatch)
    assert sent.accept_proposal is True and sent.skip_learning is False and sent.user == SIGNED_IN
    assert sent.correlation_id  # the gateway's own request id when the caller sent none


def test_an_amount_as_a_json_number_is_refused_naming_the_field() -> None:
    http, bus = client({mt.ConfirmMatch: _decision()})
    with http:
        answer = http.post(
            "/api/v1/matching/transactions/tx-1/confirm",
            json={"customer_id": "FR01/C001", "allocations": [{"item_id": "i-1", "amount": 1195.5}]},
        )
        write_off = http.post(
            "/api/v1/matching/transactions/tx-1/confirm",
            json={"customer_id": "C", "allocations": [{"item_id": "i-1", "amount": "1", "write_off": 4}]},
        )
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "allocations", 0, "amount"]
    assert "not a JSON number" in error["msg"]
    assert write_off.status_code == 422
    assert [e["loc"] for e in write_off.json()["detail"]] == [["body", "allocations", 0, "write_off"]]
    assert bus.asked == []


def test_amounts_must_be_plain_decimals_and_fields_spelt_right() -> None:
    http, bus = client({mt.ConfirmMatch: _decision()})
    with http:
        for amount in ("1e3", "12,50", "1 000.00", "", "NaN", "+5", "1.123456789", "12\n"):
            answer = http.post(
                "/api/v1/matching/transactions/tx-1/confirm",
                json={"customer_id": "C", "allocations": [{"item_id": "i-1", "amount": amount}]},
            )
            assert answer.status_code == 422, amount
            assert answer.json()["detail"][0]["loc"] == ["body", "allocations", 0, "amount"], amount
        misspelt = http.post(
            "/api/v1/matching/transactions/tx-1/confirm",
            json={"customer_id": "C", "alocations": [{"item_id": "i-1", "amount": "1.00"}]},
        )
    assert misspelt.status_code == 422
    assert misspelt.json()["detail"][0]["loc"] == ["body", "alocations"]
    assert bus.asked == []


def test_a_refused_confirmation_is_a_422_problem_with_the_service_detail() -> None:
    detail = "allocations[0].amount: 1300.00 is more than the 1200.00 F-2026-0001 still owes"
    http, _ = client({mt.ConfirmMatch: RemoteError("s", "invalid", detail)})
    with http:
        answer = http.post(
            "/api/v1/matching/transactions/tx-1/confirm",
            json={"customer_id": "FR01/C001", "allocations": [{"item_id": "i-1", "amount": "1300.00"}]},
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["detail"] == detail and problem["code"] == "invalid"
    assert problem["title"] == "Invalid request"
    assert problem["instance"] == "/api/v1/matching/transactions/tx-1/confirm"


def test_a_reversal_needs_a_reason() -> None:
    http, bus = client({mt.ReverseAllocation: _decision()})
    with http:
        for body in ({}, {"reason": ""}, {"reason": "x" * 501}):
            assert http.post("/api/v1/matching/allocations/a-9/reverse", json=body).status_code == 422, body
        answer = http.post(
            "/api/v1/matching/allocations/a-9/reverse",
            json={"reason": "wrong customer: paid by the parent company"},
            headers={**signed_in(http.app, email="marie@example.com"), "X-Request-Id": "req-78"},
        )
    assert answer.status_code == 200 and answer.json()["allocation_id"] == "a-9"
    assert len(bus.asked) == 1
    sent = bus.asked[0]
    assert isinstance(sent, mt.ReverseAllocation)
    assert sent.allocation_id == "a-9" and sent.reason == "wrong customer: paid by the parent company"
    assert sent.user == "marie@example.com" and sent.correlation_id == "req-78"


def test_reversing_an_unknown_allocation_is_a_404() -> None:
    http, _ = client({mt.ReverseAllocation: RemoteError("s", "not_found", "no allocation 'a-0'")})
    with http:
        answer = http.post("/api/v1/matching/allocations/a-0/reverse", json={"reason": "duplicate"})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no allocation 'a-0'"

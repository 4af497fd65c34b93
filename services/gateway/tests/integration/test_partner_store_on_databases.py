"""The partner tables over their real migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from opendso_gateway.app import MIGRATIONS
from opendso_gateway.domain.partners import (
    AssignedCase,
    DeliveryAttempt,
    DeliveryStatus,
    KeyScope,
    Outcome,
    OutcomeKind,
    Partner,
    PartnerKey,
    PartnerKind,
    PendingDelivery,
    new_key,
)
from opendso_gateway.store import SqlAccessStore, SqlPartnerStore

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
async def store(make_database: MakeDatabase) -> AsyncIterator[SqlPartnerStore]:
    access = SqlAccessStore(await make_database("gateway"), MIGRATIONS)
    await access.open()
    yield SqlPartnerStore(access)
    await access.close()


def a_partner(name: str = "Calltech") -> Partner:
    return Partner(
        partner_id=str(uuid.uuid4()),
        name=name,
        kind=PartnerKind.LEGAL,
        webhook_url="https://93.184.216.34/hook",
        webhook_secret="whsec_x",
        allow_private=False,
        created_at=NOW,
        created_by="root@example.com",
    )


async def test_partners_keys_cases_outcomes_and_deliveries_round_trip(store: SqlPartnerStore) -> None:
    partner, other = a_partner(), a_partner("Lex")
    await store.add_partner(partner)
    await store.add_partner(other)
    assert await store.partner(partner.partner_id) == partner
    assert [p.name for p in await store.partners()] == ["Calltech", "Lex"]

    issued = new_key()
    key = PartnerKey(
        key_id=str(uuid.uuid4()),
        partner_id=partner.partner_id,
        prefix=issued.prefix,
        key_hash=issued.key_hash,
        scopes=frozenset({KeyScope.CASES_READ}),
        created_at=NOW,
        created_by="root@example.com",
    )
    await store.add_key(key)
    assert await store.key_by_prefix(issued.prefix) == key
    assert not await store.revoke_key(other.partner_id, key.key_id, NOW)
    assert await store.revoke_key(partner.partner_id, key.key_id, NOW)
    assert not await store.revoke_key(partner.partner_id, key.key_id, NOW)
    assert [k.revoked_at for k in await store.keys(partner.partner_id)] == [NOW]

    case_id = f"case-{uuid.uuid4()}"
    case = AssignedCase(case_id, partner.partner_id, "FR01/C1", "FR01", "C1", NOW, {"items": [{"item_id": "i"}]})
    await store.assign_case(case)
    await store.assign_case(AssignedCase(**{**case.__dict__, "withdrawn_at": NOW}))
    assert [c.withdrawn_at for c in await store.cases(partner.partner_id)] == [NOW]
    assert await store.cases(other.partner_id) == []
    stored = await store.case(case_id)
    assert stored is not None and stored.detail == {"items": [{"item_id": "i"}]}

    outcome = Outcome(str(uuid.uuid4()), case_id, partner.partner_id, OutcomeKind.RECOVERED, NOW, {"amount": "1.00"})
    await store.add_outcome(outcome)
    assert await store.outcomes(case_id) == [outcome]

    for attempt, status in ((1, DeliveryStatus.FAILED), (2, DeliveryStatus.DELIVERED)):
        await store.add_attempt(
            DeliveryAttempt("d-1", partner.partner_id, "case.assigned", case_id, attempt, NOW, status, 200, "")
        )
    assert [a.attempt for a in await store.attempts(partner.partner_id, 10)] == [2, 1]
    assert [a.attempt for a in await store.attempts(partner.partner_id, 1)] == [2]


async def test_the_webhook_queue_keeps_deliveries_claims_each_once_and_reschedules(store: SqlPartnerStore) -> None:
    partner = a_partner()
    await store.add_partner(partner)
    pending = PendingDelivery(
        delivery_id=str(uuid.uuid4()),
        partner_id=partner.partner_id,
        event_type="case.assigned",
        case_id="case-1",
        body='{"type":"case.assigned"}',
        attempts=0,
        next_attempt_at=NOW,
        created_at=NOW,
    )
    await store.enqueue_delivery(pending)
    assert await store.pending_deliveries(partner.partner_id) == [pending]
    lease = NOW + dt.timedelta(seconds=60)
    assert await store.claim_deliveries(NOW - dt.timedelta(seconds=1), lease, 10) == []
    assert await store.claim_deliveries(NOW, lease, 10) == [pending]
    # Claimed: another instance finds nothing due within the lease.
    assert await store.claim_deliveries(NOW + dt.timedelta(seconds=30), lease, 10) == []
    later = NOW + dt.timedelta(minutes=5)
    await store.reschedule_delivery(pending.delivery_id, 1, later)
    [again] = await store.claim_deliveries(later, later + dt.timedelta(seconds=60), 10)
    assert (again.attempts, again.body) == (1, pending.body)
    await store.finish_delivery(pending.delivery_id)
    assert await store.pending_deliveries(partner.partner_id) == []


async def test_a_partner_is_disabled_and_enabled_again_in_place(store: SqlPartnerStore) -> None:
    partner, other = a_partner(), a_partner("Lex")
    await store.add_partner(partner)
    await store.add_partner(other)
    assert await store.set_disabled(partner.partner_id, True)
    found = await store.partner(partner.partner_id)
    assert found is not None and found.disabled
    other_found = await store.partner(other.partner_id)
    assert other_found is not None and not other_found.disabled
    assert await store.set_disabled(partner.partner_id, False)
    assert await store.partner(partner.partner_id) == partner
    assert not await store.set_disabled("nobody", True)

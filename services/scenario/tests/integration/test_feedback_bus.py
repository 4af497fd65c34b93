"""The portal's and partners' commands over a real bus and store: answered on their query subjects, the event
published once through the outbox, and a redelivered command answered as replayed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import nats
import pytest
from nats.aio.msg import Msg
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import RemoteError
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for
from opendso_scenario.app import MIGRATIONS, create_app
from opendso_scenario.settings import Settings
from opendso_scenario.store import CustomerRecord, ItemRecord

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration
NOW = dt.datetime.now(dt.UTC)


async def test_a_declared_payment_is_answered_published_once_and_replayed(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("scenario_feedback"),
        trace_exporter="none",
        outbox_poll_seconds=0.1,
        declared_payment_pause_days=5,
    )
    await prepare_database(settings, MIGRATIONS)
    runtime, deps = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    seen: list[col.PaymentDeclared] = []

    async def on_event(msg: Msg) -> None:
        seen.append(col.PaymentDeclared.FromString(msg.data))

    try:
        async with runtime.uow() as uow:
            await uow.repo.upsert_customer(
                CustomerRecord(
                    customer_id="FR09/C1",
                    entity="FR09",
                    account_number="C1",
                    name="Dupont",
                    email="",
                    language="fr",
                    contact_name="",
                    scenario_code="standard",
                    collector="anna",
                ),
                NOW,
            )
            await uow.repo.upsert_item(
                ItemRecord(
                    item_id="FR09/invoice/F-1",
                    customer_id="FR09/C1",
                    number="F-1",
                    kind="invoice",
                    issue_date=deps.today() - dt.timedelta(days=60),
                    due_date=deps.today() - dt.timedelta(days=30),
                    open_amount=Decimal("120.00"),
                    currency="EUR",
                ),
                NOW,
            )
            await uow.commit()
        await nc.subscribe(subject_for(col.PaymentDeclared), cb=on_event)
        command = col.DeclarePayment(
            customer_id="FR09/C1",
            amount={"amount": "120.00", "currency": "EUR"},
            paid_on=date_to_proto(deps.today()),
            reference="TRF-1",
            user="portal:FR09/C1",
            idempotency_key="portal:FR09/C1:payment:k1",
        )
        first = await request(nc, command, col.PaymentDeclared)
        again = await request(nc, command, col.PaymentDeclared)
        assert (first.replayed, again.replayed) == (False, True)
        assert first.declaration_id == again.declaration_id
        assert first.paused_until == date_to_proto(deps.today() + dt.timedelta(days=5))

        async def published() -> bool:
            return len(seen) >= 1

        await eventually(published, timeout=10.0)
        assert [e.declaration_id for e in seen] == [first.declaration_id]
        with pytest.raises(RemoteError, match="not open"):
            await request(
                nc,
                col.DeclarePayment(
                    customer_id="FR09/C1",
                    item_ids=["FR09/invoice/nope"],
                    amount={"amount": "1", "currency": "EUR"},
                    paid_on=date_to_proto(deps.today()),
                    user="portal:FR09/C1",
                ),
                col.PaymentDeclared,
            )
    finally:
        await nc.close()
        await runtime.stop()

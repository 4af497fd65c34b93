"""Delivery reports applied to messages over the real store (SQLite, and PostgreSQL when reachable): in rank
order whatever order they arrive in, once per report, found by key, message id or provider reference."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging.app import MIGRATIONS
from opendso_messaging.delivery import record_delivery_status
from opendso_messaging.store import OUTBOX, MessageRecord, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("messaging_delivery")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def message(key: str, *, channel: str = "email", state: str = "sent", ref: str = "") -> MessageRecord:
    return MessageRecord(
        message_key=key,
        message_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        customer_id="FR01/C1",
        task_id=f"task-{key}",
        channel=channel,
        recipient="ap@dupont.example" if channel == "email" else "+33612345678",
        subject="Reminder",
        text="Please pay",
        provider="ses" if channel == "email" else "twilio",
        provider_ref=ref or f"ref-{key}",
        sent_at=NOW if state not in {"queued", "sending"} else None,
        entity="FR01",
        state=state,
        created_at=NOW,
        updated_at=NOW,
    )


async def add(new_uow: Callable[[], UnitOfWork], record: MessageRecord) -> None:
    async with new_uow() as uow:
        await uow.messages.add(record)
        await uow.commit()


def twilio(key: str, status: str, *, error_code: str = "", channel: str = "sms") -> msg.RecordDeliveryStatus:
    return msg.RecordDeliveryStatus(
        provider="twilio",
        message_key=key,
        channel=channel,
        status=status,
        error_code=error_code,
        provider_event_id=f"twilio:SM-{key}:{status}:{error_code}",
    )


def ses(event_id: str, notification: dict[str, object]) -> msg.RecordDeliveryStatus:
    return msg.RecordDeliveryStatus(
        provider="ses", ses_notification_json=json.dumps(notification), provider_event_id=event_id
    )


def bounce(ses_message_id: str, *, tag: str = "", bounce_type: str = "Permanent") -> dict[str, object]:
    mail: dict[str, object] = {"messageId": ses_message_id, "destination": ["ap@dupont.example"]}
    if tag:
        mail["tags"] = {"opendso_message_id": [tag]}
    return {
        "eventType": "Bounce",
        "mail": mail,
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "ap@dupont.example"}],
        },
    }


async def record(new_uow: Callable[[], UnitOfWork], command: msg.RecordDeliveryStatus) -> msg.DeliveryStatusRecorded:
    async with new_uow() as uow:
        return await record_delivery_status(command, uow, now=lambda: NOW)


async def state_of(new_uow: Callable[[], UnitOfWork], key: str) -> str:
    async with new_uow() as uow:
        found = await uow.messages.get(key)
        assert found is not None
        return found.state


async def changes(new_uow: Callable[[], UnitOfWork]) -> list[msg.MessageDeliveryChanged]:
    async with new_uow() as uow:
        rows = await uow.session.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(msg.MessageDeliveryChanged))
        )
        return [msg.MessageDeliveryChanged.FromString(bytes(p)) for p in rows.scalars()]


async def test_a_late_sent_never_overwrites_delivered(new_uow: Callable[[], UnitOfWork]) -> None:
    await add(new_uow, message("k1", channel="sms"))

    delivered = await record(new_uow, twilio("k1", "delivered"))
    late = await record(new_uow, twilio("k1", "sent"))

    assert delivered.outcome == msg.DELIVERY_OUTCOME_APPLIED
    assert late.outcome == msg.DELIVERY_OUTCOME_STALE
    assert await state_of(new_uow, "k1") == "delivered"
    (change,) = await changes(new_uow)
    assert (change.state, change.delivery_state, change.fallback) == ("delivered", "delivered", False)
    assert (change.task_id, change.customer_id, change.channel) == ("task-k1", "FR01/C1", "sms")


async def test_a_bounce_after_delivered_wins_and_asks_for_a_fallback(new_uow: Callable[[], UnitOfWork]) -> None:
    record_ = message("k2", ref="ses-0001")
    await add(new_uow, record_)
    await record(new_uow, ses("sns-1", {"eventType": "Delivery", "mail": {"messageId": "ses-0001", "destination": []}}))

    answer = await record(new_uow, ses("sns-2", bounce("ses-0001")))

    assert answer.outcome == msg.DELIVERY_OUTCOME_APPLIED and answer.state == "bounced"
    assert await state_of(new_uow, "k2") == "bounced"
    delivered, bounced = await changes(new_uow)
    assert delivered.state == "delivered"
    assert (bounced.state, bounced.fallback, bounced.suppress_address, bounced.bounce) == (
        "bounced",
        True,
        True,
        "hard",
    )
    assert bounced.detail == "Permanent/General" and bounced.recipient == "ap@dupont.example"
    async with new_uow() as uow:
        stored = await uow.messages.get("k2")
    assert stored is not None and stored.last_error == "Permanent/General"


async def test_the_same_report_twice_changes_nothing_the_second_time(new_uow: Callable[[], UnitOfWork]) -> None:
    await add(new_uow, message("k3", ref="ses-0003"))

    first = await record(new_uow, ses("sns-3", bounce("ses-0003")))
    again = await record(new_uow, ses("sns-3", bounce("ses-0003")))

    assert (first.outcome, again.outcome) == (msg.DELIVERY_OUTCOME_APPLIED, msg.DELIVERY_OUTCOME_DUPLICATE)
    assert len(await changes(new_uow)) == 1


async def test_an_ses_report_finds_its_message_by_provider_ref_or_by_the_message_id_tag(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    by_ref, by_tag = message("k4", ref="ses-0004"), message("k5", ref="ses-0005")
    await add(new_uow, by_ref)
    await add(new_uow, by_tag)

    await record(new_uow, ses("sns-4", bounce("ses-0004")))
    # The tag names our message even when the SES MessageId is one we never stored.
    await record(new_uow, ses("sns-5", bounce("unknown-ses-id", tag=by_tag.message_id)))

    assert (await state_of(new_uow, "k4"), await state_of(new_uow, "k5")) == ("bounced", "bounced")


async def test_a_report_on_no_message_of_ours_is_answered_unknown_and_recorded_nowhere(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    answer = await record(new_uow, ses("sns-6", bounce("never-sent")))

    assert answer.outcome == msg.DELIVERY_OUTCOME_UNKNOWN_MESSAGE
    assert await changes(new_uow) == []


async def test_an_unknown_status_is_answered_and_changes_nothing(new_uow: Callable[[], UnitOfWork]) -> None:
    await add(new_uow, message("k7", channel="sms"))

    answer = await record(new_uow, twilio("k7", "teleported"))

    assert answer.outcome == msg.DELIVERY_OUTCOME_UNKNOWN_STATUS
    assert await state_of(new_uow, "k7") == "sent"


async def test_a_final_report_on_a_message_still_being_sent_waits_for_the_providers_retry(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await add(new_uow, message("k8", channel="sms", state="sending"))

    early = await record(new_uow, twilio("k8", "undelivered", error_code="30006"))
    async with new_uow() as uow:
        await uow.messages.set_state("k8", "sent", expect="sending")
        await uow.commit()
    retried = await record(new_uow, twilio("k8", "undelivered", error_code="30006"))

    assert early.outcome == msg.DELIVERY_OUTCOME_NOT_YET_SENT
    assert retried.outcome == msg.DELIVERY_OUTCOME_APPLIED
    (change,) = await changes(new_uow)
    assert (change.state, change.fallback, change.suppress_address) == ("failed", True, True)


async def test_a_bounce_about_another_recipient_leaves_the_message_alone(new_uow: Callable[[], UnitOfWork]) -> None:
    await add(new_uow, replace(message("k9", ref="ses-0009"), recipient="other@dupont.example"))

    answer = await record(new_uow, ses("sns-9", bounce("ses-0009")))

    assert answer.outcome == msg.DELIVERY_OUTCOME_STALE
    assert await state_of(new_uow, "k9") == "sent"

"""The configurable item statuses in the scenario service, over fakes: read, replaced with the version read, and
used by qualification and the scenario exclusions."""

from __future__ import annotations

import datetime as dt

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_scenario import qualifications, status_catalogue
from opendso_scenario.status_catalogue import Conflict

from .test_handlers import TODAY, Harness, customer_event, item_event


async def read(h: Harness) -> col.StatusCatalogue:
    return await status_catalogue.get_status_catalogue(col.GetStatusCatalogue(), h.uow())


def replace(
    current: col.StatusCatalogue, *statuses: col.StatusDefinition, user: str = "ada"
) -> col.ReplaceStatusCatalogue:
    return col.ReplaceStatusCatalogue(statuses=list(statuses), expected_version=current.version, user=user)


def callback(**fields: object) -> col.StatusDefinition:
    status = col.StatusDefinition(
        code="call_back", labels={"en": "Call back", "fr": "Rappeler"}, excludes_from_scenario=True
    )
    status.follow_up.action = "phone_call"
    status.follow_up.delay_days = 2
    for name, value in fields.items():
        setattr(status, name, value)
    return status


async def test_without_a_saved_catalogue_the_shipped_statuses_are_read_at_version_zero() -> None:
    h = Harness()
    catalogue = await read(h)
    assert catalogue.version == 0 and catalogue.updated_by == ""
    dispute = next(s for s in catalogue.statuses if s.code == "dispute")
    assert (dispute.labels["fr"], dispute.follow_up.action, dispute.follow_up.delay_days) == (
        "Litige",
        "internal_task",
        7,
    )
    assert dispute.built_in and dispute.is_dispute and dispute.resolution_owner == "sales"
    chase_not = next(s for s in catalogue.statuses if s.code == "do_not_chase")
    assert not chase_not.built_in and not chase_not.HasField("follow_up")


async def test_a_replaced_catalogue_is_stored_versioned_announced_and_read_back() -> None:
    h = Harness()
    current = await read(h)
    uow = h.uow()
    reply = await status_catalogue.replace_status_catalogue(
        replace(current, *current.statuses, callback()), uow, h.deps
    )
    assert not reply.replayed
    assert reply.catalogue.version == 1 and reply.catalogue.updated_by == "ada"
    assert uow.committed == 1  # type: ignore[attr-defined]
    (event,) = h.published(col.StatusCatalogueChanged)
    assert (list(event.added), list(event.removed), event.user) == (["call_back"], [], "ada")
    again = await read(h)
    assert again.version == 1
    assert [s.code for s in again.statuses][-1] == "call_back"
    assert dict(again.statuses[-1].labels) == {"en": "Call back", "fr": "Rappeler"}

    # The same statuses again change nothing: no version, no event.
    same = await status_catalogue.replace_status_catalogue(replace(again, *again.statuses), h.uow(), h.deps)
    assert same.replayed and same.catalogue.version == 1
    assert len(h.published(col.StatusCatalogueChanged)) == 1


async def test_a_stale_version_is_a_conflict_and_nothing_is_stored() -> None:
    h = Harness()
    first = await read(h)
    await status_catalogue.replace_status_catalogue(replace(first, *first.statuses, callback()), h.uow(), h.deps)
    with pytest.raises(Conflict, match="are at version 1, not 0: someone saved them meanwhile"):
        await status_catalogue.replace_status_catalogue(
            replace(first, *first.statuses, callback(code="other")), h.uow(), h.deps
        )
    assert [s.code for s in (await read(h)).statuses if s.code in ("call_back", "other")] == ["call_back"]


async def test_every_bad_field_is_named_with_its_status() -> None:
    h = Harness()
    current = await read(h)
    bad = callback(resolution_owner="boss")
    bad.follow_up.delay_days = -1
    blank = callback(code="blank")
    blank.labels["en"] = " "
    with pytest.raises(InvalidRequest) as refused:
        await status_catalogue.replace_status_catalogue(
            replace(current, *current.statuses, bad, blank, callback(code="dispute")), h.uow(), h.deps
        )
    detail = refused.value.detail
    assert "status 'call_back': follow_up: delay_days must be >= 0, got -1" in detail
    assert "status 'call_back': resolution_owner: unknown role 'boss'" in detail
    assert "status 'blank': labels: needs at least one label and no blank label" in detail
    assert "status 'dispute': code: is used twice" in detail
    with pytest.raises(InvalidRequest, match="user is required"):
        await status_catalogue.replace_status_catalogue(replace(current, *current.statuses, user=" "), h.uow(), h.deps)
    assert h.repo.settings.catalogues == {}


async def test_a_status_items_hold_or_the_service_sets_cannot_be_removed() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20))
    await h.settle()
    q = col.QualifyItems(
        customer_id="FR01/C1",
        item_ids=["FR01/invoice/F-1"],
        status_code="do_not_chase",
        comment="key account",
        user="anna",
    )
    await qualifications.qualify_items(q, h.uow(), h.deps)
    current = await read(h)
    kept = [s for s in current.statuses if s.code not in ("do_not_chase", "dispute", "paid_directly_to_sales")]
    with pytest.raises(InvalidRequest) as refused:
        await status_catalogue.replace_status_catalogue(replace(current, *kept), h.uow(), h.deps)
    detail = refused.value.detail
    assert "status 'do_not_chase': code: 1 item still holds this status" in detail
    assert "status 'dispute': code: is set by the service itself" in detail
    # A status nobody holds goes without a word.
    assert "paid_directly_to_sales" not in detail
    assert h.repo.settings.catalogues == {}

    without_unused = [s for s in current.statuses if s.code != "paid_directly_to_sales"]
    reply = await status_catalogue.replace_status_catalogue(replace(current, *without_unused), h.uow(), h.deps)
    assert "paid_directly_to_sales" not in [s.code for s in reply.catalogue.statuses]
    (event,) = h.published(col.StatusCatalogueChanged)
    assert list(event.removed) == ["paid_directly_to_sales"]


async def test_qualification_and_the_scenario_follow_the_stored_catalogue() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await h.settle()
    current = await read(h)
    # A new status, and the shipped "do not chase" made to keep items in the scenario.
    edited = [s for s in current.statuses]
    for s in edited:
        if s.code == "do_not_chase":
            s.excludes_from_scenario = False
    await status_catalogue.replace_status_catalogue(replace(current, *edited, callback()), h.uow(), h.deps)

    reply = await qualifications.qualify_items(
        col.QualifyItems(customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"], status_code="call_back", user="anna"),
        h.uow(),
        h.deps,
    )
    assert (reply.follow_up.channel, reply.follow_up.due_on.day) == ("phone_call", (TODAY + dt.timedelta(2)).day)
    # call_back takes F-1 out of the scenario: the next reminder leads with F-2 alone.
    before = len(h.published(msg.SendMessage))
    h.clock.now += dt.timedelta(seconds=2)
    await h.settle()
    [later] = h.published(msg.SendMessage)[before:]
    assert [i.item_id for i in later.items] == ["FR01/invoice/F-2"]

    # The shipped catalogue would not know the new status.
    h.repo.settings.catalogues.clear()
    with pytest.raises(InvalidRequest, match="unknown status 'call_back'"):
        await qualifications.qualify_items(
            col.QualifyItems(customer_id="FR01/C1", item_ids=["FR01/invoice/F-2"], status_code="call_back", user="a"),
            h.uow(),
            h.deps,
        )

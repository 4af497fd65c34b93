"""Stored templates over the real store on SQLite and PostgreSQL: seeded without overwriting edits, saved
with optimistic versions, deleted or reset, previewed, and used by the send in place of the built-in text."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import NotFound, QueryError
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers, template_handlers
from opendso_messaging.app import MIGRATIONS
from opendso_messaging.domain.builtin_templates import builtin_templates, find_template
from opendso_messaging.store import OUTBOX, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
NBSP = "\xa0"
NNBSP = "\u202f"
DEPS = handlers.Deps(
    sender="Acme <credit@acme.example>",
    company_name="Acme",
    collector_name="Claire",
    collector_email="claire@acme.example",
    portal_base_url="https://portal.acme.example",
    now=lambda: NOW,
)
NewUow = Callable[[], UnitOfWork]


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[NewUow]:
    url = await make_database("msg_templates")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def command(template_code: str = "first_reminder", **custom: str) -> msg.SendMessage:
    key = f"k-{uuid.uuid4().hex[:10]}"
    return msg.SendMessage(
        message_key=key,
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient="ap@dupont.example",
        language="fr",
        channel="email",
        template_code=template_code,
        items=[
            msg.MessageItem(
                item_id="FR01/invoice/F1",
                number="F1",
                issue_date=date_to_proto(dt.date(2026, 10, 1)),
                due_date=date_to_proto(dt.date(2026, 10, 31)),
                open_amount=Money(amount="1234.50", currency="EUR"),
                days_overdue=25,
            )
        ],
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
        custom_fields=custom,
    )


def tpl(
    code: str = "first_reminder", language: str = "fr", body: str = "Montant : #TotalOverdue", **fields: str
) -> msg.MessageTemplate:
    return msg.MessageTemplate(
        code=code,
        language=language,
        channel=fields.get("channel", "email"),
        subject=fields.get("subject", "Relance #AccountNumber"),
        body=body,
    )


async def save(new_uow: NewUow, template: msg.MessageTemplate, version: int = 0) -> msg.TemplateSaved:
    async with new_uow() as uow:
        saved = await template_handlers.save_template(
            msg.SaveTemplate(template=template, expected_version=version, user="claire"), uow, NOW
        )
        await uow.commit()
        return saved


async def seed(new_uow: NewUow) -> list[tuple[str, str]]:
    return await template_handlers.seed_at_start(new_uow, lambda: NOW)


async def send(new_uow: NewUow, c: msg.SendMessage) -> None:
    async with new_uow() as uow:
        await handlers.send_message(c, uow, DEPS)
        await uow.commit()


async def failures(new_uow: NewUow) -> list[msg.MessageFailed]:
    async with new_uow() as uow:
        rows = await uow.session.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(msg.MessageFailed))
        )
        return [msg.MessageFailed.FromString(bytes(p)) for p in rows.scalars()]


async def test_the_built_in_templates_are_seeded_once(new_uow: NewUow) -> None:
    first = await seed(new_uow)
    second = await seed(new_uow)

    assert len(first) == len(builtin_templates())
    assert second == []
    async with new_uow() as uow:
        listed = await template_handlers.list_templates(msg.ListTemplates(language="de"), uow)
    assert {t.code for t in listed.templates} == {t.code for t in builtin_templates() if t.language == "de"}
    assert all(t.builtin and t.version == 1 and t.updated_by == "opendso" for t in listed.templates)


async def test_seeding_never_overwrites_an_edit_but_refreshes_a_row_nobody_touched(new_uow: NewUow) -> None:
    await seed(new_uow)
    await save(new_uow, tpl(body="Notre texte : #TotalDue"), version=1)
    # A row as an older release seeded it: the shipped wording changed since.
    async with new_uow() as uow:
        stale = await uow.templates.get("gentle_reminder", "de")
        assert stale is not None
        await uow.templates.update(replace(stale, body="Old wording #TotalDue"), stale.version)
        await uow.commit()

    written = await seed(new_uow)

    assert written == [("gentle_reminder", "de")]
    async with new_uow() as uow:
        edited = await uow.templates.get("first_reminder", "fr")
        refreshed = await uow.templates.get("gentle_reminder", "de")
    assert edited is not None and edited.body == "Notre texte : #TotalDue" and edited.version == 2
    assert refreshed is not None and refreshed.body == find_template("gentle_reminder", "de").body
    assert refreshed.version == 2


async def test_the_stored_template_wins_over_the_built_in_one_when_sending(new_uow: NewUow) -> None:
    await seed(new_uow)
    await save(new_uow, tpl(body="Montant dû : #TotalOverdue au #Today"), version=1)
    c = command()

    await send(new_uow, c)

    async with new_uow() as uow:
        record = await uow.messages.get(c.message_key)
    assert record is not None and record.state == "queued"
    assert record.text == f"Montant dû : 1{NNBSP}234,50{NBSP}€ au 25 nov. 2026"
    assert record.subject == "Relance C1"


async def test_a_template_only_stored_is_sent_with_its_custom_fields(new_uow: NewUow) -> None:
    await save(new_uow, tpl(code="vat_note", body="TVA #CustomerField_vat_id"))
    c = command("vat_note", vat_id="FR123")

    await send(new_uow, c)

    async with new_uow() as uow:
        record = await uow.messages.get(c.message_key)
    assert record is not None and record.text == "TVA FR123"


async def test_a_custom_field_missing_from_the_command_fails_the_message_visibly(new_uow: NewUow) -> None:
    await save(new_uow, tpl(code="vat_note", body="TVA #CustomerField_vat_id"))
    c = command("vat_note", region="North")

    await send(new_uow, c)

    async with new_uow() as uow:
        record = await uow.messages.get(c.message_key)
    assert record is not None and record.state == "failed"
    assert "#CustomerField_vat_id in body at line 1, column 5" in record.last_error
    [failed] = await failures(new_uow)
    assert failed.message_key == c.message_key and "CustomerField_vat_id" in failed.reason


async def test_an_invalid_template_is_not_saved_and_every_problem_is_listed(new_uow: NewUow) -> None:
    saved = await save(new_uow, tpl(code="bad_one", body="#Nope {{x}}", subject=""))

    assert [(p.field, p.text, p.line, p.column) for p in saved.problems] == [
        ("subject", "", 0, 0),
        ("body", "#Nope", 1, 1),
        ("body", "{{x}}", 1, 7),
    ]
    assert not saved.HasField("template")
    async with new_uow() as uow:
        assert await uow.templates.get("bad_one", "fr") is None


async def test_a_save_on_a_stale_version_is_a_conflict_and_a_create_of_an_existing_one_too(new_uow: NewUow) -> None:
    created = await save(new_uow, tpl(code="note"))
    edited = await save(new_uow, tpl(code="note", body="v2"), version=1)

    with pytest.raises(QueryError, match="is at version 2") as stale:
        await save(new_uow, tpl(code="note", body="v3"), version=1)
    with pytest.raises(QueryError, match="exists"):
        await save(new_uow, tpl(code="note", body="again"))

    assert (created.created, created.template.version) == (True, 1)
    assert (edited.created, edited.template.version, edited.template.updated_by) == (False, 2, "claire")
    assert stale.value.code == "conflict"


async def test_deleting_a_built_in_template_resets_it_and_another_is_deleted(new_uow: NewUow) -> None:
    await seed(new_uow)
    await save(new_uow, tpl(body="Edited"), version=1)
    await save(new_uow, tpl(code="note", language="de", body="Eigener Text"))

    async with new_uow() as uow:
        reset = await template_handlers.delete_template(
            msg.DeleteTemplate(code="first_reminder", language="fr", expected_version=2, user="claire"), uow, NOW
        )
        deleted = await template_handlers.delete_template(
            msg.DeleteTemplate(code="note", language="de", user="claire"), uow, NOW
        )
        await uow.commit()

    assert reset.reset_to_builtin and reset.version == 3
    assert reset.template.body == find_template("first_reminder", "fr").body
    assert not deleted.reset_to_builtin and deleted.version == 2
    async with new_uow() as uow:
        with pytest.raises(NotFound, match="no template 'note' in language 'de'"):
            await template_handlers.get_template(msg.GetTemplate(code="note", language="de"), uow)
    # Created again after a deletion, the versions go on.
    again = await save(new_uow, tpl(code="note", language="de", body="Neu"))
    assert (again.created, again.template.version) == (True, 3)


async def test_a_preview_renders_the_stored_template_for_the_customer_in_its_language(new_uow: NewUow) -> None:
    await seed(new_uow)
    await save(new_uow, tpl(body="Montant : #TotalOverdue"), version=1)
    data = command()

    async with new_uow() as uow:
        preview = await template_handlers.preview_template(
            msg.PreviewTemplate(code="first_reminder", language="fr_CH", data=data), uow, DEPS
        )

    assert preview.problems == []
    assert (preview.template.language, preview.template.version) == ("fr", 2)
    assert preview.subject == "Relance C1"
    assert preview.text == f"Montant : 1{NNBSP}234,50{NBSP}€"
    assert '<html lang="fr">' in preview.html


async def test_a_preview_of_an_unsaved_template_lists_its_problems_or_the_missing_custom_field(
    new_uow: NewUow,
) -> None:
    async with new_uow() as uow:
        invalid = await template_handlers.preview_template(
            msg.PreviewTemplate(template=tpl(code="draft", body="#TotalDeu"), data=command()), uow, DEPS
        )
        missing = await template_handlers.preview_template(
            msg.PreviewTemplate(template=tpl(code="draft", body="#CustomerField_vat_id"), data=command()), uow, DEPS
        )

    [problem] = invalid.problems
    assert (problem.text, problem.reason) == ("#TotalDeu", "unknown hashtag (did you mean #TotalDue?)")
    assert [p.text for p in missing.problems] == ["#CustomerField_vat_id"]
    assert list(missing.template.custom_fields) == ["vat_id"]

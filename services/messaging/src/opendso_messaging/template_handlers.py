"""Template queries: credit managers list, read, save, delete and preview templates through the gateway.

A save names the version it was made on (0 for a new template): a stale version is a ``conflict``, so two
people editing the same template never overwrite each other silently. An invalid template is not saved;
``TemplateSaved.problems`` lists every problem at once, with line and column. Deleting a built-in template
resets it to the shipped text (a scenario step may name it: it must not vanish); any other is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace

from babel import Locale, UnknownLocaleError
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import NotFound, QueryError, ServiceRuntime
from opendso_contracts.convert import date_to_proto

from opendso_messaging.domain.builtin_templates import builtin_templates
from opendso_messaging.domain.template_rules import builtin_for, check_for_save
from opendso_messaging.domain.templates import Template, TemplateError, TemplateProblem, check_hashtags, render
from opendso_messaging.handlers import Deps, _context
from opendso_messaging.store import StoredTemplate, UnitOfWork

log = logging.getLogger(__name__)

# Who wrote a row the service seeded; such a row still has the shipped text and follows a release's wording.
SYSTEM_USER = "opendso"


class Conflict(QueryError):
    def __init__(self, detail: str) -> None:
        super().__init__("conflict", detail)


def normal_language(language: str) -> str:
    """``fr-ch`` and ``fr_CH`` are one language: stored as Babel writes it (``fr_CH``)."""
    try:
        return str(Locale.parse(language.strip().replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        # Kept as given: the save's checks name it as unknown.
        return language.strip()


async def seed_builtin_templates(uow: UnitOfWork, now: dt.datetime) -> list[tuple[str, str]]:
    """Store the built-in templates that have no row; refresh those nobody touched since they were seeded.

    Never overwrites an edit, a reset or a deletion. Answers the (code, language) written.
    """
    written = await uow.templates.seed(
        [
            StoredTemplate(
                code=t.code,
                language=t.language,
                channel=t.channel,
                subject=t.subject,
                body=t.body,
                version=1,
                builtin=True,
                deleted=False,
                updated_by=SYSTEM_USER,
                updated_at=now,
            )
            for t in builtin_templates()
        ]
    )
    for shipped in builtin_templates():
        row = await uow.templates.get(shipped.code, shipped.language)
        if row is None or (shipped.code, shipped.language) in written or row.updated_by != SYSTEM_USER:
            continue
        if (row.channel, row.subject, row.body) != (shipped.channel, shipped.subject, shipped.body):
            refreshed = replace(
                row, channel=shipped.channel, subject=shipped.subject, body=shipped.body, version=row.version + 1
            )
            if await uow.templates.update(replace(refreshed, updated_at=now), row.version):
                written.append((row.code, row.language))
    return written


def _timestamp(value: dt.datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def template_proto(stored: StoredTemplate) -> msg.MessageTemplate:
    _, custom_fields = check_hashtags(stored.template())
    return msg.MessageTemplate(
        code=stored.code,
        channel=stored.channel,
        language=stored.language,
        subject=stored.subject,
        body=stored.body,
        version=stored.version,
        builtin=stored.builtin,
        custom_fields=custom_fields,
        updated_by=stored.updated_by,
        updated_at=_timestamp(stored.updated_at),
        attach_statement=stored.attach_statement,
        attach_invoices=stored.attach_invoices,
    )


def _unsaved_proto(template: Template) -> msg.MessageTemplate:
    _, custom_fields = check_hashtags(template)
    return msg.MessageTemplate(
        code=template.code,
        channel=template.channel,
        language=template.language,
        subject=template.subject,
        body=template.body,
        builtin=builtin_for(template.code, template.language) is not None,
        custom_fields=custom_fields,
        attach_statement=template.attach_statement,
        attach_invoices=template.attach_invoices,
    )


def _template_from(proto: msg.MessageTemplate, current: StoredTemplate | None = None) -> Template:
    """The template as given; an attachment option the proto leaves unset keeps ``current``'s value, so a
    client that does not know the options (an older gateway) never switches them off by saving the text."""

    def option(name: str) -> bool:
        if proto.HasField(name):  # type: ignore[arg-type]
            return bool(getattr(proto, name))
        # Moving a template off e-mail drops the options it no longer can have, rather than refusing the save.
        inherit = current is not None and not current.deleted and proto.channel.strip() == "email"
        return bool(inherit and getattr(current, name))

    return Template(
        code=proto.code.strip(),
        channel=proto.channel.strip(),
        language=normal_language(proto.language),
        subject=proto.subject,
        body=proto.body,
        attach_statement=option("attach_statement"),
        attach_invoices=option("attach_invoices"),
    )


async def list_templates(query: msg.ListTemplates, uow: UnitOfWork) -> msg.Templates:
    rows = await uow.templates.all(
        code=query.code, channel=query.channel, language=normal_language(query.language) if query.language else ""
    )
    return msg.Templates(templates=[template_proto(r) for r in rows])


async def _current(uow: UnitOfWork, code: str, language: str) -> StoredTemplate:
    row = await uow.templates.get(code, normal_language(language))
    if row is None or row.deleted:
        raise NotFound(f"no template {code!r} in language {language!r}")
    return row


async def get_template(query: msg.GetTemplate, uow: UnitOfWork) -> msg.MessageTemplate:
    return template_proto(await _current(uow, query.code, query.language))


async def save_template(command: msg.SaveTemplate, uow: UnitOfWork, now: dt.datetime) -> msg.TemplateSaved:
    """Create (``expected_version`` 0) or edit (the version read) a template, or list why it cannot be."""
    given = _template_from(command.template)
    current = await uow.templates.get(given.code, given.language)
    template = _template_from(command.template, current)
    others = await uow.templates.all(code=template.code)
    checked = check_for_save(template, {o.language: o.channel for o in others if o.language != template.language})
    if checked.problems:
        return msg.TemplateSaved(problems=[_problem(p) for p in checked.problems])
    label = f"template {template.code!r} ({template.language})"
    live = current is not None and not current.deleted
    if command.expected_version == 0 and live:
        assert current is not None
        raise Conflict(f"{label} exists (version {current.version}); edit it naming that version")
    if command.expected_version != 0 and not live:
        raise NotFound(f"no {label} to edit; create it with version 0")
    if current is not None and command.expected_version not in (0, current.version):
        raise Conflict(
            f"{label} is at version {current.version} (saved by {current.updated_by or 'someone'} at "
            f"{current.updated_at.isoformat()}), not {command.expected_version}: reload it and redo the edit"
        )
    record = StoredTemplate(
        code=template.code,
        language=template.language,
        channel=template.channel,
        subject=template.subject,
        body=template.body,
        version=1 if current is None else current.version + 1,
        builtin=builtin_for(template.code, template.language) is not None,
        deleted=False,
        updated_by=command.user or "api",
        updated_at=now,
        attach_statement=template.attach_statement,
        attach_invoices=template.attach_invoices,
    )
    applied = (
        await uow.templates.insert(record) if current is None else await uow.templates.update(record, current.version)
    )
    if not applied:
        raise Conflict(f"{label} was saved by someone else at the same moment: reload it and redo the edit")
    return msg.TemplateSaved(template=template_proto(record), created=not live)


def _problem(problem: TemplateProblem) -> msg.TemplateProblem:
    text = f"#{problem.hashtag}" if problem.hashtag else problem.text
    return msg.TemplateProblem(
        field=problem.field, text=text, line=problem.line, column=problem.column, reason=problem.reason
    )


async def delete_template(command: msg.DeleteTemplate, uow: UnitOfWork, now: dt.datetime) -> msg.TemplateDeleted:
    """Delete a template; a built-in one goes back to its shipped text instead, so it never goes missing."""
    current = await _current(uow, command.code, command.language)
    if command.expected_version not in (0, current.version):
        raise Conflict(
            f"template {current.code!r} ({current.language}) is at version {current.version}, "
            f"not {command.expected_version}: reload it before deleting"
        )
    shipped = builtin_for(current.code, current.language)
    record = replace(current, version=current.version + 1, updated_by=command.user or "api", updated_at=now)
    if shipped is not None:
        record = replace(
            record,
            channel=shipped.channel,
            subject=shipped.subject,
            body=shipped.body,
            builtin=True,
            deleted=False,
            attach_statement=shipped.attach_statement,
            attach_invoices=shipped.attach_invoices,
        )
    else:
        record = replace(record, deleted=True)
    if not await uow.templates.update(record, current.version):
        raise Conflict(f"template {current.code!r} ({current.language}) changed while being deleted: reload it")
    return msg.TemplateDeleted(
        code=record.code,
        language=record.language,
        version=record.version,
        reset_to_builtin=shipped is not None,
        template=template_proto(record) if shipped is not None else None,
    )


async def preview_template(query: msg.PreviewTemplate, uow: UnitOfWork, deps: Deps) -> msg.TemplatePreview:
    """Render a template (given, or found as a send would find it) for the customer in ``query.data``."""
    data = msg.SendMessage()
    data.CopyFrom(query.data)
    if not data.HasField("today"):
        data.today.CopyFrom(date_to_proto(deps.now().date()))
    if query.HasField("template"):
        template = _template_from(query.template)
        checked = check_for_save(template)
        if checked.problems:
            return msg.TemplatePreview(
                template=_unsaved_proto(template), problems=[_problem(p) for p in checked.problems]
            )
        shown = _unsaved_proto(template)
    else:
        language = query.language or data.language or "en"
        try:
            template = await uow.templates.effective(query.code, language)
        except KeyError as exc:
            raise NotFound(f"no template to preview: {exc.args[0]}") from None
        row = await uow.templates.get(template.code, template.language)
        shown = template_proto(row) if row is not None and not row.deleted else _unsaved_proto(template)
    if not data.language:
        data.language = template.language
    try:
        rendered = render(template, _context(data, deps))
    except TemplateError as exc:
        return msg.TemplatePreview(template=shown, problems=[_problem(p) for p in exc.problems])
    return msg.TemplatePreview(template=shown, subject=rendered.subject, text=rendered.text, html=rendered.html)


async def seed_at_start(
    new_uow: Callable[[], UnitOfWork], now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[tuple[str, str]]:
    """Seed the built-in templates in their own transaction; answers the (code, language) written."""
    async with new_uow() as uow:
        written = await seed_builtin_templates(uow, now())
        await uow.commit()
    if written:
        log.info("seeded or refreshed %d built-in templates", len(written))
    return written


def register(runtime: ServiceRuntime[UnitOfWork], deps: Deps) -> None:
    """Answer the template queries on the bus, each in its own transaction."""

    async def listing(query: msg.ListTemplates) -> msg.Templates:
        async with runtime.uow() as uow:
            return await list_templates(query, uow)

    async def one(query: msg.GetTemplate) -> msg.MessageTemplate:
        async with runtime.uow() as uow:
            return await get_template(query, uow)

    async def save(command: msg.SaveTemplate) -> msg.TemplateSaved:
        async with runtime.uow() as uow:
            saved = await save_template(command, uow, deps.now())
            await uow.commit()
            return saved

    async def delete(command: msg.DeleteTemplate) -> msg.TemplateDeleted:
        async with runtime.uow() as uow:
            deleted = await delete_template(command, uow, deps.now())
            await uow.commit()
            return deleted

    async def preview(query: msg.PreviewTemplate) -> msg.TemplatePreview:
        async with runtime.uow() as uow:
            return await preview_template(query, uow, deps)

    runtime.on_query(msg.ListTemplates, listing)
    runtime.on_query(msg.GetTemplate, one)
    runtime.on_query(msg.SaveTemplate, save)
    runtime.on_query(msg.DeleteTemplate, delete)
    runtime.on_query(msg.PreviewTemplate, preview)

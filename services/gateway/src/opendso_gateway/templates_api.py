"""Message templates in the public API: listed, read, created, edited, deleted and previewed.

A template is one code in one language (``/templates/{code}/{language}``); the languages of a code are its
translations and share its channel. An edit names the version it was made on (``version`` in the body); a
stale version is a 409 problem. An invalid template is refused with a 422 problem whose ``problems`` list
every problem at once (field, text, line, column, reason), so the editor can mark them all. Deleting a
built-in template resets it to the shipped text.

A preview renders a template (stored, or unsaved as in the editor) for a real customer, whose account the
importer answers, or for sample data given in the request; nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.convert import date_from_proto, date_to_proto
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from opendso_gateway.access import allow, check_account, not_found_customer
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])

CODE_PATTERN = r"^[a-z0-9][a-z0-9_]{0,99}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,4})?$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Language = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,30}$")]
Reader = Annotated[Principal, allow(Feature.TEMPLATES, Action.READ)]
Writer = Annotated[Principal, allow(Feature.TEMPLATES, Action.WRITE)]


class TemplateText(BaseModel):
    # A misspelt field silently dropped would save a template without what the author wrote: refuse it.
    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(description='"email", "sms", "whatsapp", "voice" or "letter"')
    subject: str = Field(default="", max_length=10_000, description="Required for e-mail; one line")
    body: str = Field(max_length=1_000_000, description="Plain text with #hashtags")
    attach_statement: bool | None = Field(
        default=None,
        description="E-mail only: attach the account statement of the items the message is about, as a PDF. "
        "Left out: the stored setting is kept (off for a new template)",
    )
    attach_invoices: bool | None = Field(
        default=None,
        description="E-mail only: attach the invoice PDFs held for those items (10 MB per e-mail at most; the "
        "message's record names any left out). Left out: the stored setting is kept",
    )

    def options_onto(self, template: msg.MessageTemplate) -> msg.MessageTemplate:
        """Set the attachment options that were given; an option left out keeps what is stored."""
        if self.attach_statement is not None:
            template.attach_statement = self.attach_statement
        if self.attach_invoices is not None:
            template.attach_invoices = self.attach_invoices
        return template


class NewTemplate(TemplateText):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "first_reminder",
                    "language": "fr",
                    "channel": "email",
                    "subject": "Relance : factures échues, compte #AccountNumber",
                    "body": (
                        "Bonjour #ContactName,\n\nSauf erreur de notre part, les factures suivantes restent "
                        "impayées :\n#ItemsTable\nTotal dû : #TotalDue\n\nRéglez-les ou signalez-nous un "
                        "litige ici : #PortalLink\n\n#CollectorName"
                    ),
                },
                {
                    "code": "first_reminder",
                    "language": "de",
                    "channel": "sms",
                    "body": "#CompanyName: Zahlung überfällig, offen #TotalDue. Details: #PortalLink",
                },
            ]
        }
    )

    code: Code
    language: Language = Field(description='e.g. "fr", "de", "fr_CH"')


class EditedTemplate(TemplateText):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "email",
                    "subject": "Relance : factures échues, compte #AccountNumber",
                    "body": (
                        "Bonjour #ContactName,\n\nLes factures suivantes restent impayées :\n#ItemsTable\n"
                        "Total dû : #TotalDue\n\n#PortalLink\n\n#CollectorName"
                    ),
                    "version": 3,
                }
            ]
        }
    )

    version: int = Field(
        ge=1, le=2**31 - 1, description="The version the edit was made on (from GET); a stale one is a 409"
    )


class CustomerRef(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entity": "FR01", "account_number": "C00042"}]}
    )

    entity: str = Field(min_length=1, max_length=50)
    account_number: str = Field(min_length=1, max_length=200)


class SampleItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "number": "F-2026-0042",
                    "issue_date": "2026-09-30",
                    "due_date": "2026-10-30",
                    "open_amount": "1250.00",
                    "currency": "EUR",
                }
            ]
        },
    )

    number: str = Field(min_length=1, max_length=100)
    issue_date: dt.date
    due_date: dt.date
    # A string: an amount that went through a JSON float may have lost its cents.
    open_amount: str = Field(pattern=r"^-?\d{1,13}(\.\d{1,6})?$", description='e.g. "1200.00"')
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class SampleCustomer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_name": "Dupont SARL",
                    "account_number": "C00042",
                    "contact_name": "Mme Leroy",
                    "language": "fr",
                    "items": [
                        {
                            "number": "F-2026-0042",
                            "issue_date": "2026-09-30",
                            "due_date": "2026-10-30",
                            "open_amount": "1250.00",
                            "currency": "EUR",
                        }
                    ],
                }
            ]
        },
    )

    customer_name: str = Field(min_length=1, max_length=200)
    account_number: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=200)
    language: Language = "en"
    items: list[SampleItem] = Field(default_factory=list, max_length=500)


class PreviewBody(BaseModel):
    """What to render (``template``, or ``code`` and ``language``) and for whom (``customer`` or ``sample``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "first_reminder", "customer": {"entity": "FR01", "account_number": "C00042"}},
                {
                    "template": {
                        "code": "first_reminder",
                        "language": "fr",
                        "channel": "sms",
                        "body": "#CompanyName : facture(s) échue(s), total #TotalDue. #PortalLink",
                    },
                    "sample": {
                        "customer_name": "Dupont SARL",
                        "account_number": "C00042",
                        "contact_name": "Mme Leroy",
                        "language": "fr",
                        "items": [
                            {
                                "number": "F-2026-0042",
                                "issue_date": "2026-09-30",
                                "due_date": "2026-10-30",
                                "open_amount": "1250.00",
                                "currency": "EUR",
                            }
                        ],
                    },
                    "today": "2026-11-25",
                },
            ]
        },
    )

    template: NewTemplate | None = Field(default=None, description="An unsaved template, as in the editor")
    code: Code | None = Field(default=None, description="A stored template's code, found as a send finds it")
    language: Language | None = Field(default=None, description="With code; default: the customer's language")
    customer: CustomerRef | None = None
    sample: SampleCustomer | None = None
    custom_fields: dict[str, str] = Field(default_factory=dict, description="For #CustomerField_<name>")
    today: dt.date | None = Field(default=None, description="The day the message is rendered for; default today")

    @model_validator(mode="after")
    def _one_of_each(self) -> PreviewBody:
        if (self.template is None) == (self.code is None):
            raise ValueError("give either template (unsaved) or code (stored), not both or neither")
        if (self.customer is None) == (self.sample is None):
            raise ValueError("give either customer (entity and account_number) or sample data, not both or neither")
        return self


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def template_json(template: msg.MessageTemplate) -> dict[str, Any]:
    return {
        "code": template.code,
        "channel": template.channel,
        "language": template.language,
        "subject": template.subject,
        "body": template.body,
        "version": template.version,
        "builtin": template.builtin,
        "custom_fields": list(template.custom_fields),
        "attach_statement": template.attach_statement,
        "attach_invoices": template.attach_invoices,
        "updated_by": template.updated_by,
        "updated_at": template.updated_at.ToDatetime(tzinfo=dt.UTC).isoformat()
        if template.HasField("updated_at")
        else None,
    }


def _problems(label: str, problems: Any) -> Problem:
    listed = [
        {"field": p.field, "text": p.text, "line": p.line, "column": p.column, "reason": p.reason} for p in problems
    ]
    return Problem(
        422,
        "Invalid template",
        f"{label}: {len(listed)} problem(s): " + "; ".join(_described(p) for p in listed),
        problems=listed,
    )


def _described(problem: dict[str, Any]) -> str:
    where = problem["field"]
    if problem["line"]:
        where += f" line {problem['line']}, column {problem['column']}"
    what = f"{problem['text']}: " if problem["text"] else ""
    return f"{where}: {what}{problem['reason']}"


async def _save(request: Request, template: msg.MessageTemplate, version: int, user: str, status: int) -> JSONResponse:
    saved = await _bus(request).ask(
        msg.SaveTemplate(
            template=template, expected_version=version, user=user, correlation_id=request.state.request_id
        ),
        msg.TemplateSaved,
    )
    if saved.problems:
        raise _problems(f"template {template.code!r} ({template.language}) was not saved", saved.problems)
    stored = saved.template
    headers = {"ETag": f'"{stored.version}"', "Location": f"{router.prefix}/{stored.code}/{stored.language}"}
    return JSONResponse(template_json(stored), status_code=status if saved.created else 200, headers=headers)


@router.get(
    "",
    summary="The templates, built-in ones included; filter by code, channel or language",
    dependencies=[allow(Feature.TEMPLATES, Action.READ)],
)
async def list_templates(
    request: Request,
    code: Annotated[str, Query(max_length=100)] = "",
    channel: Annotated[str, Query(max_length=30)] = "",
    language: Annotated[str, Query(max_length=20)] = "",
) -> dict[str, Any]:
    answer = await _bus(request).ask(msg.ListTemplates(code=code, channel=channel, language=language), msg.Templates)
    return {"templates": [template_json(t) for t in answer.templates]}


@router.post("", status_code=201, summary="Create a template (a code in one language)")
async def create_template(request: Request, body: NewTemplate, principal: Writer) -> JSONResponse:
    template = body.options_onto(
        msg.MessageTemplate(
            code=body.code, channel=body.channel, language=body.language, subject=body.subject, body=body.body
        )
    )
    return await _save(request, template, 0, principal.email, 201)


@router.post("/preview", summary="Render a template for a customer or sample data; nothing is sent")
async def preview_template(request: Request, body: PreviewBody, principal: Reader) -> dict[str, Any]:
    today = body.today or dt.date.today()
    data = await _customer_data(request, principal, body, today)
    query = msg.PreviewTemplate(data=data)
    if body.template is not None:
        t = body.template
        query.template.CopyFrom(
            msg.MessageTemplate(code=t.code, channel=t.channel, language=t.language, subject=t.subject, body=t.body)
        )
    else:
        query.code = body.code or ""
        query.language = body.language or ""
    answer = await _bus(request).ask(query, msg.TemplatePreview)
    if answer.problems:
        shown = answer.template
        raise _problems(f"template {shown.code!r} ({shown.language}) cannot be rendered", answer.problems)
    return {
        "template": template_json(answer.template),
        "customer_id": data.customer_id,
        "subject": answer.subject,
        "text": answer.text,
        "html": answer.html,
    }


async def _customer_data(request: Request, principal: Principal, body: PreviewBody, today: dt.date) -> msg.SendMessage:
    data = msg.SendMessage(today=date_to_proto(today), custom_fields=body.custom_fields)
    if body.sample is not None:
        sample = body.sample
        data.customer_name = sample.customer_name
        data.account_number = sample.account_number
        data.contact_name = sample.contact_name
        data.language = sample.language
        data.customer_id = f"sample/{sample.account_number}" if sample.account_number else "sample"
        for i in sample.items:
            data.items.append(
                msg.MessageItem(
                    number=i.number,
                    issue_date=date_to_proto(i.issue_date),
                    due_date=date_to_proto(i.due_date),
                    open_amount=Money(amount=i.open_amount, currency=i.currency),
                    days_overdue=max(0, (today - i.due_date).days),
                )
            )
        return data
    assert body.customer is not None
    ref = body.customer
    if not principal.scope.has_entity(ref.entity):
        raise not_found_customer(ref.entity, ref.account_number)
    account = await _bus(request).ask(
        rv.GetCustomerAccount(entity=ref.entity, account_number=ref.account_number), rv.CustomerAccount
    )
    if not account.found:
        raise Problem(404, "Not found", f"customer {ref.entity}/{ref.account_number} is not known to the importer")
    check_account(principal, account, ref.entity, ref.account_number)
    customer = account.customer
    # Reminders go to the collection contact when the customer has one: preview what they would read.
    collection = next((c for c in account.contacts if c.role == "collection" and c.name), None)
    data.customer_id = customer.customer_id
    data.entity = customer.entity
    data.account_number = customer.account_number
    data.customer_name = customer.name
    data.contact_name = collection.name if collection is not None else customer.contact_name
    data.language = customer.language
    for item in account.items:
        due = date_from_proto(item.due_date)
        data.items.append(
            msg.MessageItem(
                item_id=item.item_id,
                number=item.number,
                issue_date=item.issue_date,
                due_date=item.due_date,
                open_amount=item.open_amount,
                days_overdue=max(0, (today - due).days),
            )
        )
    return data


@router.get(
    "/{code}/{language}",
    summary="One template, with its version for an edit",
    dependencies=[allow(Feature.TEMPLATES, Action.READ)],
)
async def get_template(request: Request, code: str, language: str) -> JSONResponse:
    answer = await _bus(request).ask(msg.GetTemplate(code=code, language=language), msg.MessageTemplate)
    return JSONResponse(template_json(answer), headers={"ETag": f'"{answer.version}"'})


@router.put("/{code}/{language}", summary="Edit a template; the body names the version it was made on")
async def edit_template(
    request: Request, code: Code, language: Language, body: EditedTemplate, principal: Writer
) -> JSONResponse:
    template = body.options_onto(
        msg.MessageTemplate(code=code, channel=body.channel, language=language, subject=body.subject, body=body.body)
    )
    return await _save(request, template, body.version, principal.email, 200)


@router.delete("/{code}/{language}", summary="Delete a template; a built-in one is reset to its shipped text")
async def delete_template(
    request: Request,
    code: str,
    language: str,
    principal: Writer,
    version: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="The version read; 0 or absent: whatever the version")
    ] = 0,
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        msg.DeleteTemplate(
            code=code,
            language=language,
            expected_version=version,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        msg.TemplateDeleted,
    )
    return {
        "code": answer.code,
        "language": answer.language,
        "version": answer.version,
        "deleted": not answer.reset_to_builtin,
        "reset_to_builtin": answer.reset_to_builtin,
        "template": template_json(answer.template) if answer.reset_to_builtin else None,
    }

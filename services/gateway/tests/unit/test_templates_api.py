"""The template routes over a fake bus: the JSON they promise, the queries they send, and the problems a
refusal becomes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import RemoteError
from opendso_contracts.convert import date_to_proto
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    # main() installs the provider in a real process; a test installs one if nobody has.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_fx_api.py: with --import-mode=importlib a sibling test module is not importable.
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


BODY = {"code": "vat_note", "channel": "email", "language": "fr", "subject": "TVA", "body": "#CustomerField_vat"}


def stored(version: int = 1) -> msg.MessageTemplate:
    answer = msg.MessageTemplate(
        code="vat_note",
        channel="email",
        language="fr",
        subject="TVA",
        body="#CustomerField_vat",
        version=version,
        custom_fields=["vat"],
        updated_by="claire",
    )
    answer.updated_at.FromDatetime(dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC))
    return answer


def test_a_template_is_created_and_answered_with_its_version_and_custom_fields() -> None:
    api, bus = client({msg.SaveTemplate: msg.TemplateSaved(template=stored(), created=True)})

    response = api.post("/api/v1/templates", json=BODY, headers=signed_in(api.app, email="claire@example.com"))

    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == "/api/v1/templates/vat_note/fr"
    assert response.json()["custom_fields"] == ["vat"]
    assert response.json()["updated_at"] == "2026-11-25T09:30:00+00:00"
    [sent] = bus.asked
    assert isinstance(sent, msg.SaveTemplate)
    assert (sent.expected_version, sent.user, sent.template.body) == (0, "claire@example.com", "#CustomerField_vat")


def test_attachment_options_are_sent_when_given_and_left_to_the_stored_ones_when_not() -> None:
    saved = stored()
    saved.attach_statement = True
    api, bus = client({msg.SaveTemplate: msg.TemplateSaved(template=saved)})

    with_options = api.put(
        "/api/v1/templates/vat_note/fr",
        json={"channel": "email", "subject": "TVA", "body": "x", "version": 1, "attach_statement": True},
    )
    without = api.put(
        "/api/v1/templates/vat_note/fr", json={"channel": "email", "subject": "TVA", "body": "x", "version": 1}
    )

    assert with_options.status_code == without.status_code == 200
    assert (with_options.json()["attach_statement"], with_options.json()["attach_invoices"]) == (True, False)
    first, second = bus.asked
    assert isinstance(first, msg.SaveTemplate) and isinstance(second, msg.SaveTemplate)
    assert first.template.HasField("attach_statement") and first.template.attach_statement
    assert not first.template.HasField("attach_invoices")
    # Left out: nothing is sent, so the messaging service keeps what the template had.
    assert not second.template.HasField("attach_statement") and not second.template.HasField("attach_invoices")


def test_every_problem_of_an_invalid_template_comes_back_in_one_422_problem() -> None:
    problems = [
        msg.TemplateProblem(field="subject", reason="an e-mail needs a subject"),
        msg.TemplateProblem(
            field="body", text="#Nope", line=2, column=3, reason="unknown hashtag (did you mean #Note?)"
        ),
    ]
    api, _ = client({msg.SaveTemplate: msg.TemplateSaved(problems=problems)})

    response = api.post("/api/v1/templates", json={**BODY, "subject": ""})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Invalid template"
    assert problem["problems"] == [
        {"field": "subject", "text": "", "line": 0, "column": 0, "reason": "an e-mail needs a subject"},
        {"field": "body", "text": "#Nope", "line": 2, "column": 3, "reason": "unknown hashtag (did you mean #Note?)"},
    ]
    assert "body line 2, column 3: #Nope: unknown hashtag" in problem["detail"]


def test_an_edit_names_its_version_and_a_stale_one_is_a_409() -> None:
    conflict = RemoteError("opendso.rpc.messaging.v1.save_template", "conflict", "is at version 3, not 2")
    api, bus = client({msg.SaveTemplate: conflict})

    response = api.put(
        "/api/v1/templates/vat_note/fr", json={"channel": "email", "subject": "TVA", "body": "x", "version": 2}
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "is at version 3, not 2"
    [sent] = bus.asked
    assert isinstance(sent, msg.SaveTemplate)
    assert (sent.template.code, sent.template.language, sent.expected_version) == ("vat_note", "fr", 2)


def test_an_unknown_field_in_the_body_is_refused() -> None:
    api, bus = client({})

    response = api.post("/api/v1/templates", json={**BODY, "sujet": "typo"})

    assert response.status_code == 422
    assert bus.asked == []


def test_templates_are_listed_with_the_filters_given() -> None:
    api, bus = client({msg.ListTemplates: msg.Templates(templates=[stored()])})

    response = api.get("/api/v1/templates", params={"channel": "email", "language": "fr"})

    assert [t["code"] for t in response.json()["templates"]] == ["vat_note"]
    [sent] = bus.asked
    assert isinstance(sent, msg.ListTemplates)
    assert (sent.channel, sent.language, sent.code) == ("email", "fr", "")


def test_a_missing_template_is_a_404() -> None:
    missing = RemoteError("opendso.rpc.messaging.v1.get_template", "not_found", "no template 'x' in language 'fr'")
    api, _ = client({msg.GetTemplate: missing})

    response = api.get("/api/v1/templates/x/fr")

    assert response.status_code == 404
    assert response.json()["detail"] == "no template 'x' in language 'fr'"


def test_deleting_a_built_in_template_says_it_was_reset() -> None:
    reset = msg.TemplateDeleted(code="vat_note", language="fr", version=3, reset_to_builtin=True, template=stored(3))
    api, bus = client({msg.DeleteTemplate: reset})

    response = api.delete("/api/v1/templates/vat_note/fr", params={"version": 2})

    assert response.json()["deleted"] is False
    assert response.json()["reset_to_builtin"] is True
    assert response.json()["template"]["version"] == 3
    [sent] = bus.asked
    assert isinstance(sent, msg.DeleteTemplate)
    assert sent.expected_version == 2


def test_a_version_beyond_what_the_contract_holds_is_refused_before_asking() -> None:
    # Found by the schema fuzzer: 2**31 overflowed the command's int32 and answered 500.
    api, bus = client({})

    response = api.delete("/api/v1/templates/vat_note/fr", params={"version": 2**31})

    assert response.status_code == 422
    assert "version" in response.text
    assert bus.asked == []


def account() -> rv.CustomerAccount:
    return rv.CustomerAccount(
        found=True,
        customer=rv.Customer(
            customer_id="FR01/C1", entity="FR01", account_number="C1", name="Dupont SARL", language="fr"
        ),
        contacts=[rv.Contact(name="Marie", role="collection"), rv.Contact(name="Paul", role="billing")],
        items=[
            rv.OpenItem(
                item_id="FR01/invoice/F1",
                number="F1",
                issue_date=date_to_proto(dt.date(2026, 10, 1)),
                due_date=date_to_proto(dt.date(2026, 10, 31)),
                open_amount=Money(amount="120.00", currency="EUR"),
            )
        ],
    )


def test_a_preview_of_a_stored_template_carries_the_customer_account_to_the_messaging_service() -> None:
    preview = msg.TemplatePreview(template=stored(), subject="TVA", text="TVA FR1", html="<p>TVA FR1</p>")
    api, bus = client({rv.GetCustomerAccount: account(), msg.PreviewTemplate: preview})

    response = api.post(
        "/api/v1/templates/preview",
        json={
            "code": "vat_note",
            "customer": {"entity": "FR01", "account_number": "C1"},
            "custom_fields": {"vat": "FR1"},
            "today": "2026-11-25",
        },
    )

    assert response.status_code == 200
    assert (response.json()["text"], response.json()["customer_id"]) == ("TVA FR1", "FR01/C1")
    _, sent = bus.asked
    assert isinstance(sent, msg.PreviewTemplate)
    assert (sent.code, sent.language, sent.HasField("template")) == ("vat_note", "", False)
    data = sent.data
    assert (data.customer_name, data.contact_name, data.language) == ("Dupont SARL", "Marie", "fr")
    assert dict(data.custom_fields) == {"vat": "FR1"}
    [item] = data.items
    assert (item.number, item.open_amount.amount, item.days_overdue) == ("F1", "120.00", 25)


def test_a_preview_of_an_unsaved_template_for_sample_data_reports_its_problems_as_a_422() -> None:
    problems = [msg.TemplateProblem(field="body", text="#CustomerField_vat", line=1, column=1, reason="no value")]
    api, bus = client({msg.PreviewTemplate: msg.TemplatePreview(template=stored(), problems=problems)})

    response = api.post(
        "/api/v1/templates/preview",
        json={
            "template": BODY,
            "sample": {
                "customer_name": "Sample SA",
                "language": "de",
                "items": [
                    {
                        "number": "R1",
                        "issue_date": "2026-10-01",
                        "due_date": "2026-11-20",
                        "open_amount": "99.90",
                        "currency": "EUR",
                    }
                ],
            },
            "today": "2026-11-25",
        },
    )

    assert response.status_code == 422
    assert response.json()["problems"][0]["text"] == "#CustomerField_vat"
    [sent] = bus.asked
    assert isinstance(sent, msg.PreviewTemplate)
    assert sent.template.body == "#CustomerField_vat"
    assert (sent.data.customer_name, sent.data.items[0].days_overdue) == ("Sample SA", 5)


def test_a_preview_needs_exactly_one_template_and_one_customer() -> None:
    api, bus = client({})

    both = api.post("/api/v1/templates/preview", json={"template": BODY, "code": "x", "sample": {"customer_name": "S"}})
    neither = api.post("/api/v1/templates/preview", json={"code": "x"})

    assert both.status_code == 422 and "not both or neither" in both.text
    assert neither.status_code == 422 and "customer" in neither.text
    assert bus.asked == []


def test_a_preview_for_an_unknown_customer_is_a_404() -> None:
    api, _ = client({rv.GetCustomerAccount: rv.CustomerAccount(found=False)})

    response = api.post(
        "/api/v1/templates/preview", json={"code": "x", "customer": {"entity": "FR01", "account_number": "NOPE"}}
    )

    assert response.status_code == 404
    assert "FR01/NOPE" in response.json()["detail"]

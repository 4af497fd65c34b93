"""The API's own documents: the OpenAPI and AsyncAPI documents are served without signing in, and the AsyncAPI
one is the document committed under docs/."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from opendso_gateway.app import create_app

from .fakes import MemoryAccessStore, gateway_settings

DOCS = Path(__file__).resolve().parents[4] / "docs"


def test_the_asyncapi_document_is_served_next_to_openapi_without_signing_in() -> None:
    app = create_app(gateway_settings(), store=MemoryAccessStore())
    http = TestClient(app)
    answer = http.get("/asyncapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert document["asyncapi"].startswith("3.")
    assert document == yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert http.get("/openapi.json").status_code == 200
    assert "/asyncapi.json" in http.get("/openapi.json").json()["paths"]


def test_the_new_commands_and_events_are_in_the_asyncapi_document() -> None:
    document = TestClient(create_app(gateway_settings(), store=MemoryAccessStore())).get("/asyncapi.json").json()
    text = str(document)
    for subject in (
        "opendso.collection.v1.payment_declared",
        "opendso.collection.v1.item_commented",
        "opendso.collection.v1.dispute_question_answered",
        "opendso.collection.v1.partner_outcome_recorded",
        "opendso.rpc.portal.v1.get_customer_document",
    ):
        assert subject in text, subject

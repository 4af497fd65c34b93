"""The scenario routes over a fake bus: the JSON they promise, the commands they send, and the problems a
refusal becomes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import SIGNED_IN, MemoryAccessStore, gateway_settings, signed_in


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


STEP = {"code": "s0", "offset_days": -2, "channel": "email", "template": "friendly_reminder", "automatic": True}
BODY = {"code": "polite", "name": "Polite", "language": "fr", "minimum_amount": "20.00", "steps": [STEP]}


def stored(version: int = 1) -> col.ScenarioDefinition:
    answer = col.ScenarioDefinition(
        code="polite",
        name="Polite",
        language="fr",
        minimum_amount="20.00",
        steps=[col.ScenarioStepDefinition(anchor="due_date", **STEP)],  # type: ignore[arg-type]
        version=version,
        updated_by="claire",
        used_by_rules=["french customers"],
    )
    answer.updated_at.FromDatetime(dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC))
    return answer


def conflict(detail: str) -> RemoteError:
    return RemoteError("opendso.rpc.collection.v1.save_scenario", "conflict", detail)


def test_a_scenario_is_created_with_its_steps_and_answered_with_its_version() -> None:
    api, bus = client({col.SaveScenario: col.ScenarioSaved(scenario=stored(), created=True)})
    response = api.post(
        "/api/v1/scenarios",
        json=BODY,
        headers={**signed_in(api.app, email="claire@example.com"), "Idempotency-Key": "c1"},
    )

    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/scenarios/polite"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["steps"] == [{**STEP, "anchor": "due_date", "also": [], "product_group": None, "minimum_amount": None}]
    assert (body["version"], body["updated_by"], body["used_by_rules"]) == (1, "claire", ["french customers"])
    assert body["updated_at"] == "2026-11-25T09:30:00+00:00"
    [asked] = bus.asked
    assert isinstance(asked, col.SaveScenario)
    assert (asked.expected_version, asked.user, asked.scenario.code, asked.scenario.minimum_amount) == (
        0,
        "claire@example.com",
        "polite",
        "20.00",
    )
    assert asked.idempotency_key == "create:c1"
    assert asked.scenario.steps[0].anchor == "due_date" and asked.scenario.steps[0].offset_days == -2


def test_an_edit_sends_the_version_it_was_made_on_and_a_stale_one_is_a_409_problem() -> None:
    api, bus = client({col.SaveScenario: conflict("scenario 'polite' is at version 3, not 2: someone saved it")})
    response = api.put("/api/v1/scenarios/polite", json={**BODY, "version": 2})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["title"], problem["code"]) == ("Conflict", "conflict")
    assert problem["detail"].startswith("scenario 'polite' is at version 3, not 2")
    [asked] = bus.asked
    assert isinstance(asked, col.SaveScenario) and asked.expected_version == 2


def test_an_edit_without_a_version_or_with_another_code_never_reaches_the_bus() -> None:
    api, bus = client({})
    assert api.put("/api/v1/scenarios/polite", json=BODY).status_code == 422
    renamed = api.put("/api/v1/scenarios/polite", json={**BODY, "code": "other", "version": 1})
    assert renamed.status_code == 422 and "path's 'polite'" in renamed.json()["detail"]
    assert bus.asked == []


def test_a_malformed_definition_is_refused_naming_the_field() -> None:
    api, bus = client({})
    floats = api.post("/api/v1/scenarios", json={**BODY, "minimum_amount": 20.5})
    assert floats.status_code == 422 and "not a JSON number" in floats.text
    misspelt = api.post("/api/v1/scenarios", json={**BODY, "steps": [{**STEP, "ofset_days": 3}]})
    assert misspelt.status_code == 422 and "ofset_days" in misspelt.text
    assert api.post("/api/v1/scenarios", json={**BODY, "steps": []}).status_code == 422
    assert bus.asked == []


def test_the_service_refusal_of_a_definition_is_a_422_problem_naming_the_step() -> None:
    detail = "scenario: scenario 'polite', steps[0] ('s0'), channel: 'pigeon' is not one of email, sms"
    api, _ = client({col.SaveScenario: RemoteError("s", "invalid", detail)})
    response = api.post("/api/v1/scenarios", json={**BODY, "steps": [{**STEP, "channel": "pigeon"}]})
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_the_list_filters_by_language_and_one_scenario_has_its_etag() -> None:
    api, bus = client({col.ListScenarios: col.Scenarios(scenarios=[stored()]), col.GetScenario: stored(4)})
    listing = api.get("/api/v1/scenarios", params={"language": "fr"})
    assert listing.status_code == 200
    assert [s["code"] for s in listing.json()["scenarios"]] == ["polite"]
    one = api.get("/api/v1/scenarios/polite")
    assert one.status_code == 200 and one.headers["etag"] == '"4"' and one.json()["version"] == 4
    assert bus.asked == [col.ListScenarios(language="fr"), col.GetScenario(code="polite")]
    assert api.get("/api/v1/scenarios", params={"language": "French"}).status_code == 422


def test_a_missing_scenario_is_a_404_problem() -> None:
    api, _ = client({col.GetScenario: RemoteError("s", "not_found", "no scenario 'nothing'")})
    response = api.get("/api/v1/scenarios/nothing")
    assert response.status_code == 404 and response.json()["detail"] == "no scenario 'nothing'"


def test_a_duplicate_sends_the_new_code_and_name() -> None:
    copy = stored()
    copy.code = "polite_de"
    api, bus = client({col.DuplicateScenario: col.ScenarioSaved(scenario=copy, created=True)})
    response = api.post(
        "/api/v1/scenarios/polite/duplicate", json={"code": "polite_de", "name": "Höflich", "language": "de"}
    )
    assert response.status_code == 201 and response.headers["location"] == "/api/v1/scenarios/polite_de"
    assert bus.asked == [
        col.DuplicateScenario(
            code="polite",
            new_code="polite_de",
            new_name="Höflich",
            new_language="de",
            user=SIGNED_IN,
            correlation_id=bus.asked[0].correlation_id,  # type: ignore[attr-defined]
        )
    ]


def test_deleting_the_default_scenario_is_a_409_problem_with_the_reason() -> None:
    reason = "scenario 'standard' cannot be deleted: it is the service's default scenario"
    api, bus = client({col.DeleteScenario: conflict(reason)})
    response = api.delete("/api/v1/scenarios/standard", params={"version": 2})
    assert response.status_code == 409 and response.json()["detail"] == reason
    [asked] = bus.asked
    assert isinstance(asked, col.DeleteScenario) and (asked.code, asked.expected_version) == ("standard", 2)


def test_a_deletion_answers_the_version_it_wrote() -> None:
    api, _ = client({col.DeleteScenario: col.ScenarioDeleted(code="polite", version=5)})
    response = api.delete("/api/v1/scenarios/polite")
    assert response.status_code == 200
    assert response.json() == {"code": "polite", "version": 5, "deleted": True}


def test_a_step_on_two_channels_for_one_product_group_is_saved_through_the_api() -> None:
    api, bus = client({col.SaveScenario: col.ScenarioSaved(scenario=stored(), created=True)})
    step = {
        **STEP,
        "also": [{"channel": "letter", "template": "formal_notice_letter"}],
        "product_group": "machines",
        "minimum_amount": "500.00",
    }
    response = api.post(
        "/api/v1/scenarios", json={**BODY, "steps": [step]}, headers=signed_in(api.app, email="anna@example.com")
    )

    assert response.status_code == 201, response.text
    [asked] = bus.asked
    assert isinstance(asked, col.SaveScenario)
    sent = asked.scenario.steps[0]
    assert [(a.channel, a.template) for a in sent.also] == [("letter", "formal_notice_letter")]
    assert (sent.product_group, sent.minimum_amount) == ("machines", "500.00")

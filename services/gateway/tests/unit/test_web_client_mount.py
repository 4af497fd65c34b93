"""The gateway serves the built web client at /app/ when the build is there, and nothing when it is not."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from opendso_gateway.app import WEB_CLIENT, create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings
from .test_api import FakeBus

INDEX = "<!doctype html><div id=root></div>"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


def gateway(web_client: Path | None) -> TestClient:
    app = create_app(gateway_settings(), bus=FakeBus({}), store=MemoryAccessStore(), web_client=web_client)  # type: ignore[arg-type]
    return TestClient(app)


def built_client(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('opendso')")
    (dist / "manifest.webmanifest").write_text('{"name": "OpenDSO"}')
    return dist


def test_the_built_client_is_served_at_app(tmp_path: Path) -> None:
    with gateway(built_client(tmp_path)) as http:
        page = http.get("/app/")
        script = http.get("/app/assets/index-abc123.js")
        manifest = http.get("/app/manifest.webmanifest")
    assert page.status_code == 200
    assert page.text == INDEX
    assert page.headers["content-type"].startswith("text/html")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert manifest.status_code == 200


def test_a_deep_link_into_the_client_gets_its_index_page(tmp_path: Path) -> None:
    with gateway(built_client(tmp_path)) as http:
        agenda = http.get("/app/agenda")
        account = http.get("/app/customers/FR01/C001")
    assert (agenda.status_code, agenda.text) == (200, INDEX)
    assert (account.status_code, account.text) == (200, INDEX)


def test_a_missing_file_is_a_404_not_the_index_page(tmp_path: Path) -> None:
    with gateway(built_client(tmp_path)) as http:
        answer = http.get("/app/assets/gone-999.js")
    assert answer.status_code == 404


def test_app_without_its_slash_is_redirected(tmp_path: Path) -> None:
    with gateway(built_client(tmp_path)) as http:
        answer = http.get("/app", follow_redirects=False)
    assert answer.status_code in (301, 307, 308)
    assert answer.headers["location"].endswith("/app/")


def test_the_api_is_unchanged_next_to_the_client(tmp_path: Path) -> None:
    with gateway(built_client(tmp_path)) as http:
        answer = http.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_nothing_is_mounted_when_the_client_is_not_built(tmp_path: Path) -> None:
    with gateway(tmp_path / "not-built") as http:
        assert http.get("/app/").status_code == 404
        assert not any(getattr(r, "path", "") == "/app" for r in http.app.routes)  # type: ignore[attr-defined]


def test_nothing_is_mounted_unless_asked() -> None:
    # Tests and other embedders build the gateway without the client, whatever is in the repository's dist folder.
    with gateway(None) as http:
        assert http.get("/app/").status_code == 404


def test_the_default_location_is_the_web_clients_build_folder() -> None:
    assert WEB_CLIENT.parts[-3:] == ("clients", "web", "dist")
    assert (WEB_CLIENT.parent / "package.json").is_file()

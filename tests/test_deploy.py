"""The container deployment agrees with the workspace: deploy/Dockerfile and docker-compose.yml
name only services, commands and settings that exist, and give every service its own database."""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import typer
import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
GATEWAY = "gateway"


def workspace_services() -> set[str]:
    return {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file()}


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _dockerfile_of(entry: dict[str, Any]) -> Path | None:
    build = entry.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        return (ROOT / build / "Dockerfile").resolve()
    return (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()


def image_services() -> dict[str, dict[str, Any]]:
    """The compose services built from deploy/Dockerfile, by compose name."""
    return {
        name: entry for name, entry in compose()["services"].items() if _dockerfile_of(entry) == DOCKERFILE.resolve()
    }


def environment(entry: dict[str, Any]) -> dict[str, str]:
    env = entry.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def interpolate(value: str) -> str:
    """What compose makes of ``value`` when none of the variables it names is set."""
    value = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "", value)


def settings_class(service: str) -> Any:
    return importlib.import_module(f"opendso_{service}.settings").Settings


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def test_every_service_folder_has_a_compose_entry_that_runs_it() -> None:
    entries = image_services()
    for name in sorted(workspace_services()):
        assert name in entries, f"docker-compose.yml has no service {name!r} built from deploy/Dockerfile"
        assert entries[name].get("command") == ["service", name], f"{name}: command {entries[name].get('command')!r}"


def test_every_compose_service_built_from_the_image_names_a_workspace_service() -> None:
    services = workspace_services()
    entries = image_services()
    assert entries, "no compose service is built from deploy/Dockerfile"
    for name, entry in entries.items():
        command = entry.get("command")
        assert isinstance(command, list) and command[:1] == ["service"], f"{name}: command {command!r}"
        assert len(command) == 2 and command[1] in services, f"{name}: {command!r} names no folder under services/"


def test_every_opendso_subcommand_in_compose_and_dockerfile_exists() -> None:
    from opendso_cli.main import app

    known = set(typer.main.get_command(app).commands)
    used: set[str] = set()
    for entry in image_services().values():
        used.add(entry["command"][0])
    for instruction, rest in dockerfile_instructions():
        if instruction in ("ENTRYPOINT", "CMD") and rest.startswith("["):
            words = json.loads(rest)
            if instruction == "ENTRYPOINT":
                assert words == ["opendso"], f"ENTRYPOINT {words!r}"
            else:
                used.update(w for w in words[:1] if not w.startswith("-"))
    assert used <= known, f"not opendso commands: {sorted(used - known)}"
    runner = CliRunner()
    for command in sorted(used):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, result.output


def test_every_service_with_a_database_gets_its_own_database_and_nats() -> None:
    databases: dict[str, str] = {}
    for name, entry in image_services().items():
        if name == GATEWAY:
            continue
        env = environment(entry)
        prefix = f"OPENDSO_{name.upper()}_"
        assert env.get(f"{prefix}NATS_URL", "").startswith("nats://"), f"{name}: no {prefix}NATS_URL"
        assert f"{prefix}DATABASE_URL" in env, f"{name}: no {prefix}DATABASE_URL"
        url = make_url(interpolate(env[f"{prefix}DATABASE_URL"]))
        assert url.database, f"{name}: database URL names no database"
        key = f"{url.host}:{url.port}/{url.database}"
        assert key not in databases, f"{name} and {databases.get(key)} share the database {key}"
        databases[key] = name
    assert databases


def test_every_compose_variable_is_a_field_of_the_service_settings() -> None:
    for name, entry in image_services().items():
        settings = settings_class(name)
        prefix = settings.model_config["env_prefix"]
        assert prefix == f"OPENDSO_{name.upper()}_"
        fields = {f"{prefix}{field}".upper() for field in settings.model_fields}
        # A few variables are shared by name across the system (OPENDSO_ADMIN_EMAIL): a field's alias.
        fields |= {str(f.validation_alias) for f in settings.model_fields.values() if f.validation_alias}
        unknown = set(environment(entry)) - fields
        assert not unknown, f"{name}: {sorted(unknown)} are not fields of opendso_{name}.settings.Settings"


def test_compose_environment_is_accepted_by_the_service_settings() -> None:
    for name, entry in image_services().items():
        settings = settings_class(name)
        prefix = settings.model_config["env_prefix"]
        values = {
            key[len(prefix) :].lower() if key.startswith(prefix) else key: interpolate(value)
            for key, value in environment(entry).items()
        }
        settings(**values)  # raises on a value the service would refuse at start


def test_gateway_is_published_and_listens_on_every_interface() -> None:
    gateway = image_services()[GATEWAY]
    env = environment(gateway)
    assert env.get("OPENDSO_GATEWAY_HOST") == "0.0.0.0"
    port = env.get("OPENDSO_GATEWAY_PORT", "8000")
    assert any(str(p).endswith(f":{port}") for p in gateway.get("ports", [])), gateway.get("ports")


def test_messaging_outbox_dir_is_on_a_volume() -> None:
    messaging = image_services()["messaging"]
    outbox = environment(messaging)["OPENDSO_MESSAGING_OUTBOX_DIR"]
    targets = {str(v).split(":")[1] for v in messaging.get("volumes", []) if ":" in str(v)}
    assert outbox in targets, f"{outbox} is not a volume of messaging: {targets}"


def test_services_with_a_database_wait_for_postgres_to_be_healthy() -> None:
    for name, entry in image_services().items():
        depends = entry.get("depends_on") or {}
        assert "nats" in depends, f"{name} does not depend on nats"
        if name != GATEWAY:
            assert depends.get("postgres", {}).get("condition") == "service_healthy", name
    assert "healthcheck" in compose()["services"]["postgres"]


def test_dockerfile_copies_what_uv_sync_frozen_needs() -> None:
    instructions = dockerfile_instructions()
    copied: set[str] = set()
    for instruction, rest in instructions:
        if instruction == "COPY" and "--from=" not in rest:
            words = [w for w in rest.split() if not w.startswith("--")]
            copied.update(w.rstrip("/").removeprefix("./") for w in words[:-1])
    needed = {"pyproject.toml", "uv.lock", "libs", "services", "cli"}
    assert needed <= copied, f"not copied: {sorted(needed - copied)}"
    for path in copied:
        assert (ROOT / path).exists(), f"COPY {path}: no such file in the repository"
    runs = " ".join(rest for instruction, rest in instructions if instruction == "RUN")
    assert "uv sync --frozen --no-dev" in runs


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [rest for instruction, rest in dockerfile_instructions() if instruction == "USER"]
    assert users, "no USER instruction: the services would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")

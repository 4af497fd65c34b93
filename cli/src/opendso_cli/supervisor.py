"""`opendso run`: NATS, every service as its own process, the gateway, demo data."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from opendso_bus.nats_server import NatsServer, free_port
from sqlalchemy.engine import make_url

from opendso_cli.demo import demo_csv, demo_statement_csv

SERVICES = ("importer", "matching", "scenario", "messaging", "risk", "fx", "reporting")

# The first administrator of a local run, unless OPENDSO_ADMIN_EMAIL / OPENDSO_ADMIN_PASSWORD say otherwise.
DEMO_ADMIN = ("admin@opendso.local", "opendso-admin-4821")


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    password: str
    entities: str | list[str] = "all"
    portfolio: str = ""


# One user per role besides the admin, printed by `opendso run` (and listed in the README): a local demo only.
DEMO_USERS = (
    DemoUser("manager@opendso.local", "credit_manager", "demo-manager-4821"),
    DemoUser("collector@opendso.local", "collector", "demo-collector-4821", entities=["DEMO"]),
    DemoUser("sales@opendso.local", "sales", "demo-sales-4821"),
    DemoUser("viewer@opendso.local", "read_only", "demo-viewer-4821"),
    DemoUser("partner@opendso.local", "partner", "demo-partner-4821"),
)


def service_env(
    name: str, nats_url: str, var: Path, postgres_url: str | None, db_prefix: str = "opendso"
) -> dict[str, str]:
    prefix = f"OPENDSO_{name.upper()}_"
    env = {f"{prefix}NATS_URL": nats_url}
    if postgres_url:
        env[f"{prefix}DATABASE_URL"] = (
            make_url(postgres_url).set(database=f"{db_prefix}_{name}").render_as_string(hide_password=False)
        )
    else:
        env[f"{prefix}DATABASE_URL"] = f"sqlite+aiosqlite:///{var / (name + '.db')}"
    if name == "messaging":
        env[f"{prefix}OUTBOX_DIR"] = str(var / "outbox")
    if name == "importer":
        env[f"{prefix}DROP_DIR"] = str(var / "drop")
    return env


@dataclass
class System:
    var: Path
    port: int
    postgres_url: str | None = None
    nats_url: str | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    nats: NatsServer | None = None
    db_prefix: str = "opendso"
    launch: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    admin_email: str = field(default_factory=lambda: os.environ.get("OPENDSO_ADMIN_EMAIL") or DEMO_ADMIN[0])
    admin_password: str = field(default_factory=lambda: os.environ.get("OPENDSO_ADMIN_PASSWORD") or DEMO_ADMIN[1])
    # The admin's access token and when it was issued (monotonic seconds), reused while fresh.
    _admin_token: tuple[str, float] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        (self.var / "log").mkdir(exist_ok=True)
        if self.nats_url is None:
            self.nats = NatsServer(self.var / "nats")
            self.nats.start()
            self.nats_url = self.nats.url
        for name in SERVICES:
            self._spawn(
                name,
                [sys.executable, "-m", f"opendso_{name}"],
                service_env(name, self.nats_url, self.var, self.postgres_url, self.db_prefix),
            )
        self._spawn(
            "gateway",
            [sys.executable, "-m", "opendso_gateway"],
            {
                **service_env("gateway", self.nats_url, self.var, self.postgres_url, self.db_prefix),
                "OPENDSO_GATEWAY_PORT": str(self.port),
                # Development: a token secret generated once under var/, the outbox page open to a browser,
                # and room for the polling of tests and demos above the per-user rate limit.
                "OPENDSO_GATEWAY_DEV_SECRET_FILE": str(self.var / "gateway-token-secret"),
                "OPENDSO_GATEWAY_DEV_OPEN_OUTBOX_PAGE": "true",
                "OPENDSO_GATEWAY_RATE_LIMIT_BURST": "1000",
                "OPENDSO_GATEWAY_RATE_LIMIT_PER_MINUTE": "6000",
                "OPENDSO_ADMIN_EMAIL": self.admin_email,
                "OPENDSO_ADMIN_PASSWORD": self.admin_password,
            },
        )

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str]) -> None:
        self.launch[name] = (argv, extra_env)
        log = open(self.var / "log" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.children[name] = subprocess.Popen(
            argv, env={**os.environ, **extra_env}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in(self, email: str, password: str) -> dict[str, str]:
        """Headers carrying a fresh access token of ``email``."""
        answer = httpx.post(
            f"{self.base_url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30
        )
        if answer.status_code == 401:
            raise RuntimeError(
                f"{email} cannot sign in: {self.var}/gateway.db may hold users of an earlier run with other "
                "passwords (make clean, or set OPENDSO_ADMIN_EMAIL / OPENDSO_ADMIN_PASSWORD to theirs)"
            )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def admin_headers(self) -> dict[str, str]:
        """The administrator's headers, signed in again before the token (15 minutes) runs out."""
        if self._admin_token is None or time.monotonic() - self._admin_token[1] > 600:
            token = self.sign_in(self.admin_email, self.admin_password)["Authorization"]
            self._admin_token = (token, time.monotonic())
        return {"Authorization": self._admin_token[0]}

    def create_demo_users(self) -> list[DemoUser]:
        """One user per role (``DEMO_USERS``); those already there from an earlier run are left as they are."""
        for user in DEMO_USERS:
            answer = httpx.post(
                f"{self.base_url}/api/v1/users",
                json={
                    "email": user.email,
                    "role": user.role,
                    "password": user.password,
                    "entities": user.entities,
                    "portfolio": user.portfolio,
                },
                headers=self.admin_headers(),
                timeout=30,
            )
            if answer.status_code != 409:
                answer.raise_for_status()
        return list(DEMO_USERS)

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.var}/log/{name}.log")
            try:
                answer = httpx.get(f"{self.base_url}/health", timeout=3)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise TimeoutError(f"system not healthy within {timeout}s: {last}")

    def load_generated(self, customers: int) -> dict[str, object]:
        """A realistic ledger of ``customers`` customers over eight entities (opendso_cli.generator)."""
        import io

        from opendso_cli.generator import GeneratorConfig, write_csv

        today = dt.date.today()
        buffer = io.BytesIO()
        write_csv(GeneratorConfig(customers=customers, today=today), buffer)
        answer = httpx.post(
            f"{self.base_url}/api/v1/imports/receivables",
            files={"file": ("generated.csv", buffer.getvalue(), "text/csv")},
            headers={"Idempotency-Key": f"generated-{today.isoformat()}-{customers}", **self.admin_headers()},
            timeout=300,
        )
        answer.raise_for_status()
        report: dict[str, object] = answer.json()
        return report

    def load_demo(self) -> dict[str, object]:
        answer = httpx.post(
            f"{self.base_url}/api/v1/imports/receivables",
            files={"file": ("demo.csv", demo_csv(dt.date.today()), "text/csv")},
            headers={"Idempotency-Key": f"demo-{dt.date.today().isoformat()}", **self.admin_headers()},
            timeout=60,
        )
        answer.raise_for_status()
        report: dict[str, object] = answer.json()
        return report

    def load_demo_statement(self) -> dict[str, object]:
        """A bank statement paying some demo invoices: the matching service applies, proposes or suspends each line."""
        answer = httpx.post(
            f"{self.base_url}/api/v1/imports/statements",
            params={"entity": "DEMO"},
            files={"file": ("demo-statement.csv", demo_statement_csv(dt.date.today()), "text/csv")},
            headers={"Idempotency-Key": f"demo-statement-{dt.date.today().isoformat()}", **self.admin_headers()},
            timeout=60,
        )
        answer.raise_for_status()
        report: dict[str, object] = answer.json()
        return report

    def kill(self, name: str) -> None:
        """Kill one service at once (SIGKILL), as a crash would."""
        proc = self.children[name]
        proc.kill()
        proc.wait()

    def restart(self, name: str) -> None:
        argv, extra_env = self.launch[name]
        self._spawn(name, argv, extra_env)

    def stop(self) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.children.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.nats is not None:
            self.nats.stop()


def choose_port(preferred: int) -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()

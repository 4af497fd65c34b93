"""The `opendso` command line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from opendso_cli.import_cmd import import_app
from opendso_cli.match_cmd import match_command
from opendso_cli.penalty_cmd import penalty
from opendso_cli.reporting_cmd import reports_app
from opendso_cli.statement_cmd import statement_app

app = typer.Typer(help="OpenDSO: run the system, operate the bus, try the domain logic on files.", no_args_is_help=True)
deadletter = typer.Typer(help="The dead-letter stream: messages a handler failed on, parked for an operator.")
app.add_typer(deadletter, name="deadletter")
app.add_typer(import_app, name="import")
app.add_typer(statement_app, name="statement")
app.command("match")(match_command)
app.command("penalty")(penalty)
app.add_typer(reports_app, name="reports")


@app.command()
def run(
    var: Annotated[Path, typer.Option(help="Folder for databases, NATS data, logs and the outbox")] = Path("var"),
    port: Annotated[int, typer.Option(help="Gateway port (a free one if taken)")] = 8000,
    postgres: Annotated[
        str | None, typer.Option(help="PostgreSQL server URL; each service gets its own database opendso_<service>")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo customers and invoices")] = True,
    demo_customers: Annotated[
        int, typer.Option(help="Also load a generated, realistic ledger of this many customers (0: none)", min=0)
    ] = 300,
) -> None:
    """Start NATS, every service and the gateway; Ctrl-C stops everything."""
    from opendso_cli.supervisor import System, choose_port

    system = System(
        var=var.resolve(), port=choose_port(port), postgres_url=postgres, nats_url=os.environ.get("NATS_URL") or None
    )
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        system.start()
        typer.echo(f"NATS        {system.nats_url}")
        system.wait_healthy()
        typer.echo(f"admin       {system.admin_email} / {system.admin_password}")
        if demo:
            for user in system.create_demo_users():
                scope = "" if user.entities == "all" else f" (entities {', '.join(user.entities)})"
                typer.echo(f"{user.role:<11} {user.email} / {user.password}{scope}")
            report = system.load_demo()
            typer.echo(
                f"demo data   {report['customers_created']} customers, {report['items_opened']} items opened, "
                f"{report['rows_rejected']} row rejected: {report['errors']}"
            )
            statement = system.load_demo_statement()
            typer.echo(
                f"demo bank   {statement['transactions_published']} statement lines sent to matching "
                f"(review queue: {system.base_url}/api/v1/matching/review)"
            )
            if demo_customers:
                generated = system.load_generated(demo_customers)
                typer.echo(
                    f"generated   {generated['customers_created']} customers, {generated['items_opened']} items "
                    f"over 8 entities (opendso_cli.generator)"
                )
        base = system.base_url
        typer.echo(
            f"Web app     {base}/app/  (sign in with an e-mail and password above; built by `make web`)\n"
            f"Sign in     POST {base}/api/v1/auth/token with an e-mail and password above "
            f"(in {base}/docs: Authorize)\n"
            f"API docs    {base}/docs\nHealth      {base}/health\nAgenda      {base}/api/v1/agenda\n"
            f"Aging       {base}/api/v1/reports/aging\nMatching    {base}/api/v1/matching/review\n"
            f"Outbox      {base}/outbox  (files in {var}/outbox; open without signing in: development only)\n"
            f"Logs        {var}/log/\nPress Ctrl-C to stop."
        )
        while not stop["now"]:
            for name, proc in system.children.items():
                if proc.poll() is not None:
                    typer.echo(f"{name} exited with {proc.returncode}; see {var}/log/{name}.log", err=True)
                    stop["now"] = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping...")
        system.stop()


@app.command()
def service(
    name: Annotated[
        str, typer.Argument(help="importer, matching, scenario, messaging, risk, fx, reporting or gateway")
    ],
) -> None:
    """Run one service in the foreground (what a container runs)."""
    import importlib

    try:
        module = importlib.import_module(f"opendso_{name}.app")
    except ModuleNotFoundError:
        raise typer.BadParameter(f"no service named {name!r}") from None
    module.main()


@app.command("demo-csv")
def demo_csv_command(out: Annotated[Path, typer.Argument(help="Where to write the CSV")] = Path("demo.csv")) -> None:
    """Write the demo customers-and-items CSV (dates relative to today)."""
    import datetime as dt

    from opendso_cli.demo import demo_csv

    out.write_bytes(demo_csv(dt.date.today()))
    typer.echo(f"wrote {out}")


def _nats_url(url: str | None) -> str:
    return url or os.environ.get("NATS_URL") or "nats://127.0.0.1:4222"


@deadletter.command("list")
def deadletter_list(nats_url: Annotated[str | None, typer.Option("--nats-url")] = None) -> None:
    """Print parked messages as JSON lines."""
    import nats
    from opendso_bus.deadletter import list_dead_letters

    async def go() -> None:
        nc = await nats.connect(_nats_url(nats_url))
        try:
            for letter in await list_dead_letters(nc.jetstream()):
                typer.echo(json.dumps(letter.__dict__))
        finally:
            await nc.close()

    asyncio.run(go())


@deadletter.command("replay")
def deadletter_replay(
    seq: Annotated[int, typer.Argument(help="Sequence number from `deadletter list`")],
    nats_url: Annotated[str | None, typer.Option("--nats-url")] = None,
) -> None:
    """Publish a parked message again on its original subject."""
    import nats
    from opendso_bus.deadletter import replay_dead_letter

    async def go() -> None:
        nc = await nats.connect(_nats_url(nats_url))
        try:
            subject = await replay_dead_letter(nc.jetstream(), seq)
            typer.echo(f"replayed {seq} on {subject}")
        finally:
            await nc.close()

    asyncio.run(go())


@app.command()
def health(nats_url: Annotated[str | None, typer.Option("--nats-url")] = None) -> None:
    """Ask every service for its health over the bus."""
    from opendso_gateway.bus import Bus

    from opendso_cli.supervisor import SERVICES

    async def go() -> dict[str, dict[str, object]]:
        bus = Bus(_nats_url(nats_url), 2.0)
        await bus.connect()
        try:
            return await bus.health(SERVICES)
        finally:
            await bus.close()

    result = asyncio.run(go())
    typer.echo(json.dumps(result, indent=2))
    if any(v["status"] != "ok" for v in result.values()):
        raise typer.Exit(1)

"""`opendso reports rebuild`: replay the event streams into fresh report read models, and check them."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

reports_app = typer.Typer(help="The reporting service's read models.", no_args_is_help=True)


@reports_app.command("rebuild")
def rebuild(
    into: Annotated[
        str, typer.Option(help="The fresh database to build (SQLAlchemy URL); it must hold no report rows yet")
    ] = "sqlite+aiosqlite:///var/reporting-rebuilt.db",
    compare: Annotated[
        str | None,
        typer.Option(help="A live reporting database to compare with: exit 1 when their figures differ"),
    ] = None,
    nats_url: Annotated[str | None, typer.Option("--nats-url")] = None,
) -> None:
    """Replay every retained event the reporting service reads (reports, aging, timeline) through its handlers
    into INTO, then print how many events were applied (and, with --compare, whether the rebuilt read models
    equal the live ones). Stop the service, rebuild, point it at INTO and start it: events that arrive in between
    would otherwise be acknowledged into the old database only."""
    import os

    from nats import connect
    from opendso_db import create_engine, ensure_database, session_factory, upgrade
    from opendso_reporting.app import MIGRATIONS
    from opendso_reporting.rebuild import replay, replayed_handlers, stream_events, uow_factory
    from opendso_reporting.settings import Settings

    url = nats_url or os.environ.get("OPENDSO_NATS_URL", "nats://127.0.0.1:4222")
    settings = Settings(nats_url=url, database_url=into)

    async def go() -> dict[str, object]:
        await ensure_database(into)
        await asyncio.to_thread(upgrade, into, MIGRATIONS)
        engine = create_engine(into)
        new_uow = uow_factory(session_factory(engine))
        async with new_uow() as uow:
            if any((await uow.reports.fingerprint()).values()):
                raise typer.BadParameter(
                    f"{into} already holds report rows: give a fresh database", param_hint="--into"
                )
        nc = await connect(url)
        try:
            refused: list[tuple[str, str]] = []
            applied = await replay(
                stream_events(nc.jetstream(), set(replayed_handlers(settings))), new_uow, settings, refused
            )
        finally:
            await nc.close()
        summary: dict[str, object] = {
            "into": into,
            "events_applied": applied,
            # Malformed events the running service dead-lettered too: left out alike.
            "events_refused": [{"event_id": i, "reason": r} for i, r in refused],
        }
        if compare:
            live_engine = create_engine(compare)
            try:
                async with new_uow() as rebuilt, uow_factory(session_factory(live_engine))() as live:
                    a, b = await rebuilt.reports.fingerprint(), await live.reports.fingerprint()
                summary["differences"] = {t: [len(a[t]), len(b[t])] for t in a if a[t] != b[t]}
                summary["same_figures"] = a == b
            finally:
                await live_engine.dispose()
        await engine.dispose()
        return summary

    summary = asyncio.run(go())
    typer.echo(json.dumps(summary, indent=2))
    if summary.get("same_figures") is False:
        raise typer.Exit(1)

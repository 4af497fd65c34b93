"""`make bench`: throughput of the hot paths, printed as figures.

Speed targets live here, not in timed tests. Run on an idle machine; the
numbers are per process on one core.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import gc
import io
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from opendso_money import Money

TODAY = dt.date(2026, 11, 24)
_T = TypeVar("_T")


def figure(label: str, count: int, unit: str, elapsed: float) -> None:
    print(f"{label:<48} {count:>8} {unit} in {elapsed:7.3f}s  = {count / elapsed:>10,.0f} {unit}/s")


def timed(label: str, count: int, unit: str, run: Callable[[], object]) -> None:
    start = time.perf_counter()
    run()
    figure(label, count, unit, time.perf_counter() - start)


def bench_csv(rows: int) -> None:
    from opendso_cli.demo import HEADER
    from opendso_importer.domain.receivables_csv import parse_receivables_csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for n in range(rows):
        writer.writerow(
            [
                "FR01",
                f"C{n % 5000:05d}",
                f"Client {n % 5000}",
                f"c{n % 5000}@x.example",
                "fr",
                "FR",
                "",
                f"F{n:07d}",
                "invoice",
                "2026-10-01",
                "2026-10-31",
                "1 234,56",
                "1 234,56",
                "EUR",
                "",
            ]
        )
    data = out.getvalue().encode()
    timed("importer: parse CSV rows", rows, "rows", lambda: parse_receivables_csv(data, "bench.csv"))


def bench_engine(customers: int) -> None:
    from opendso_scenario.domain.builtin import builtin_scenarios
    from opendso_scenario.domain.engine import plan_actions
    from opendso_scenario.domain.model import Customer, Item

    scenario = builtin_scenarios()["standard"]
    population = [
        Customer(
            f"C{n}",
            "FR01",
            f"C{n}",
            f"Client {n}",
            "fr",
            tuple(
                Item(
                    f"I{n}-{k}",
                    f"F{n}-{k}",
                    "invoice",
                    TODAY - dt.timedelta(days=40 + k),
                    TODAY - dt.timedelta(days=10 + k * 7),
                    Money(Decimal("100.00"), "EUR"),
                )
                for k in range(5)
            ),
        )
        for n in range(customers)
    ]
    timed(
        "scenario: plan actions (5 items each)",
        customers,
        "customers",
        lambda: [plan_actions(c, scenario, TODAY, ()) for c in population],
    )


def bench_templates(messages: int) -> None:
    from opendso_messaging.domain.builtin_templates import find_template
    from opendso_messaging.domain.templates import ItemLine, MessageContext, render

    template = find_template("first_reminder", "fr")
    ctx = MessageContext(
        customer_name="Boulangerie Dupont",
        account_number="C1",
        contact_name="Marie",
        language="fr",
        company_name="Acme",
        collector_name="Jean",
        collector_email="jean@acme.example",
        portal_link="https://portal.example/x",
        today=TODAY,
        items=tuple(
            ItemLine(
                f"F{k}",
                TODAY - dt.timedelta(days=40),
                TODAY - dt.timedelta(days=10),
                Money(Decimal("99.90"), "EUR"),
                10,
            )
            for k in range(5)
        ),
    )
    timed(
        "messaging: render e-mail (5 items, fr)",
        messages,
        "messages",
        lambda: [render(template, ctx) for _ in range(messages)],
    )


async def bench_outbox(events: int) -> None:
    from opendso.receivables.v1 import receivables_pb2 as rv
    from opendso_bus import ServiceRuntime, SqlUnitOfWork, inbox_table, outbox_table
    from opendso_bus.nats_server import NatsServer
    from opendso_db import create_engine, session_factory
    from sqlalchemy import MetaData

    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        runtime: ServiceRuntime[SqlUnitOfWork] = ServiceRuntime(
            "bench",
            nats_url=server.url,
            sessions=session_factory(engine),
            outbox_table=outbox,
            inbox_table=inbox,
            uow_class=SqlUnitOfWork,
        )
        async with runtime.uow() as uow:
            for n in range(events):
                await uow.publish(rv.ItemOpened(meta=uow.meta(entity="B"), item=rv.OpenItem(number=f"F{n}")))
            await uow.commit()
        start = time.perf_counter()
        await runtime.start()
        while True:
            async with runtime.sessions() as s:
                if await runtime.outbox.backlog(s) == 0:
                    break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        await runtime.stop()
        await engine.dispose()
    print(
        f"{'bus: outbox relay to JetStream (SQLite)':<48} {events:>8} events in {elapsed:7.3f}s  = "
        f"{events / elapsed:>10,.0f} events/s"
    )


def _items_csv(n: int) -> bytes:
    """n realistic open items of n // 10 customers (opendso_cli.generator), as an ERP would export them."""
    from opendso_cli.demo import HEADER
    from opendso_cli.generator import items_for_bench

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(items_for_bench(n, today=TODAY))
    return out.getvalue().encode()


class _RssWatch:
    """The process's resident memory now and its highest while watched (sampled every 0.2 s)."""

    def __init__(self) -> None:
        self.before = self._rss()
        self.peak = self.before
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss() -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            self.peak = max(self.peak, self._rss())

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


async def bench_import_postgres(n: int) -> None:
    """The whole import of n items into PostgreSQL, events published, next to a raw COPY of the same rows."""
    import uuid

    import asyncpg
    from opendso.imports.v1 import imports_pb2 as im
    from opendso_bus import ServiceRuntime
    from opendso_bus.nats_server import NatsServer
    from opendso_db import create_engine, ensure_database, session_factory, upgrade
    from opendso_importer import handlers
    from opendso_importer.app import MIGRATIONS
    from opendso_importer.parallel_reading import ReadingPool
    from opendso_importer.store import INBOX, OUTBOX, UnitOfWork

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"bench_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        await ensure_database(url)
    except OSError:
        print(f"{'importer: CSV -> PostgreSQL + events':<48} skipped (no PostgreSQL on 127.0.0.1:5432)")
        return
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        # The file on disk, as the service has it once downloaded from the object store: the import reads
        # it from there, and this process holds no copy of it while the memory is watched.
        csv_file = Path(tmp) / "bench.csv"
        csv_file.write_bytes(_items_csv(n))
        file_bytes = csv_file.stat().st_size
        engine = create_engine(url)
        runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime(
            "bench-importer",
            nats_url=server.url,
            sessions=session_factory(engine),
            outbox_table=OUTBOX,
            inbox_table=INBOX,
            uow_class=UnitOfWork,
            lock_outbox_rows=True,
        )
        await runtime.start()

        async def fetch_upload(_: str, into: Path) -> None:
            # A link, not a copy: the download from the object store is not what is measured here.
            os.link(csv_file, into)

        # Worker processes on every core read the file, as the service does; started before the clock,
        # as the service starts them once for its whole life.
        reading = ReadingPool(os.cpu_count() or 1)
        reading.warm()
        deps = handlers.Deps(today=lambda: TODAY, max_file_bytes=2**31, fetch_upload=fetch_upload, reading=reading)
        gc.collect()
        memory = _RssWatch()
        cpu_before = time.process_time()
        # The workers' CPU counts once they have ended (reading.close()): earlier children's is taken off.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_before = children.ru_utime + children.ru_stime
        start = time.perf_counter()
        async with runtime.uow() as uow:
            report = await handlers.import_receivables_file(
                im.ImportReceivablesFile(file_name="bench.csv", object_name="bench.csv"), uow, deps
            )
        committed = time.perf_counter() - start
        importer_cpu = time.process_time() - cpu_before
        reading.close()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = children.ru_utime + children.ru_stime - children_before
        memory.stop()
        while True:
            async with runtime.sessions() as s:
                if await runtime.outbox.backlog(s) == 0:
                    break
            await asyncio.sleep(0.05)
        total = time.perf_counter() - start
        await runtime.stop()
        await engine.dispose()
        data = csv_file.read_bytes()
    assert report.items_opened == n, report

    conn = await asyncpg.connect(url)
    await conn.execute(
        "CREATE TABLE raw_copy (item_id text, customer_id text, number text, due_date date, "
        "amount numeric(20,6), currency text)"
    )
    # The same rows, already parsed, as COPY would take them: the floor any import stands next to.
    rows = csv.reader(io.StringIO(data.decode()), delimiter=";")
    header = next(rows)
    at = {
        name: header.index(name)
        for name in ("entity", "account_number", "item_number", "due_date", "open_amount", "currency")
    }
    records = [
        (
            f"{r[at['entity']]}/{r[at['item_number']]}",
            f"{r[at['entity']]}/{r[at['account_number']]}",
            r[at["item_number"]],
            dt.date.fromisoformat(r[at["due_date"]]),
            Decimal(r[at["open_amount"]].replace(",", ".")),
            r[at["currency"]],
        )
        for r in rows
    ]
    start = time.perf_counter()
    await conn.copy_records_to_table("raw_copy", records=records)
    copy_time = time.perf_counter() - start
    await conn.close()
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await conn.close()
    figure("importer: CSV -> PostgreSQL, committed", n, "rows", committed)
    figure("importer: ... and every event published", n, "rows", total)
    figure("raw PostgreSQL COPY of the same rows", n, "rows", copy_time)
    print(
        f"{'importer: CPU, importer / reading workers':<48} {importer_cpu:>8.1f} s / "
        f"{workers_cpu:.1f} s (with their start)"
    )
    grown = memory.peak - memory.before
    print(
        f"{'importer: memory before -> peak during import':<48} {memory.before:>8.0f} -> {memory.peak:.0f} MiB "
        f"(+{grown:.0f} MiB, {grown * 2**20 / n:.0f} B a row; the {file_bytes / 2**20:.0f} MiB file read from disk)"
    )
    print(f"{'ratio import / raw COPY':<48} {total / copy_time:>8.1f}x slower")


async def bench_statement(n: int) -> None:
    """A CAMT.053 of n entries parsed, stored and every line published (SQLite, local nats-server)."""
    from opendso.banking.v1 import banking_pb2 as bk
    from opendso_bus import ServiceRuntime
    from opendso_bus.nats_server import NatsServer
    from opendso_db import create_engine, session_factory, upgrade
    from opendso_importer import handlers, statements
    from opendso_importer.app import MIGRATIONS
    from opendso_importer.domain.statements import parse_statements
    from opendso_importer.domain.statements.samples import build_large_camt
    from opendso_importer.parallel_reading import ReadingPool
    from opendso_importer.statement_reading import read_statements
    from opendso_importer.store import INBOX, OUTBOX, UnitOfWork

    def workers_cpu() -> float:
        """CPU seconds of this process's Python children (the reading pool's workers) so far."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # a process that ended meanwhile
            name, _, rest = text.partition(" (")[2].rpartition(")")
            fields = rest.split()
            if int(fields[1]) == os.getpid() and name.startswith("python"):
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def cpu_figure(label: str, main: float, workers: float = 0.0) -> None:
        print(f"{label:<48} CPU {main:6.3f}s here + {workers:6.3f}s in the workers")

    print(f"statement: load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    data = build_large_camt(n)
    start, start_cpu = time.perf_counter(), time.process_time()
    parse_statements(data, "big.xml")
    figure("statement: CAMT.053 parsed in one process", n, "lines", time.perf_counter() - start)
    cpu_figure("statement: ... its CPU", time.process_time() - start_cpu)
    # As the service runs: its pool started once, before the first file.
    pool = ReadingPool(os.cpu_count() or 1)
    pool.warm()
    start, start_cpu, start_workers = time.perf_counter(), time.process_time(), workers_cpu()
    await read_statements(pool, data, "big.xml", "auto")
    figure("statement: CAMT.053 parsed by the reading pool", n, "lines", time.perf_counter() - start)
    cpu_figure("statement: ... its CPU", time.process_time() - start_cpu, workers_cpu() - start_workers)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        url = f"sqlite+aiosqlite:///{tmp}/importer.db"
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        engine = create_engine(url)
        runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime(
            "bench-statements",
            nats_url=server.url,
            sessions=session_factory(engine),
            outbox_table=OUTBOX,
            inbox_table=INBOX,
            uow_class=UnitOfWork,
        )
        await runtime.start()

        async def no_upload(name: str, into: Path) -> None:
            raise AssertionError(f"the statement is sent inline, not as upload {name}")

        deps = handlers.Deps(today=lambda: TODAY, max_file_bytes=2**31, fetch_upload=no_upload, reading=pool)
        phases: dict[str, float] = {}
        start, start_cpu, start_workers = time.perf_counter(), time.process_time(), workers_cpu()
        async with runtime.uow() as uow:
            report = await statements.import_bank_statement(
                bk.ImportBankStatement(file_name="big.xml", content=data, entity="FR01"), uow, deps, cpu=phases
            )
        committed, committed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        parse_workers = workers_cpu() - start_workers
        while True:
            async with runtime.sessions() as s:
                if await runtime.outbox.backlog(s) == 0:
                    break
            await asyncio.sleep(0.01)  # the poll's own delay is what the figure may overstate
        total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        await runtime.stop()
        await engine.dispose()
    pool.close()
    assert report.transactions_published == n, report
    figure("statement: CAMT.053 parsed and stored", n, "lines", committed)
    figure("statement: ... and every line published", n, "lines", total)
    # On a busy machine the wall time is mostly the wait for a core: the CPU seconds say more.
    cpu_figure("statement: CPU, parse", phases["parse"], parse_workers)
    cpu_figure("statement: CPU, line ids and duplicates", phases["ids"])
    cpu_figure("statement: CPU, events built", phases["events"])
    cpu_figure("statement: CPU, stored (ledger, outbox, commit)", phases["store"])
    cpu_figure("statement: CPU, published (outbox relay)", total_cpu - committed_cpu)
    cpu_figure("statement: CPU, all", total_cpu, parse_workers)


# Bank lines per message, as the importer publishes a statement's (see matching.handlers.match_transactions).
_MATCH_BATCH = 1000


def bench_matching(lines: int, items: int) -> None:
    """Cash application on a labelled set (opendso_cli.bank_generator): speed, and how right it is.

    The lines are decided as the matching service decides them (its default, OPENDSO_MATCHING_WORKERS=0, in
    its own process): it holds every item indexed (opendso_matching.held.HeldLedger), loaded once at start-up
    with each entity's names; then, for each message of _MATCH_BATCH lines, entity after entity, it updates the held
    items with what its tables changed since (the items the decisions before changed), decides the lines in a
    view of the held items with the entity's names and the known IBANs of the lines' payers, and books each
    decision in the view before the next line (an applied line reduces its items and teaches its payer's IBAN,
    as the service does). The bench has no database: the items changed come from the views, the IBANs from a
    dict. The lines the engine left to a person are booked as their truth says, as a collector working the
    review and suspense queues would: the set's truth assumes every earlier line was booked right, so a
    duplicate is only a duplicate once the first payment was booked. A wrong auto-application is not undone:
    its damage to later lines counts.

    Printed: the start-up (once per service process, not per line: the names and every item indexed from the
    ledger as it streams by; reading the tables not included), and the WALL TIME of the lines (from the first
    message's lines to the last decision: updates of the held items, views, IBANs and decisions, all of it);
    the CPU seconds beside them (on a shared machine the wall times are mostly waiting). Then what the tables
    add (_bench_matching_tables: OPENDSO_BENCH_MATCH_TABLE_LINES lines, default 10,000, through the service's
    handler on SQLite and on PostgreSQL when it is reachable, 0 to skip): the start-up read from them, the cost
    per line beside deciding, and the COMPLETE WALL TIME estimated from both.
    """
    import gc
    import hashlib
    from collections import Counter

    from opendso_cli.bank_generator import (
        BankConfig,
        LedgerCustomer,
        Verdict,
        generate_bank_set,
        judge,
        ledger_customers,
    )
    from opendso_cli.generator import items_for_bench
    from opendso_matching.collection_pause import in_order_paused
    from opendso_matching.domain.engine import MatchConfig
    from opendso_matching.domain.index import MatchIndex
    from opendso_matching.domain.model import OpenItem, Outcome, Payment, Proposal
    from opendso_matching.held import HeldLedger
    from opendso_matching.workers import book_learning

    held = HeldLedger()
    # Each entity's customers and aliases, indexed, as the service's NamesCache holds them.
    names: dict[str, MatchIndex] = {}
    entity_of: dict[str, str] = {}
    # Start-up, wall and CPU seconds: names (customers, aliases), items and their keys.
    startup = [0.0, 0.0, 0.0]

    def indexed(customers: Iterator[LedgerCustomer]) -> Iterator[LedgerCustomer]:
        # The ledger streams once: each customer goes into the held index, then to the line generator.
        for ledger in customers:
            start, cpu = time.perf_counter(), time.process_time()
            customer = ledger.customer
            names.setdefault(customer.entity, MatchIndex()).add_customer(customer)
            entity_of[customer.customer_id] = customer.entity
            named = time.process_time()
            held.add(list(ledger.items))
            startup[0] += time.perf_counter() - start
            startup[1] += named - cpu
            startup[2] += time.process_time() - named
            yield ledger

    start = time.perf_counter()
    config = BankConfig(lines=lines, customers=max(1, items // 10), today=TODAY)
    bank = generate_bank_set(indexed(ledger_customers(items_for_bench(items, today=TODAY))), config)
    generated = time.perf_counter() - start - startup[0]
    start, cpu = time.perf_counter(), time.process_time()
    for customer_id, alias in bank.aliases:
        names[entity_of[customer_id]].add_alias(customer_id, alias)
    # The held index lives as long as the service: its collections leave it alone from now on (see app.load_held).
    gc.collect()
    gc.freeze()
    startup[0] += time.perf_counter() - start
    startup[1] += time.process_time() - cpu
    # What the service's IBAN table knows: the set's known payers, and what applied lines teach on the way.
    ibans = dict(bank.known_ibans)
    truths = {line.payment.transaction_id: line.truth for line in bank.lines}

    def book(target: MatchIndex, payment: Payment, proposal: Proposal) -> None:
        if proposal.outcome is Outcome.APPLY:
            book_learning(target, payment, proposal)
            return
        for true in truths[payment.transaction_id].allocations:
            if target.item(true.item_id) is not None:
                target.reduce(true.item_id, true.settled)

    match_config = MatchConfig()
    rates = bank.rates.rate
    payments = [line.payment for line in bank.lines]
    # What the collector takes of the pass's wall time.
    collecting = [0.0, 0.0]

    def collector(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.perf_counter()
        else:
            collecting[0] += time.perf_counter() - collecting[1]

    decided: list[Proposal | None] = [None] * len(payments)
    # CPU seconds: updating the held items, views and IBANs, deciding; items read back; views made.
    spent = [0.0, 0.0, 0.0]
    tally = [0, 0]
    gc.callbacks.append(collector)
    start, cpu = time.perf_counter(), time.process_time()
    try:
        changed: list[OpenItem] = []
        for first in range(0, len(payments), _MATCH_BATCH):
            began = time.process_time()
            # What the tables changed since the last message: the items the decisions before took from (the
            # service reads them back by their version, see HeldLedger.update).
            held.add(changed)
            tally[0] += len(changed)
            changed = []
            by_entity: dict[str, list[int]] = {}
            for n in range(first, min(first + _MATCH_BATCH, len(payments))):
                by_entity.setdefault(payments[n].entity, []).append(n)
            spent[0] += time.process_time() - began
            for entity, where in by_entity.items():
                began = time.process_time()
                batch = [payments[n] for n in where]
                view = held.view(names[entity])
                tally[1] += 1
                known = {p.counterparty_iban for p in batch if p.counterparty_iban in ibans}
                for iban in known:
                    view.add_iban(iban, ibans[iban])
                deciding = time.process_time()
                proposals = in_order_paused(batch, view, match_config, rates, book)
                done = time.process_time()
                for n, payment, proposal in zip(where, batch, proposals, strict=True):
                    decided[n] = proposal
                    iban = payment.counterparty_iban
                    if proposal.outcome is Outcome.APPLY and iban and iban not in known:
                        assert proposal.customer_id is not None
                        ibans.setdefault(iban, proposal.customer_id)
                        known.add(iban)
                changed.extend(view.reduced.values())
                spent[0] += deciding - began + time.process_time() - done
                spent[1] += done - deciding
        wall, wall_cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        gc.callbacks.remove(collector)
    pooled = [p for p in decided if p is not None]
    assert len(pooled) == len(payments)
    # Every field of every decision, reasons included: a change meant only to be faster must leave it as it was.
    digest = hashlib.sha256()
    for proposal in pooled:
        digest.update(repr(proposal).encode())
        digest.update(b"\n")

    figure("matching: generate ledger and labelled lines", len(bank.lines), "lines", generated)
    figure("matching: START-UP, held items and names", bank.items, "items", startup[0])
    print(
        f"{'matching: ... CPU seconds of the start-up':<48} {startup[1] + startup[2]:8.3f}s: customers, names and "
        f"aliases {startup[1]:.3f}s, items and their keys {startup[2]:.3f}s (once per service process, before it "
        "takes any line; reading the tables not included)"
    )
    gc.unfreeze()
    figure(f"matching: lines in messages of {_MATCH_BATCH}, one process", len(bank.lines), "lines", wall)
    print(
        f"{'matching: WALL TIME (lines in -> decisions out)':<48} {wall:8.3f}s in one process, as the service (its "
        f"default): {len(range(0, len(payments), _MATCH_BATCH))} messages, {tally[1]} views, {tally[0]} items "
        "read back as the tables changed them; the start-up above apart"
    )
    print(
        f"{'matching: ... CPU seconds of the same':<48} {wall_cpu:8.3f}s: deciding {spent[1]:.3f}s, updating the "
        f"held items, views and IBANs {spent[0]:.3f}s (garbage collections: {collecting[0]:.3f}s of wall time)"
    )
    print(f"{'matching: digest of every decision (sha256)':<48} {digest.hexdigest()}")
    results = [(proposal, judge(line.truth, proposal)) for line, proposal in zip(bank.lines, pooled, strict=True)]
    total = len(bank.lines) or 1
    outcomes = Counter(p.outcome for p, _ in results)
    applied = [(line, p, v) for line, (p, v) in zip(bank.lines, results, strict=True) if p.outcome is Outcome.APPLY]
    right = [a for a in applied if a[2] is Verdict.CORRECT]
    payable = [line for line in bank.lines if line.truth.allocations]
    true_items = sum(len(line.truth.allocations) for line in payable)
    # An item counts as auto-matched when its line was applied and booked it exactly as the truth says.
    items_right = sum(len(line.truth.allocations) for line, _, _ in right)
    wrong_allocations = 0
    for line, proposal, _ in applied:
        expected = {a.item_id: (a.settled, a.write_off) for a in line.truth.allocations}
        for allocation in proposal.allocations:
            settled = allocation.amount if allocation.write_off is None else allocation.amount + allocation.write_off
            if expected.get(allocation.item_id, (None, None))[0] != settled:
                wrong_allocations += 1
    verdicts = Counter(v for _, _, v in applied if v is not Verdict.CORRECT)
    print(f"{'matching: auto-applied lines':<48} {len(applied):>8} of {total} = {len(applied) / total:7.1%}")
    print(
        f"{'matching: ... applied exactly right (line level)':<48} {len(right):>8} of {total} = "
        f"{len(right) / total:7.1%}"
    )
    print(
        f"{'matching: ... items paid, auto-matched (item level)':<48} {items_right:>8} of {true_items} = "
        f"{items_right / max(1, true_items):7.1%}"
    )
    harmless = sum(1 for _, _, v in applied if v is Verdict.ZERO_SUM_ITEMS)
    print(
        f"{'matching: precision of what was applied':<48} {len(right):>8} of {len(applied)} = "
        f"{len(right) / max(1, len(applied)):7.1%}  ({(len(right) + harmless) / max(1, len(applied)):.1%} "
        "counting extra items that net to zero as right)"
    )
    print(
        f"{'matching: wrong applications / allocations':<48} {len(applied) - len(right):>8} lines, "
        f"{wrong_allocations} allocations ({', '.join(f'{k}: {n}' for k, n in verdicts.most_common())})"
    )
    review = outcomes[Outcome.REVIEW]
    print(f"{'matching: review queue':<48} {review:>8} of {total} = {review / total:7.1%}")
    print(
        f"{'matching: suspense (+ ignored, money paid out)':<48} {outcomes[Outcome.SUSPENSE]:>8} of {total} = "
        f"{outcomes[Outcome.SUSPENSE] / total:7.1%}  (+ {outcomes[Outcome.IGNORED]} ignored)"
    )
    by_scenario: dict[str, Counter[str]] = {}
    for line, (proposal, verdict) in zip(bank.lines, results, strict=True):
        counts = by_scenario.setdefault(line.truth.scenario.value, Counter())
        counts["lines"] += 1
        counts[proposal.outcome.value] += 1
        if proposal.outcome is Outcome.APPLY:
            counts["right" if verdict is Verdict.CORRECT else "wrong"] += 1
    for scenario, counts in sorted(by_scenario.items(), key=lambda kv: -kv[1]["lines"]):
        n = counts["lines"]
        print(
            f"  {scenario:<22} {n:>7} lines  applied {counts['apply'] / n:6.1%} (wrong {counts['wrong']:>5})  "
            f"review {counts['review'] / n:6.1%}  suspense {counts['suspense'] / n:6.1%}"
        )
    worst = sorted(
        ((line, p, v) for line, p, v in applied if v is not Verdict.CORRECT),
        key=lambda a: (-a[1].confidence, -abs(a[0].payment.amount.amount)),
    )
    for line, proposal, verdict in worst[:5]:
        truth = line.truth
        got = ", ".join(f"{a.item_number} {a.amount}" for a in proposal.allocations) or "-"
        want = ", ".join(f"{a.item_id.rsplit('/', 1)[-1]} {a.settled}" for a in truth.allocations) or "-"
        print(
            f"wrong: {verdict} [{truth.scenario}/{truth.variant}, name {truth.name_style}] {line.payment.amount} "
            f"{line.payment.remittance_text!r} {line.payment.structured_reference} -> {proposal.customer_id}: {got}, "
            f"unallocated {proposal.unallocated} (truth {truth.customer_id}: {want}, unallocated {truth.unallocated}) "
            f"at {proposal.confidence}: {' | '.join(proposal.reasons)}"
        )
    # The same lines through the service's handler and tables, on a smaller set (the writes per line).
    table_lines = int(os.environ.get("OPENDSO_BENCH_MATCH_TABLE_LINES", "10000"))
    if table_lines:
        sample_items = table_lines * max(1, items // max(1, lines))
        for backend in ("sqlite", "postgresql"):
            asyncio.run(_bench_matching_tables(table_lines, sample_items, lines, wall, wall_cpu, backend))


async def _bench_matching_tables(
    lines: int, items: int, full: int, full_wall: float, full_cpu: float, backend: str = "sqlite"
) -> None:
    """What the tables add per line: a smaller labelled set in a SQLite database, the service's default, recorded
    through the service's handlers (customers, items, the known IBANs and aliases), the held items loaded from it
    as at start-up, then every line handed to the handler in messages of _MATCH_BATCH, each committed: the
    decisions as in bench_matching, plus the reading of what the tables changed and the writing of every line,
    allocation and event. A million items are not written for it (their keys alone are millions of rows). What
    the handler spends beside deciding, per line, added to bench_matching's WALL TIME (``full_wall`` for ``full``
    lines), is the estimate of the whole pass through the service."""
    import gc
    import uuid
    from typing import Any
    from unittest import mock

    import asyncpg
    from google.protobuf.timestamp_pb2 import Timestamp
    from opendso.banking.v1 import banking_pb2 as bk
    from opendso.common.v1.common_pb2 import EventMeta
    from opendso.receivables.v1 import receivables_pb2 as rv
    from opendso_bus.outbox import Outbox
    from opendso_cli.bank_generator import BankConfig, LedgerCustomer, generate_bank_set, ledger_customers
    from opendso_cli.generator import items_for_bench
    from opendso_contracts.convert import date_to_proto, money_to_proto
    from opendso_db import create_engine, ensure_database, session_factory, upgrade
    from opendso_matching import handlers
    from opendso_matching.app import MIGRATIONS
    from opendso_matching.held import HeldLedger
    from opendso_matching.store import OUTBOX, UnitOfWork
    from opendso_matching.workers import decide

    ledgers: list[LedgerCustomer] = []

    def kept(customers: Iterator[LedgerCustomer]) -> Iterator[LedgerCustomer]:
        for ledger in customers:
            ledgers.append(ledger)
            yield ledger

    config = BankConfig(lines=lines, customers=max(1, items // 10), today=TODAY)
    bank = generate_bank_set(kept(ledger_customers(items_for_bench(items, today=TODAY))), config)
    stamp = Timestamp()
    stamp.FromDatetime(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    kinds = {"invoice": rv.ITEM_KIND_INVOICE, "credit_note": rv.ITEM_KIND_CREDIT_NOTE}
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{folder}/matching.db"
        else:
            name = f"bench_matching_{uuid.uuid4().hex[:8]}"
            url = f"postgresql://postgres@127.0.0.1:5432/{name}"
            try:
                await ensure_database(url)
            except OSError:
                print(f"{'matching: tables on PostgreSQL':<48} skipped (no PostgreSQL on 127.0.0.1:5432)")
                return
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        engine = create_engine(url)
        sessions = session_factory(engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions, Outbox(OUTBOX), "matching")

        async def fetch_rates(wanted: set[tuple[str, str, dt.date]]) -> dict[tuple[str, str, dt.date], Decimal]:
            found = {w: bank.rates.rate(*w) for w in wanted}
            return {w: rate for w, rate in found.items() if rate is not None}

        deps = handlers.Deps(
            now=lambda: dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC),
            fetch_rates=fetch_rates,
            names=handlers.NamesCache(),
            ledger=HeldLedger(),
        )
        try:
            for first in range(0, len(ledgers), 500):
                chunk = ledgers[first : first + 500]
                meta = EventMeta(event_id=f"ledger-{first}", occurred_at=stamp, source="importer")
                async with uow() as u:
                    await handlers.record_customers(
                        rv.CustomersChanged(
                            meta=meta,
                            changes=[
                                rv.CustomerChange(
                                    customer=rv.Customer(
                                        customer_id=c.customer.customer_id,
                                        entity=c.customer.entity,
                                        name=c.customer.name,
                                        account_number=c.customer.account_number,
                                    )
                                )
                                for c in chunk
                            ],
                        ),
                        u,
                        deps,
                    )
                    await handlers.record_items(
                        rv.ItemsChanged(
                            meta=meta,
                            changes=[
                                rv.ItemChange(
                                    type=rv.CHANGE_TYPE_CREATED,
                                    item=rv.OpenItem(
                                        item_id=i.item_id,
                                        customer_id=i.customer_id,
                                        entity=i.entity,
                                        number=i.number,
                                        kind=kinds.get(i.kind, rv.ITEM_KIND_INVOICE),
                                        due_date=date_to_proto(i.due_date),
                                        open_amount=money_to_proto(i.open_amount),
                                        reference=i.reference,
                                    ),
                                )
                                for c in chunk
                                for i in c.items
                            ],
                        ),
                        u,
                        deps,
                    )
                    await u.commit()
            async with uow() as u:
                for iban, customer_id in bank.known_ibans:
                    await u.repo.learn_iban(iban, customer_id, "confirmed", deps.now())
                for customer_id, alias in bank.aliases:
                    await u.repo.learn_alias(customer_id, alias, deps.now())
                await u.commit()
            assert deps.ledger is not None and deps.names is not None
            started, cpu = time.perf_counter(), time.process_time()
            async with uow() as u:
                loaded = await deps.ledger.load(u)
                for entity in await u.repo.entities():
                    await deps.names.of(entity, u)
            load_wall, load_cpu = time.perf_counter() - started, time.process_time() - cpu
            # As app.load_held: what is held for the service's life is left alone by the collector's full passes
            # (not timed: in this process the collection walks bench_matching's million items too).
            gc.collect()
            gc.freeze()
            statement = [
                bk.BankTransaction(
                    transaction_id=p.transaction_id,
                    entity=p.entity,
                    booking_date=date_to_proto(p.booking_date),
                    amount=money_to_proto(p.amount),
                    counterparty_name=p.counterparty_name,
                    counterparty_iban=p.counterparty_iban,
                    remittance_text=p.remittance_text,
                    structured_reference=p.structured_reference,
                    structured_reference_type=p.structured_reference_type,
                )
                for p in (line.payment for line in bank.lines)
            ]
            # Wall and CPU seconds of the handler's deciding.
            deciding = [0.0, 0.0]

            def timed_decide(*args: Any) -> Any:
                began, began_cpu = time.perf_counter(), time.process_time()
                try:
                    return decide(*args)
                finally:
                    deciding[0] += time.perf_counter() - began
                    deciding[1] += time.process_time() - began_cpu

            # The handler's own call of decide, timed: what it spends beside deciding is the tables' share.
            patched = mock.patch.object(handlers, "decide", timed_decide)
            patched.start()
            started, cpu = time.perf_counter(), time.process_time()
            for first in range(0, len(statement), _MATCH_BATCH):
                meta = EventMeta(event_id=f"statement-{first}", occurred_at=stamp, source="importer")
                async with uow() as u:
                    await handlers.match_transactions(
                        bk.BankTransactionsReceived(meta=meta, transactions=statement[first : first + _MATCH_BATCH]),
                        u,
                        deps,
                    )
                    await u.commit()
            wall, wall_cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            gc.unfreeze()
            mock.patch.stopall()
            await engine.dispose()
            if backend != "sqlite":
                admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
                try:
                    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                finally:
                    await admin.close()
    where = "SQLite" if backend == "sqlite" else "PostgreSQL"
    figure(f"matching: START-UP from {where} tables (sample)", loaded.items, "items", load_wall)
    print(
        f"{'matching: ... CPU seconds of the same':<48} {load_cpu:8.3f}s (items read and indexed, names indexed): "
        f"{load_cpu / max(1, loaded.items) * 1e6:.1f} µs CPU an item"
    )
    figure(f"matching: lines through the service, {where}", len(statement), "lines", wall)
    runs_in = "SQLite's included: it runs in it" if backend == "sqlite" else "PostgreSQL's own work not included"
    print(
        f"{'matching: ... per line, tables included':<48} {wall / max(1, len(statement)) * 1e3:8.3f} ms wall, "
        f"{wall_cpu / max(1, len(statement)) * 1e3:.3f} ms CPU of this process ({runs_in}); "
        f"{full} lines at this rate: {wall / max(1, len(statement)) * full:.1f} s"
    )
    beside = (wall - deciding[0]) / max(1, len(statement))
    beside_cpu = (wall_cpu - deciding[1]) / max(1, len(statement))
    print(
        f"{'matching: ... of which deciding':<48} {deciding[0]:8.3f}s ({deciding[1]:.3f}s CPU); the rest (the held "
        f"items updated, IBANs and names' versions read; lines, allocations, IBANs and events written; commits) "
        f"{beside * 1e3:.3f} ms a line ({beside_cpu * 1e3:.3f} ms CPU)"
    )
    print(
        f"{f'matching: COMPLETE WALL TIME on {where}, estimated':<48} {full_wall + beside * full:8.3f}s for {full} "
        f"lines: the WALL TIME above ({full_wall:.3f}s) and {full} times the rest per line ({beside * full:.3f}s); in "
        f"CPU seconds of this process {full_cpu + beside_cpu * full:.3f}s ({full_cpu:.3f}s + {beside_cpu * full:.3f}s)"
    )


def _constant(value: _T) -> Callable[[], _T]:
    return lambda: value


async def bench_daily_pass(customers: int, items_per_customer: int = 10) -> None:
    """The scenario service's daily pass (evaluate_all) over `customers` customers with ten items each, stored in
    SQLite: the agenda it produces, and one customer's incremental evaluation after a payment."""
    from opendso_bus.outbox import Outbox
    from opendso_db import create_engine, session_factory, upgrade
    from opendso_db.bulk import insert_rows
    from opendso_scenario import handlers
    from opendso_scenario.app import MIGRATIONS
    from opendso_scenario.domain.builtin import builtin_scenarios
    from opendso_scenario.store import OUTBOX, UnitOfWork
    from opendso_scenario.store import customers as customers_table
    from opendso_scenario.store import items as items_table

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/scenario.db"
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        engine = create_engine(url)
        sessions = session_factory(engine)
        at = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions, Outbox(OUTBOX), "bench-scenario")

        async with uow() as u:
            await insert_rows(
                u.session,
                customers_table,
                [
                    {
                        "customer_id": f"FR01/C{n}",
                        "entity": "FR01",
                        "account_number": f"C{n}",
                        "name": f"Client {n}",
                        "email": f"c{n}@x.example",
                        "language": "fr",
                        "contact_name": "",
                        "scenario_code": "standard",
                        "customer_group": "",
                        "collector": "",
                        "scenario_rule": "",
                        "scenario_explanation": "[]",
                        "version_at": at,
                    }
                    for n in range(customers)
                ],
            )
            await insert_rows(
                u.session,
                items_table,
                [
                    {
                        "item_id": f"FR01/invoice/F{n}-{k}",
                        "customer_id": f"FR01/C{n}",
                        "number": f"F{n}-{k}",
                        "kind": "invoice",
                        "issue_date": TODAY - dt.timedelta(days=60 + k),
                        "due_date": TODAY - dt.timedelta(days=(n + k * 3) % 50 - 5),
                        "open_amount": Decimal("100.00"),
                        "currency": "EUR",
                        "product_group": "",
                        "product": "",
                        "priority": "",
                        "version_at": at,
                    }
                    for n in range(customers)
                    for k in range(items_per_customer)
                ],
            )
            await u.commit()
        deps = handlers.Deps(
            today=lambda: TODAY,
            now=lambda: at,
            settle_seconds=1.0,
            scenarios=builtin_scenarios(),
            default_scenario="standard",
        )
        start = time.perf_counter()
        created = await handlers.evaluate_all(uow, deps)
        elapsed = time.perf_counter() - start
        figure("scenario: first pass, every customer (SQLite)", customers, "customers", elapsed)
        print(f"{'scenario: ... tasks created':<48} {created:>8}")
        # The days after: only the customers whose next step's day has come are looked at.
        for later in (1, 2, 7):
            day = TODAY + dt.timedelta(days=later)
            deps = dataclasses.replace(deps, today=_constant(day), now=_constant(at + (day - TODAY)))
            async with uow() as u:
                due = len(await u.repo.due_for_review(day))
            start = time.perf_counter()
            created = await handlers.evaluate_all(uow, deps)
            elapsed = time.perf_counter() - start
            figure(f"scenario: daily pass, day +{later} (SQLite)", customers, "customers", elapsed)
            print(f"{'scenario: ... customers due, tasks created':<48} {due:>8} {created:>8}")
        start = time.perf_counter()
        async with uow() as u:
            await handlers.evaluate_customer("FR01/C7", u, deps)
            await u.commit()
        one = time.perf_counter() - start
        print(f"{'scenario: one customer evaluated again':<48} {one * 1000:>8.1f} ms")
        await engine.dispose()


def main() -> None:
    import os

    bench_csv(50_000)
    bench_engine(20_000)
    asyncio.run(bench_daily_pass(int(os.environ.get("OPENDSO_BENCH_CUSTOMERS", "5000"))))
    bench_templates(2_000)
    from bench_messaging import bench_messaging

    bench_messaging(int(os.environ.get("OPENDSO_BENCH_MESSAGES", "10000")))
    asyncio.run(bench_outbox(20_000))
    asyncio.run(bench_statement(int(os.environ.get("OPENDSO_BENCH_STATEMENT_LINES", "100000"))))
    asyncio.run(bench_import_postgres(int(os.environ.get("OPENDSO_BENCH_ITEMS", "100000"))))
    bench_matching(
        int(os.environ.get("OPENDSO_BENCH_BANK_LINES", "100000")),
        int(os.environ.get("OPENDSO_BENCH_MATCH_ITEMS", "1000000")),
    )
    from bench_reports import main as bench_reports

    bench_reports()


def bench_risk_prediction(customers: int = 3000, held_out_months: int = 6) -> None:
    """Predicted payment dates against what happened, on a history made with the generator's payment-behaviour
    profiles (its shares of on-time, late and chronically late payers, each paying a habitual number of days
    after due drawn from the profile's range, give or take the generator's 3 days, and a few invoices left
    unpaid for months as its disputed share). The last ``held_out_months`` are predicted from the 12 months
    before them, several rules side by side on the same invoices; the service's rule is marked."""
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from opendso_cli.generator import MEDIAN_AMOUNTS, GeneratorConfig
    from opendso_risk.domain.behaviour import PaidInvoice, figures, months_before
    from opendso_risk.domain.prediction import Segment, expectation, predict, segment_from_histogram

    config = GeneratorConfig(seed=23, customers=customers, today=TODAY)
    rng = random.Random(config.seed)
    cut = months_before(TODAY, held_out_months)
    first_day = months_before(TODAY, 24)
    history: dict[str, list[PaidInvoice]] = {}
    entity_of: dict[str, str] = {}
    for n in range(customers):
        entity = rng.choice(config.entities)
        roll = rng.random()
        if roll < config.late_payer_share:
            delays = config.late_delay_days
        elif roll < config.late_payer_share + config.chronic_late_share:
            delays = config.chronic_delay_days
        else:
            delays = config.on_time_delay_days
        habit = rng.randint(*delays)
        terms = rng.choice((30, 30, 30, 45, 60))
        # Customers start buying at any time in the two years: some have little history at the cut.
        day = first_day + dt.timedelta(days=rng.randrange(700))
        median = MEDIAN_AMOUNTS.get(entity.currency, 1000)
        customer = f"{entity.code}/C{n:06d}"
        entity_of[customer] = entity.code
        invoices = history.setdefault(customer, [])
        while day <= TODAY:
            due = day + dt.timedelta(days=terms)
            late = habit + rng.randint(-3, 3)
            if rng.random() < config.disputed_share:
                late += rng.randint(30, 180)
            amount = Decimal(max(1, round(median * rng.lognormvariate(0, 1.0))))
            paid = due + dt.timedelta(days=late)
            invoices.append(PaidInvoice(f"{customer}/{len(invoices)}", amount, entity.currency, day, due, paid))
            day += dt.timedelta(days=rng.randint(5, 40))

    start = time.perf_counter()
    known = {c: [i for i in invoices if i.paid_on <= cut] for c, invoices in history.items()}
    # What is predicted: invoices issued after the cut, whose payment is known by today.
    asked = {c: [i for i in invoices if i.issue_date > cut and i.paid_on <= TODAY] for c, invoices in history.items()}
    year = {c: figures(paid, cut, 12) for c, paid in known.items()}
    histograms: dict[str, dict[int, int]] = {}
    mean_parts: dict[str, tuple[int, int]] = {}
    for c, f in year.items():
        entity_code = entity_of[c]
        if f.weighted_days_after_due is not None:
            days = int(f.weighted_days_after_due.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            histogram = histograms.setdefault(entity_code, {})
            histogram[days] = histogram.get(days, 0) + 1
        count, total = mean_parts.get(entity_code, (0, 0))
        mean_parts[entity_code] = (count + f.paid_invoices, total + f.days_after_due_sum)
    typical = {e: segment_from_histogram(f"entity {e}", h) for e, h in histograms.items()}
    mean = {e: Segment(f"entity {e}", n, Decimal(t) / n if n else None) for e, (n, t) in mean_parts.items()}

    def rule(segments: dict[str, Segment], weighted: bool, k: int) -> Callable[[str], Decimal]:
        def days(c: str) -> Decimal:
            f = year[c]
            habit = f.weighted_days_after_due if weighted else f.average_days_after_due
            return expectation(habit, f.paid_invoices, segments.get(entity_of[c]), k).expected_days

        return days

    rules: list[tuple[str, Callable[[str], Decimal]]] = [
        ("due date", lambda c: Decimal(0)),
        ("entity's typical customer only", lambda c: typical[entity_of[c]].median_days or Decimal(0)),
        ("customer plain, else entity average", rule(mean, False, 0)),
        ("customer weighted, else entity average", rule(mean, True, 0)),
        ("blend k=3 with the entity average", rule(mean, True, 3)),
        ("blend k=3 with the typical customer", rule(typical, True, 3)),
        ("customer weighted, else typical: the rule", rule(typical, True, 0)),
    ]
    count = sum(len(v) for v in asked.values())
    short = {c for c, f in year.items() if f.paid_invoices < 3}
    short_count = sum(len(asked[c]) for c in short)
    print(
        f"{'risk: history made':<48} {sum(len(v) for v in history.values()):>8} invoices, {customers} customers; "
        f"{count} predicted, {short_count} of customers with under 3 paid in the 12 months before"
    )
    for label, days_of in rules:
        errors: list[int] = []
        short_errors: list[int] = []
        for c, invoices in asked.items():
            expected = days_of(c)
            for i in invoices:
                error = abs((predict(i.due_date, expected).predicted_on - i.paid_on).days)
                errors.append(error)
                if c in short:
                    short_errors.append(error)
        within = sum(1 for e in errors if e <= 7) / len(errors)
        print(
            f"{'risk: ' + label:<48} MAE {sum(errors) / len(errors):6.2f} days, within 7 days {within:6.1%}; "
            f"short history MAE {sum(short_errors) / max(1, len(short_errors)):6.2f}"
        )
    figure("risk: history split, figures, predictions", count, "predictions", time.perf_counter() - start)


if __name__ == "__main__":
    main()
    bench_risk_prediction(int(os.environ.get("OPENDSO_BENCH_RISK_CUSTOMERS", "3000")))

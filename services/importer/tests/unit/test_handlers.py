"""The importer's handlers over an in-memory ledger: files in, events and reports out."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import EventMeta
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, NotFound
from opendso_bus.envelope import new_meta
from opendso_importer import entities as handlers_entities
from opendso_importer import handlers
from opendso_importer.domain.entities import LatePaymentLaw, LegalEntity
from opendso_importer.domain.ledger import CustomerState, ItemState
from opendso_importer.store import UnitOfWork, customer_id_of, item_id_of

TODAY = dt.date(2026, 11, 24)
HEADER = "entity;account_number;customer_name;email;item_number;issue_date;due_date;amount;open_amount;currency\n"


class FakeLedger:
    def __init__(self) -> None:
        self.customer_rows: dict[str, CustomerState] = {}
        self.item_rows: dict[str, tuple[ItemState, dt.date | None]] = {}
        self.imports: dict[str, bytes] = {}
        self.profiles: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {}
        self.contact_rows: dict[str, dict[str, Any]] = {}
        self.entity_rows: dict[str, LegalEntity] = {}

    async def customers(self, ids: Any) -> dict[str, CustomerState]:
        return {i: self.customer_rows[i] for i in ids if i in self.customer_rows}

    async def staged(self) -> None:
        return None  # the row-by-row path: the staged one is PostgreSQL's, tested on the database

    async def items(self, ids: Any) -> dict[str, ItemState]:
        return {i: self.item_rows[i][0] for i in ids if i in self.item_rows}

    async def open_items_of(self, customer_id: str) -> list[ItemState]:
        return [
            s
            for s, closed in self.item_rows.values()
            if customer_id_of(s.entity, s.account_number) == customer_id and closed is None
        ]

    async def save_customers(self, created: list[CustomerState], changed: list[CustomerState]) -> None:
        for states, new in ((created, True), (changed, False)):
            for state in states:
                cid = customer_id_of(state.entity, state.account_number)
                assert new == (cid not in self.customer_rows)
                self.customer_rows[cid] = state

    async def save_items(
        self, created: list[tuple[ItemState, dt.date | None]], changed: list[tuple[ItemState, dt.date | None]]
    ) -> None:
        for pairs, new in ((created, True), (changed, False)):
            for state, closed_on in pairs:
                iid = item_id_of(state.entity, state.kind, state.number)
                assert new == (iid not in self.item_rows)
                self.item_rows[iid] = (state, closed_on)

    async def open_items_of_entities(self, entities: list[str]) -> list[ItemState]:
        return [s for s, closed in self.item_rows.values() if s.entity in entities and closed is None]

    async def import_report(self, import_id: str) -> bytes | None:
        return next((r for r in self.imports.values() if im.ImportReport.FromString(r).import_id == import_id), None)

    async def import_by_key(self, key: str) -> bytes | None:
        return self.imports.get(key)

    async def prefer_index_lookups(self) -> None:
        pass

    async def contacts(self, ids: Any) -> dict[str, dict[str, Any]]:
        return {i: self.contact_rows[i] for i in ids if i in self.contact_rows}

    async def contacts_of(self, customer_id: str) -> list[dict[str, Any]]:
        return [c for c in self.contact_rows.values() if c["customer_id"] == customer_id]

    async def save_contacts(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.contact_rows[row["contact_id"]] = row

    async def entities(self) -> dict[str, LegalEntity]:
        return dict(sorted(self.entity_rows.items()))

    async def save_entities(self, states: list[LegalEntity]) -> None:
        for state in states:
            self.entity_rows[state.code] = state

    async def profile_for_layout(self, signature: str) -> tuple[str, dict[str, str], dict[str, str]] | None:
        return self.profiles.get(signature)

    async def save_profile(self, name: str, signature: str, columns: dict[str, str], constants: dict[str, str]) -> None:
        self.profiles[signature] = (name, columns, constants)

    async def record_import(
        self, import_id: str, key: str | None, checksum: str, file_name: str, report: bytes
    ) -> None:
        if key:
            self.imports[key] = report


class FakeUnitOfWork:
    def __init__(self, ledger: FakeLedger) -> None:
        self.ledger = ledger
        self.published: list[Message] = []
        self.committed = False
        self._correlation = ""

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        self._correlation = correlation_id

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        return new_meta("importer", entity=entity, correlation_id=self._correlation, **kwargs)

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    async def publish_many(self, messages: list[Message]) -> None:
        self.published.extend(messages)

    async def commit(self) -> None:
        self.committed = True

    async def rollback(self) -> None:
        self.published.clear()


UPLOADS: dict[str, bytes] = {}


async def fetch_upload(name: str, into: Path) -> None:
    await asyncio.to_thread(into.write_bytes, UPLOADS[name])


DEPS = handlers.Deps(today=lambda: TODAY, max_file_bytes=200_000, fetch_upload=fetch_upload)


async def run(
    ledger: FakeLedger, content: str, key: str = "", **options: Any
) -> tuple[im.ImportReport, FakeUnitOfWork]:
    uow = FakeUnitOfWork(ledger)
    command = im.ImportReceivablesFile(
        file_name="ar.csv", content=content.encode(), idempotency_key=key, correlation_id="req-1", **options
    )
    report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), DEPS)
    return report, uow


def kinds(uow: FakeUnitOfWork) -> list[str]:
    return [type(m).__name__ for m in uow.published]


def item_changes(uow: FakeUnitOfWork) -> list[rv.ItemChange]:
    return [c for m in uow.published if isinstance(m, rv.ItemsChanged) for c in m.changes]


FILE = HEADER + (
    "FR01;C1;Dupont;ap@dupont.example;F-1;2026-10-01;2026-10-31;100,00;100,00;EUR\n"
    "FR01;C1;Dupont;ap@dupont.example;F-2;2026-10-05;2026-11-04;50,00;50,00;EUR\n"
)


async def test_a_new_file_creates_the_customer_and_opens_its_items_in_one_commit() -> None:
    report, uow = await run(FakeLedger(), FILE)

    assert (report.customers_created, report.items_opened, report.rows_rejected) == (1, 2, 0)
    assert kinds(uow) == ["CustomersChanged", "ItemsChanged", "FileImported"]
    assert uow.committed
    customers = cast(rv.CustomersChanged, uow.published[0])
    assert [c.type for c in customers.changes] == [rv.CHANGE_TYPE_CREATED]
    opened = item_changes(uow)
    assert [c.type for c in opened] == [rv.CHANGE_TYPE_CREATED] * 2
    assert opened[0].item.open_amount.amount == "100.00" and opened[0].item.customer_id == "FR01/C1"
    assert cast(rv.ItemsChanged, uow.published[1]).meta.entity == "FR01"
    assert {m.meta.correlation_id for m in uow.published} == {"req-1"}  # type: ignore[attr-defined]


async def test_the_same_file_twice_publishes_no_change() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE)
    report, uow = await run(ledger, FILE)

    assert (report.customers_created, report.customers_changed, report.items_opened, report.items_changed) == (
        0,
        0,
        0,
        0,
    )
    assert kinds(uow) == ["FileImported"]


async def test_a_retried_upload_with_its_key_answers_the_first_report() -> None:
    ledger = FakeLedger()
    first, _ = await run(ledger, FILE, key="k-1")
    again, uow = await run(ledger, FILE + "FR01;C1;Dupont;;F-3;2026-10-05;2026-11-04;5;5;EUR\n", key="k-1")

    assert again.replayed and again.import_id == first.import_id
    assert uow.published == [] and not uow.committed


async def test_a_partial_payment_changes_the_item_and_a_full_one_closes_it() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE)
    _, uow = await run(ledger, FILE.replace("100,00;100,00", "100,00;40,00").replace("50,00;50,00", "50,00;0"))

    changed, closed = item_changes(uow)
    assert changed.type == rv.CHANGE_TYPE_CHANGED and list(changed.changed_fields) == ["open_amount"]
    assert closed.type == rv.CHANGE_TYPE_CLOSED and closed.closed_on.day == TODAY.day
    assert ledger.item_rows["FR01/invoice/F-2"][1] == TODAY


async def test_a_bad_row_is_reported_and_the_good_rows_are_imported() -> None:
    bad = FILE + "FR01;C2;Martin;ap@martin.example;F-9;2026-10-05;2026-13-40;10;10;EUR\n"
    report, _ = await run(FakeLedger(), bad)

    assert report.rows_rejected == 1 and report.items_opened == 2
    (error,) = report.errors
    assert (error.row, error.column) == (4, "due_date")
    assert "2026-13-40" in error.reason


async def test_a_file_missing_a_required_column_imports_nothing() -> None:
    ledger = FakeLedger()
    report, uow = await run(ledger, "entity;customer_name\nFR01;Dupont\n")

    assert report.file_rejected
    assert any("account_number" in e.reason for e in report.errors)
    assert ledger.customer_rows == {} and kinds(uow) == ["FileImported"]


async def test_a_file_over_the_size_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(InvalidRequest, match="200000"):
        await run(FakeLedger(), HEADER + "x" * 200_001)


async def test_an_unknown_account_is_not_found() -> None:
    uow = FakeUnitOfWork(FakeLedger())
    with pytest.raises(NotFound, match="C9"):
        await handlers.get_customer_account(
            rv.GetCustomerAccount(entity="FR01", account_number="C9"), cast(UnitOfWork, uow)
        )


OTHER_ENTITY = "DE01;D1;Müller;ap@mueller.example;R-1;2026-10-01;2026-10-31;70,00;70,00;EUR\n"
SNAPSHOT = im.SYNC_MODE_FULL_SNAPSHOT


async def test_a_full_snapshot_closes_the_open_items_it_no_longer_lists() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE + OTHER_ENTITY)
    only_f1 = HEADER + FILE.splitlines(keepends=True)[1]

    report, uow = await run(ledger, only_f1, mode=SNAPSHOT)

    assert report.items_closed == 1 and list(report.snapshot_entities) == ["FR01"]
    (closed,) = [c for c in item_changes(uow) if c.type == rv.CHANGE_TYPE_CLOSED]
    assert closed.item.number == "F-2" and closed.item.open_amount.amount == "0"
    assert ledger.item_rows["FR01/invoice/F-2"][1] == TODAY
    # Another entity's items are not the snapshot's business.
    assert ledger.item_rows["DE01/invoice/R-1"][1] is None


async def test_a_snapshot_for_named_entities_closes_items_of_an_entity_absent_from_the_file() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE + OTHER_ENTITY)

    report, _ = await run(ledger, FILE, mode=SNAPSHOT, snapshot_entities=["FR01", "DE01"])

    assert report.items_closed == 1
    assert ledger.item_rows["DE01/invoice/R-1"][1] == TODAY


async def test_a_snapshot_with_a_rejected_row_closes_nothing() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE)
    broken = HEADER + FILE.splitlines(keepends=True)[1] + "FR01;C1;Dupont;;F-2;2026-10-05;soon;50,00;50,00;EUR\n"

    report, uow = await run(ledger, broken, mode=SNAPSHOT)

    assert report.snapshot_closing_skipped and report.items_closed == 0
    assert not any(c.type == rv.CHANGE_TYPE_CLOSED for c in item_changes(uow))
    assert ledger.item_rows["FR01/invoice/F-2"][1] is None


async def test_a_dry_run_reports_what_would_change_and_changes_nothing() -> None:
    ledger = FakeLedger()
    report, uow = await run(ledger, FILE, key="check-1", dry_run=True)

    assert report.dry_run and report.items_opened == 2
    assert uow.published == [] and not uow.committed
    assert ledger.imports == {}


async def test_an_import_report_can_be_read_back() -> None:
    ledger = FakeLedger()
    report, _ = await run(ledger, FILE, key="k-9")
    uow = FakeUnitOfWork(ledger)

    again = await handlers.get_import_report(im.GetImportReport(import_id=report.import_id), cast(UnitOfWork, uow))

    assert again.items_opened == 2
    with pytest.raises(NotFound):
        await handlers.get_import_report(im.GetImportReport(import_id="nope"), cast(UnitOfWork, uow))


async def test_a_large_file_is_read_from_the_object_store_by_name_through_a_file_removed_afterwards() -> None:
    UPLOADS["req-9/ar.csv"] = FILE.encode()
    downloaded: list[Path] = []

    async def fetch(name: str, into: Path) -> None:
        downloaded.append(into)
        await fetch_upload(name, into)

    uow = FakeUnitOfWork(FakeLedger())
    command = im.ImportReceivablesFile(file_name="ar.csv", object_name="req-9/ar.csv")

    report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), replace(DEPS, fetch_upload=fetch))

    assert report.items_opened == 2
    assert report.checksum == hashlib.sha256(FILE.encode()).hexdigest()
    assert len(downloaded) == 1
    assert not downloaded[0].exists() and not downloaded[0].parent.exists()


async def test_a_downloaded_file_is_removed_when_the_import_is_refused() -> None:
    UPLOADS["req-10/ar.csv"] = FILE.encode() * 10_000
    downloaded: list[Path] = []

    async def fetch(name: str, into: Path) -> None:
        downloaded.append(into)
        await fetch_upload(name, into)

    command = im.ImportReceivablesFile(file_name="ar.csv", object_name="req-10/ar.csv")
    with pytest.raises(InvalidRequest, match=r"ar\.csv: \d+ bytes is over the limit of 200000"):
        await handlers.import_receivables_file(
            command, cast(UnitOfWork, FakeUnitOfWork(FakeLedger())), replace(DEPS, fetch_upload=fetch)
        )
    assert downloaded and not downloaded[0].parent.exists()


FRENCH = (
    "N° client;Raison sociale;N° facture;Date facture;Échéance;Montant TTC;Devise;Divers\n"
    "C1;Dupont SARL;F-1;01/10/2026;31/10/2026;120,00;EUR;x\n"
)


async def test_a_proposal_maps_french_headers_and_a_saved_profile_applies_to_later_files() -> None:
    ledger = FakeLedger()
    uow = cast(UnitOfWork, FakeUnitOfWork(ledger))
    proposal = await handlers.propose_column_mapping(
        im.ProposeMapping(file_name="fr.csv", content=FRENCH.encode()), uow, DEPS
    )
    assert proposal.columns["account_number"] == "N° client"
    assert proposal.columns["due_date"] == "Échéance"
    assert list(proposal.missing_required) == ["entity"]
    assert "Divers" in proposal.unmapped_headers

    profile = im.MappingProfile(
        name="ERP France",
        layout_signature=proposal.layout_signature,
        columns=dict(proposal.columns),
        constants={"entity": "FR01"},
    )
    await handlers.save_mapping_profile(im.SaveMappingProfile(profile=profile), uow)
    report, _ = await run(ledger, FRENCH)

    assert report.mapping_profile == "ERP France"
    assert report.items_opened == 1 and report.rows_rejected == 0
    assert "FR01/invoice/F-1" in ledger.item_rows


async def test_a_mapping_naming_a_header_the_file_lacks_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="Numéro"):
        await run(FakeLedger(), FRENCH, mapping={"account_number": "Numéro"}, constants={"entity": "FR01"})


async def test_a_large_import_publishes_its_changes_a_thousand_to_a_message() -> None:
    rows = "".join(
        f"FR01;C{n % 50};Client {n % 50};;F-{n};2026-10-01;2026-10-31;10,00;10,00;EUR\n" for n in range(2500)
    )
    report, uow = await run(FakeLedger(), HEADER + rows)

    assert report.items_opened == 2500
    batches = [m for m in uow.published if isinstance(m, rv.ItemsChanged)]
    assert [len(b.changes) for b in batches] == [1000, 1000, 500]
    assert len({b.meta.event_id for b in batches}) == 3


async def test_json_records_import_like_a_file_and_name_a_bad_record_by_its_position() -> None:
    import json

    records = [
        {
            "entity": "FR01",
            "account_number": "C1",
            "customer_name": "Dupont",
            "item_number": "F-1",
            "issue_date": "2026-10-01",
            "due_date": "2026-10-31",
            "amount": 120.5,
            "currency": "EUR",
        },
        {
            "entity": "FR01",
            "account_number": "C1",
            "customer_name": "Dupont",
            "item_number": "F-2",
            "issue_date": "2026-10-01",
            "due_date": "not a date",
            "amount": 10,
            "currency": "EUR",
        },
    ]
    ledger = FakeLedger()
    uow = FakeUnitOfWork(ledger)
    command = im.ImportReceivablesFile(file_name="batch.json", content=json.dumps({"records": records}).encode())

    report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), DEPS)

    assert report.items_opened == 1 and report.rows_rejected == 1
    (error,) = report.errors
    assert (error.row, error.column, error.value) == (2, "due_date", "not a date")
    state, _ = ledger.item_rows["FR01/invoice/F-1"]
    assert str(state.amount.amount) == "120.5"


async def test_a_batch_that_is_not_json_records_is_rejected_whole() -> None:
    uow = FakeUnitOfWork(FakeLedger())
    command = im.ImportReceivablesFile(file_name="batch.json", content=b'{"records": 3}')

    report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), DEPS)

    assert report.file_rejected
    assert "array of records" in report.errors[0].reason


async def test_customer_and_item_attributes_are_kept_and_a_change_names_its_field() -> None:
    header = (
        "entity;account_number;customer_name;sector;collector;credit_limit;item_number;issue_date;due_date;"
        "amount;currency;product_group;priority\n"
    )
    row = "FR01;C1;Dupont;Bakery;marie;5000;F-1;2026-10-01;2026-10-31;100,00;EUR;Flour;high\n"
    ledger = FakeLedger()
    _, first = await run(ledger, header + row)
    (created,) = [c for m in first.published if isinstance(m, rv.CustomersChanged) for c in m.changes]
    assert (created.customer.sector, created.customer.collector, created.customer.credit_limit) == (
        "Bakery",
        "marie",
        "5000",
    )
    (opened,) = item_changes(first)
    assert (opened.item.product_group, opened.item.priority) == ("Flour", "high")

    _, second = await run(ledger, header + row.replace("Bakery", "Pastry"))

    (changed,) = [c for m in second.published if isinstance(m, rv.CustomersChanged) for c in m.changes]
    assert changed.type == rv.CHANGE_TYPE_CHANGED and list(changed.changed_fields) == ["sector"]


CONTACTS = (
    "entity;account_number;contact_name;email;phone;role\n"
    "FR01;C1;Marie Dupont;marie@dupont.example;+33 1 23 45 67 89;recouvrement\n"
    "FR01;C1;Paul Dupont;paul@dupont.example;;billing\n"
    "FR01;C9;Nobody;nobody@x.example;;billing\n"
)


async def test_contacts_attach_to_known_customers_and_an_unknown_customer_is_a_rejected_row() -> None:
    ledger = FakeLedger()
    await run(ledger, FILE)

    report, uow = await run(ledger, CONTACTS, content_kind="contacts")

    assert (report.contacts_created, report.rows_rejected) == (2, 1)
    assert (report.errors[0].row, report.errors[0].column) == (4, "account_number")
    (batch,) = [m for m in uow.published if isinstance(m, rv.ContactsChanged)]
    assert sorted(c.contact.role for c in batch.changes) == ["billing", "collection"]
    account = await handlers.get_customer_account(
        rv.GetCustomerAccount(entity="FR01", account_number="C1"), cast(UnitOfWork, FakeUnitOfWork(ledger))
    )
    assert {c.email for c in account.contacts} == {"marie@dupont.example", "paul@dupont.example"}

    again, uow2 = await run(ledger, CONTACTS.replace("+33 1 23 45 67 89", "+33 6 00 00 00 00"), content_kind="contacts")
    assert (again.contacts_created, again.contacts_changed) == (0, 1)
    (changed,) = [c for m in uow2.published if isinstance(m, rv.ContactsChanged) for c in m.changes]
    assert list(changed.changed_fields) == ["phone"]


async def test_address_parent_company_and_preferred_channel_reach_the_customer() -> None:
    header = "entity;account_number;customer_name;street;postal_code;city;parent_account;preferred_channel\n"
    ledger = FakeLedger()
    report, uow = await run(
        ledger, header + "FR01;C7;Dupont;1 rue de la Paix;75002;Paris;G1;Courrier\n" + "FR01;C8;Martin;;;;;pigeon\n"
    )

    (created,) = [c for m in uow.published if isinstance(m, rv.CustomersChanged) for c in m.changes]
    c = created.customer
    assert (c.street, c.postal_code, c.city, c.parent_account, c.preferred_channel) == (
        "1 rue de la Paix",
        "75002",
        "Paris",
        "G1",
        "letter",
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "preferred_channel")]


async def test_a_mapping_sent_with_an_unreadable_file_gets_the_files_rejection_not_an_internal_error() -> None:
    report, uow = await run(FakeLedger(), "", mapping={"account_number": "N° client"}, constants={"entity": "FR01"})

    assert report.file_rejected and report.import_id and report.checksum
    assert "empty" in report.errors[0].reason
    assert [type(m).__name__ for m in uow.published] == ["FileImported"]


ENTITIES = (
    "Code société;Raison sociale;Pays;Devise;Fuseau horaire;Devise du groupe\n"
    "FR01;OpenDSO France SAS;FR;EUR;Europe/Paris;EUR\n"
    "DE01;OpenDSO GmbH;DE;EUR;Europe/Berlin;EUR\n"
    "TR01;OpenDSO Türkiye;TR;TRY;Europe/Istanbul;\n"
)


def entity_changes(uow: FakeUnitOfWork) -> list[rv.EntityChange]:
    return [c for m in uow.published if isinstance(m, rv.EntitiesChanged) for c in m.changes]


async def test_an_entities_file_records_each_entity_and_publishes_them_created_in_one_commit() -> None:
    ledger = FakeLedger()

    report, uow = await run(ledger, ENTITIES, content_kind="entities")

    assert (report.entities_created, report.entities_changed, report.rows_read, report.rows_rejected) == (3, 0, 3, 0)
    assert kinds(uow) == ["EntitiesChanged", "FileImported"] and uow.committed
    created = entity_changes(uow)
    assert [c.entity.code for c in created] == ["FR01", "DE01", "TR01"]
    assert {c.type for c in created} == {rv.CHANGE_TYPE_CREATED}
    assert {m.meta.correlation_id for m in uow.published} == {"req-1"}  # type: ignore[attr-defined]
    assert ledger.entity_rows["TR01"] == LegalEntity(
        "TR01", "OpenDSO Türkiye", "TR", "TRY", "Europe/Istanbul", "TR", LatePaymentLaw.EU, None
    )
    listed = await handlers_entities.list_entities(rv.ListEntities(), cast(UnitOfWork, FakeUnitOfWork(ledger)))
    assert [(e.code, e.late_payment_law, e.group_currency) for e in listed.entities] == [
        ("DE01", "DE", "EUR"),
        ("FR01", "FR", "EUR"),
        ("TR01", "EU", ""),
    ]


async def test_the_same_entities_again_publish_nothing_and_a_changed_one_names_its_field() -> None:
    ledger = FakeLedger()
    await run(ledger, ENTITIES, content_kind="entities")

    again, uow = await run(ledger, ENTITIES, content_kind="entities")
    assert (again.entities_created, again.entities_changed) == (0, 0)
    assert kinds(uow) == ["FileImported"]

    moved, uow = await run(ledger, ENTITIES.replace("Europe/Istanbul", "Asia/Istanbul"), content_kind="entities")
    assert (moved.entities_created, moved.entities_changed) == (0, 1)
    (batch,) = [m for m in uow.published if isinstance(m, rv.EntitiesChanged)]
    (change,) = batch.changes
    assert (change.type, change.entity.code, list(change.changed_fields)) == (
        rv.CHANGE_TYPE_CHANGED,
        "TR01",
        ["time_zone"],
    )
    assert batch.meta.entity == "TR01"
    assert ledger.entity_rows["TR01"].time_zone == "Asia/Istanbul"


async def test_a_bad_entity_row_is_reported_and_the_good_rows_are_recorded() -> None:
    ledger = FakeLedger()
    bad = ENTITIES + "PL01;OpenDSO Polska;PL;PLZ;Europe/Warsaw;EUR\n"

    report, _ = await run(ledger, bad, content_kind="entities")

    assert (report.entities_created, report.rows_rejected) == (3, 1)
    (error,) = report.errors
    assert (error.row, error.column, error.header, error.value) == (5, "currency", "Devise", "PLZ")
    assert error.file == "ar.csv"
    assert "ISO 4217" in error.reason
    assert "PL01" not in ledger.entity_rows


async def test_an_entity_in_another_group_currency_than_the_recorded_ones_is_rejected() -> None:
    ledger = FakeLedger()
    await run(ledger, ENTITIES, content_kind="entities")

    header = ENTITIES.splitlines(keepends=True)[0]
    report, uow = await run(ledger, header + "GB01;OpenDSO UK;GB;GBP;Europe/London;GBP\n", content_kind="entities")

    assert (report.entities_created, report.rows_rejected) == (0, 1)
    (error,) = report.errors
    assert (error.row, error.column, error.header, error.value) == (2, "group_currency", "Devise du groupe", "GBP")
    assert "EUR (recorded entities DE01, FR01)" in error.reason
    assert kinds(uow) == ["FileImported"] and "GB01" not in ledger.entity_rows


async def test_a_dry_run_of_entities_reports_and_publishes_nothing() -> None:
    ledger = FakeLedger()

    report, uow = await run(ledger, ENTITIES, key="check-e", content_kind="entities", dry_run=True)

    assert report.dry_run and report.entities_created == 3
    assert uow.published == [] and not uow.committed
    assert ledger.imports == {}


async def test_a_retried_entities_upload_with_its_key_answers_the_first_report() -> None:
    ledger = FakeLedger()
    first, _ = await run(ledger, ENTITIES, key="e-1", content_kind="entities")

    again, uow = await run(ledger, ENTITIES.replace("GmbH", "AG"), key="e-1", content_kind="entities")

    assert again.replayed and again.import_id == first.import_id and again.entities_created == 3
    assert uow.published == [] and ledger.entity_rows["DE01"].name == "OpenDSO GmbH"


async def test_an_entities_file_missing_a_required_column_records_nothing() -> None:
    ledger = FakeLedger()

    report, uow = await run(ledger, "code;name;country\nFR01;France;FR\n", content_kind="entities")

    assert report.file_rejected
    assert [e.column for e in report.errors] == ["currency", "time_zone"]
    assert ledger.entity_rows == {} and kinds(uow) == ["FileImported"]


async def test_customers_of_an_entity_without_a_record_are_still_imported() -> None:
    ledger = FakeLedger()
    await run(ledger, ENTITIES, content_kind="entities")

    report, _ = await run(ledger, FILE.replace("FR01", "BE01"))

    assert (report.customers_created, report.items_opened, report.rows_rejected) == (1, 2, 0)
    assert "BE01/C1" in ledger.customer_rows and "BE01" not in ledger.entity_rows


async def test_an_unknown_content_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(InvalidRequest, match="'entities'"):
        await run(FakeLedger(), ENTITIES, content_kind="companies")

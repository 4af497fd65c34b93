"""The drop location: each file imported once, archived with its report; local folder and S3."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from opendso.banking.v1 import banking_pb2 as bk
from opendso.imports.v1 import imports_pb2 as im
from opendso_importer.drop import FolderDrop, S3Drop, process_drop

TODAY = dt.date(2026, 11, 24)


class Importer:
    """Stands in for the importer's handlers: records commands, answers reports."""

    def __init__(self) -> None:
        self.files: list[im.ImportReceivablesFile] = []
        self.statements: list[bk.ImportBankStatement] = []
        # What each command's downloaded file held, by the object it names.
        self.contents: dict[str, bytes] = {}

    async def import_file(self, command: im.ImportReceivablesFile, downloaded: Path) -> im.ImportReport:
        self.files.append(command)
        content = self.contents[command.object_name] = downloaded.read_bytes()  # noqa: ASYNC240 - a test's tiny file
        return im.ImportReport(file_name=command.file_name, items_opened=2, file_rejected=b"broken" in content)

    async def import_statement(self, command: bk.ImportBankStatement, downloaded: Path) -> bk.StatementReport:
        self.statements.append(command)
        self.contents[command.object_name] = downloaded.read_bytes()  # noqa: ASYNC240 - a test's tiny file
        return bk.StatementReport(file_name=command.file_name, transactions_published=5)


async def run(store: Any, importer: Importer) -> list[Any]:
    return await process_drop(store, importer.import_file, importer.import_statement, TODAY)


async def test_dropped_files_are_imported_by_where_they_were_dropped_and_archived(tmp_path: Path) -> None:
    store = FolderDrop(tmp_path)
    (tmp_path / "incoming/receivables/ar.csv").write_bytes(b"a;b\n")
    (tmp_path / "incoming/snapshots/full.csv").write_bytes(b"c;d\n")
    (tmp_path / "incoming/statements/FR01").mkdir()
    (tmp_path / "incoming/statements/FR01/bank.xml").write_bytes(b"<x/>")
    (tmp_path / "incoming/receivables/still-uploading.csv.part").write_bytes(b"...")
    importer = Importer()

    outcomes = await run(store, importer)

    assert [o.moved_to for o in outcomes] == [
        "archive/2026-11-24/receivables/ar.csv",
        "archive/2026-11-24/snapshots/full.csv",
        "archive/2026-11-24/statements/FR01/bank.xml",
    ]
    assert [f.mode for f in importer.files] == [im.SYNC_MODE_INCREMENTAL, im.SYNC_MODE_FULL_SNAPSHOT]
    assert importer.statements[0].entity == "FR01"
    report = json.loads((tmp_path / "archive/2026-11-24/receivables/ar.csv.report.json").read_text())
    assert report["items_opened"] == 2
    assert (tmp_path / "archive/2026-11-24/receivables/ar.csv").read_bytes() == b"a;b\n"
    assert (tmp_path / "incoming/receivables/still-uploading.csv.part").exists()
    assert await run(store, importer) == []


async def test_the_idempotency_key_is_the_path_and_content_so_a_crash_never_imports_twice(tmp_path: Path) -> None:
    store = FolderDrop(tmp_path)
    (tmp_path / "incoming/receivables/ar.csv").write_bytes(b"a;b\n")
    importer = Importer()
    await run(store, importer)
    (tmp_path / "incoming/receivables/ar.csv").write_bytes(b"a;b\n")  # the same file dropped again
    await run(store, importer)

    assert importer.files[0].idempotency_key == importer.files[1].idempotency_key
    assert importer.files[0].idempotency_key.startswith("drop:incoming/receivables/ar.csv:")


async def test_a_rejected_file_and_a_file_in_an_unknown_place_are_set_aside(tmp_path: Path) -> None:
    store = FolderDrop(tmp_path)
    (tmp_path / "incoming/receivables/bad.csv").write_bytes(b"broken")
    (tmp_path / "incoming/stray.csv").write_bytes(b"x")
    importer = Importer()

    outcomes = await run(store, importer)

    assert sorted(o.moved_to for o in outcomes) == [
        "rejected/2026-11-24/receivables/bad.csv",
        "rejected/2026-11-24/stray.csv",
    ]
    reason = json.loads((tmp_path / "rejected/2026-11-24/stray.csv.report.json").read_text())["reason"]
    assert "not a place files are imported from" in reason


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def test_an_s3_drop_works_like_the_folder(s3_endpoint: str) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3.create_bucket(Bucket="erp-drop", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="erp-drop", Key="acme/incoming/receivables/ar.csv", Body=b"a;b\n")
    s3.put_object(Bucket="erp-drop", Key="acme/incoming/statements/DE01/mt940.sta", Body=b":20:X\n")
    importer = Importer()

    outcomes = await run(S3Drop(s3, "erp-drop", "acme"), importer)

    assert [o.moved_to for o in outcomes] == [
        "archive/2026-11-24/receivables/ar.csv",
        "archive/2026-11-24/statements/DE01/mt940.sta",
    ]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="erp-drop")["Contents"])
    assert keys == [
        "acme/archive/2026-11-24/receivables/ar.csv",
        "acme/archive/2026-11-24/receivables/ar.csv.report.json",
        "acme/archive/2026-11-24/statements/DE01/mt940.sta",
        "acme/archive/2026-11-24/statements/DE01/mt940.sta.report.json",
    ]
    assert importer.contents[importer.files[0].object_name] == b"a;b\n" and importer.statements[0].entity == "DE01"
    assert importer.files[0].object_name == "incoming/receivables/ar.csv" and not importer.files[0].content


async def test_contacts_and_entities_dropped_are_imported_as_what_their_folder_says(tmp_path: Path) -> None:
    store = FolderDrop(tmp_path)
    (tmp_path / "incoming/contacts/crm.csv").write_bytes(b"a;b\n")
    (tmp_path / "incoming/entities/org.csv").write_bytes(b"code;name\n")
    importer = Importer()

    outcomes = await run(store, importer)

    assert sorted(o.moved_to for o in outcomes) == [
        "archive/2026-11-24/contacts/crm.csv",
        "archive/2026-11-24/entities/org.csv",
    ]
    assert sorted((f.file_name, f.content_kind) for f in importer.files) == [
        ("crm.csv", "contacts"),
        ("org.csv", "entities"),
    ]

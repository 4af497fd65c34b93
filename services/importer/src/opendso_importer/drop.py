"""The drop location: files an ERP export job or an SFTP server leaves are
imported once, then archived with their report.

Layout, in a local folder or under an S3 prefix:

    incoming/receivables/            CSV/XLSX, incremental
    incoming/snapshots/              CSV/XLSX, full snapshot of their entities
    incoming/contacts/               CSV/XLSX, contacts of customers with their roles
    incoming/contact-snapshots/      CSV/XLSX, every contact of their entities: contacts missing are removed
    incoming/entities/               CSV/XLSX, the organisation's legal entities
    incoming/statements/<ENTITY>/    bank statements for that entity's accounts
    archive/YYYY-MM-DD/<path>        processed files, and <path>.report.json beside them
    rejected/YYYY-MM-DD/<path>       files rejected whole, with their report

Each file's idempotency key is its path and checksum, so a crash between the
import and the archiving does not import it twice: the next pass gets the
first report back and archives the file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opendso.banking.v1 import banking_pb2 as bk
from opendso.imports.v1 import imports_pb2 as im

from opendso_importer.domain.upload_source import sha256_hex

log = logging.getLogger(__name__)

INCOMING = "incoming/"


class DropStore(Protocol):
    """Where dropped files live: a local folder or an S3 bucket."""

    async def incoming(self) -> list[str]: ...

    async def download(self, name: str, into: Path) -> None:
        """Write the dropped file into the file ``into``, a piece at a time."""
        ...

    async def move(self, name: str, to: str, report: bytes) -> None: ...


class FolderDrop:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "incoming" / "receivables").mkdir(parents=True, exist_ok=True)
        (root / "incoming" / "snapshots").mkdir(parents=True, exist_ok=True)
        (root / "incoming" / "statements").mkdir(parents=True, exist_ok=True)
        (root / "incoming" / "contacts").mkdir(parents=True, exist_ok=True)
        (root / "incoming" / "contact-snapshots").mkdir(parents=True, exist_ok=True)
        (root / "incoming" / "entities").mkdir(parents=True, exist_ok=True)

    async def incoming(self) -> list[str]:
        def scan() -> list[str]:
            # Hidden and partial files (".x", "x.part", "x.tmp") are still being written.
            return sorted(
                str(p.relative_to(self.root))
                for p in (self.root / "incoming").rglob("*")
                if p.is_file() and not p.name.startswith(".") and not p.name.endswith((".part", ".tmp"))
            )

        return await asyncio.to_thread(scan)

    async def download(self, name: str, into: Path) -> None:
        # A copy, not the file itself: the drop may be on another disk, and the file is archived meanwhile.
        await asyncio.to_thread(shutil.copyfile, self.root / name, into)

    async def move(self, name: str, to: str, report: bytes) -> None:
        def move() -> None:
            target = self.root / to
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(f"{target}.report.json").write_bytes(report)
            (self.root / name).replace(target)

        await asyncio.to_thread(move)


class S3Drop:
    """The same layout under a prefix of an S3 bucket (boto3; any S3-compatible endpoint)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix.rstrip("/") + "/" if prefix else ""

    async def incoming(self) -> list[str]:
        def list_all() -> list[str]:
            names: list[str] = []
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix + INCOMING):
                names.extend(
                    o["Key"][len(self._prefix) :] for o in page.get("Contents", []) if not o["Key"].endswith("/")
                )
            return sorted(names)

        return await asyncio.to_thread(list_all)

    async def download(self, name: str, into: Path) -> None:
        await asyncio.to_thread(self._s3.download_file, self._bucket, self._prefix + name, str(into))

    async def move(self, name: str, to: str, report: bytes) -> None:
        def move() -> None:
            self._s3.put_object(Bucket=self._bucket, Key=f"{self._prefix}{to}.report.json", Body=report)
            self._s3.copy_object(
                Bucket=self._bucket,
                Key=self._prefix + to,
                CopySource={"Bucket": self._bucket, "Key": self._prefix + name},
            )
            self._s3.delete_object(Bucket=self._bucket, Key=self._prefix + name)

        await asyncio.to_thread(move)


@dataclass(frozen=True)
class DropOutcome:
    name: str
    moved_to: str
    rejected: bool


# Each takes the command and the file downloaded from the drop, which the command names as its object.
ImportFile = Callable[[im.ImportReceivablesFile, Path], Awaitable[im.ImportReport]]
ImportStatement = Callable[[bk.ImportBankStatement, Path], Awaitable[bk.StatementReport]]


def command_for(name: str, checksum: str) -> Message | None:
    """The command a dropped file calls for, from where it was dropped; None for an unknown place. The file
    itself is not in the command: it is read from disk (see process_drop)."""
    parts = name.split("/")
    key = f"drop:{name}:{checksum}"
    file_name = parts[-1]
    if len(parts) == 3 and parts[1] == "receivables":
        return im.ImportReceivablesFile(
            file_name=file_name,
            object_name=name,
            idempotency_key=key,
            mode=im.SYNC_MODE_INCREMENTAL,
            uploaded_by="drop",
        )
    if len(parts) == 3 and parts[1] == "snapshots":
        return im.ImportReceivablesFile(
            file_name=file_name,
            object_name=name,
            idempotency_key=key,
            mode=im.SYNC_MODE_FULL_SNAPSHOT,
            uploaded_by="drop",
        )
    if len(parts) == 3 and parts[1] in ("contacts", "entities"):
        return im.ImportReceivablesFile(
            file_name=file_name, object_name=name, idempotency_key=key, content_kind=parts[1], uploaded_by="drop"
        )
    if len(parts) == 3 and parts[1] == "contact-snapshots":
        return im.ImportReceivablesFile(
            file_name=file_name,
            object_name=name,
            idempotency_key=key,
            content_kind="contacts",
            mode=im.SYNC_MODE_FULL_SNAPSHOT,
            uploaded_by="drop",
        )
    if len(parts) == 4 and parts[1] == "statements":
        return bk.ImportBankStatement(file_name=file_name, object_name=name, idempotency_key=key, entity=parts[2])
    return None


async def process_drop(
    store: DropStore, import_file: ImportFile, import_statement: ImportStatement, today: dt.date
) -> list[DropOutcome]:
    """Import every file waiting in incoming/, then archive it (or set it aside) with its report."""
    outcomes = []
    for name in await store.incoming():
        with tempfile.TemporaryDirectory(prefix="opendso-drop-") as folder:
            # On disk, not in memory: a dropped million-row export is read a piece at a time.
            downloaded = Path(folder) / "content"
            await store.download(name, downloaded)
            command = command_for(name, await asyncio.to_thread(sha256_hex, downloaded))
            rest = name[len(INCOMING) :]
            if command is None:
                report: dict[str, Any] = {
                    "file_rejected": True,
                    "reason": f"{name}: not a place files are imported from; see the drop layout",
                }
                rejected = True
            elif isinstance(command, im.ImportReceivablesFile):
                answer = await import_file(command, downloaded)
                report, rejected = MessageToDict(answer, preserving_proto_field_name=True), answer.file_rejected
            else:
                assert isinstance(command, bk.ImportBankStatement)
                statement = await import_statement(command, downloaded)
                report = MessageToDict(statement, preserving_proto_field_name=True)
                rejected = statement.file_rejected
        to = f"{'rejected' if rejected else 'archive'}/{today.isoformat()}/{rest}"
        await store.move(name, to, json.dumps(report, indent=2, ensure_ascii=False).encode())
        log.info("drop: %s -> %s", name, to)
        outcomes.append(DropOutcome(name=name, moved_to=to, rejected=rejected))
    return outcomes

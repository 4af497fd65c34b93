"""The risk service's tables. Today only the bus's outbox and inbox; its own
tables arrive with the issue that builds the service."""

from __future__ import annotations

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from sqlalchemy import MetaData

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)


class UnitOfWork(SqlUnitOfWork):
    pass

"""The OpenDSO bus: FastStream over NATS JetStream with outbox, inbox, bounded
retries, dead letters, request/reply and trace propagation, decided once."""

from opendso_bus.envelope import new_event_id, new_meta
from opendso_bus.errors import InvalidRequest, NotFound, QueryError, RemoteError
from opendso_bus.runtime import PermanentError, ServiceRuntime
from opendso_bus.settings import ServiceSettings
from opendso_bus.tables import inbox_table, outbox_table
from opendso_bus.unit_of_work import SqlUnitOfWork

__all__ = [
    "InvalidRequest",
    "NotFound",
    "PermanentError",
    "QueryError",
    "RemoteError",
    "ServiceRuntime",
    "ServiceSettings",
    "SqlUnitOfWork",
    "inbox_table",
    "new_event_id",
    "new_meta",
    "outbox_table",
]

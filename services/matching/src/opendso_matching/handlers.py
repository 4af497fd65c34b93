"""Bus handlers of the matching service.

The service applies bank payments to open items (cash application).
It subscribes to nothing yet: it starts, connects,
migrates its database and answers health requests, so deployment and
operations are in place before its domain arrives.
"""

from __future__ import annotations

from opendso_bus import ServiceRuntime

from opendso_matching.store import UnitOfWork


def register(runtime: ServiceRuntime[UnitOfWork]) -> None:
    """Wire this service's subscribers and queries (none yet)."""

"""Bus handlers of the risk service.

The service scores customers' payment behaviour, watches credit limits and raises alerts.
It subscribes to nothing yet: it starts, connects,
migrates its database and answers health requests, so deployment and
operations are in place before its domain arrives.
"""

from __future__ import annotations

from opendso_bus import ServiceRuntime

from opendso_risk.store import UnitOfWork


def register(runtime: ServiceRuntime[UnitOfWork]) -> None:
    """Wire this service's subscribers and queries (none yet)."""

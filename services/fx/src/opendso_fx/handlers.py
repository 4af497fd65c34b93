"""Bus handlers of the fx service.

The service keeps exchange rates and converts amounts at a date.
It subscribes to nothing yet: it starts, connects,
migrates its database and answers health requests, so deployment and
operations are in place before its domain arrives.
"""

from __future__ import annotations

from opendso_bus import ServiceRuntime

from opendso_fx.store import UnitOfWork


def register(runtime: ServiceRuntime[UnitOfWork]) -> None:
    """Wire this service's subscribers and queries (none yet)."""

"""The in-memory partner store, for the partner API's tests."""

from opendso_gateway.partner_memory import MemoryPartnerStore

__all__ = ["MemoryPartnerStore"]

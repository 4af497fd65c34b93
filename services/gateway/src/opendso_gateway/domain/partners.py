"""Partners (call centres, legal partners) and what the partner API needs of them: API keys, their scopes, the
outcomes a partner reports, the signature on the webhooks sent to it, the retry schedule and the check that its
webhook URL reaches no private address.

Pure: no FastAPI, no database, no network (the host's addresses are resolved by the caller).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit


class PartnerKind(StrEnum):
    CALL_CENTRE = "call_centre"
    LEGAL = "legal"


class KeyScope(StrEnum):
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"


class OutcomeKind(StrEnum):
    CALL_REACHED = "call_reached"
    PROMISE = "promise"
    DISPUTE = "dispute"
    WRONG_NUMBER = "wrong_number"
    NEW_CONTACT = "new_contact"
    LEGAL_STATUS = "legal_status"
    RECOVERED = "recovered"
    DOCUMENT = "document"


# A call centre calls; a legal partner litigates. Each reports what its work yields.
OUTCOMES_OF: Mapping[PartnerKind, frozenset[OutcomeKind]] = {
    PartnerKind.CALL_CENTRE: frozenset(
        {
            OutcomeKind.CALL_REACHED,
            OutcomeKind.PROMISE,
            OutcomeKind.DISPUTE,
            OutcomeKind.WRONG_NUMBER,
            OutcomeKind.NEW_CONTACT,
        }
    ),
    PartnerKind.LEGAL: frozenset(
        {
            OutcomeKind.PROMISE,
            OutcomeKind.DISPUTE,
            OutcomeKind.NEW_CONTACT,
            OutcomeKind.LEGAL_STATUS,
            OutcomeKind.RECOVERED,
            OutcomeKind.DOCUMENT,
        }
    ),
}


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    kind: PartnerKind
    webhook_url: str
    # Signs the webhooks; the partner holds the same secret to verify them.
    webhook_secret: str
    # Set by an admin only: the webhook may reach a private or loopback address (an on-premises partner).
    allow_private: bool
    created_at: dt.datetime
    created_by: str
    disabled: bool = False


@dataclass(frozen=True)
class PartnerKey:
    key_id: str
    partner_id: str
    # The first characters of the key, stored in clear to find the row; the rest is only hashed.
    prefix: str
    key_hash: str
    scopes: frozenset[KeyScope]
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AssignedCase:
    """A case the gateway handed to a partner, as the scenario service answered it (``CaseEscalated``)."""

    case_id: str
    partner_id: str
    customer_id: str
    entity: str
    account_number: str
    assigned_at: dt.datetime
    detail: Mapping[str, Any]
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    outcome_id: str
    case_id: str
    partner_id: str
    kind: OutcomeKind
    at: dt.datetime
    detail: Mapping[str, Any]


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # this attempt failed; another follows
    GAVE_UP = "gave_up"  # the last attempt failed
    REFUSED = "refused"  # the URL reaches an address the partner may not use: never sent


@dataclass(frozen=True)
class DeliveryAttempt:
    delivery_id: str
    partner_id: str
    event_type: str
    case_id: str
    attempt: int
    at: dt.datetime
    status: DeliveryStatus
    http_status: int | None
    error: str
    seq: int = 0


@dataclass(frozen=True)
class PendingDelivery:
    """A webhook still to deliver, kept in the store so a restart does not lose it: its body is signed afresh at
    each attempt, and ``delivery_id`` (the ``OpenDSO-Delivery`` header) stays the same so a partner can drop a
    repeat."""

    delivery_id: str
    partner_id: str
    event_type: str
    case_id: str
    body: str
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime


class PartnerStore(Protocol):
    async def add_partner(self, partner: Partner) -> None: ...
    async def partner(self, partner_id: str) -> Partner | None: ...
    async def partners(self) -> list[Partner]: ...
    async def add_key(self, key: PartnerKey) -> None: ...
    async def key_by_prefix(self, prefix: str) -> PartnerKey | None: ...
    async def keys(self, partner_id: str) -> list[PartnerKey]: ...
    async def revoke_key(self, partner_id: str, key_id: str, at: dt.datetime) -> bool: ...
    async def set_disabled(self, partner_id: str, disabled: bool) -> bool: ...
    async def assign_case(self, case: AssignedCase) -> None: ...
    async def case(self, case_id: str) -> AssignedCase | None: ...
    async def cases(self, partner_id: str) -> list[AssignedCase]: ...
    async def add_outcome(self, outcome: Outcome) -> None: ...
    async def outcomes(self, case_id: str) -> list[Outcome]: ...
    async def add_attempt(self, attempt: DeliveryAttempt) -> None: ...
    async def attempts(self, partner_id: str, limit: int) -> list[DeliveryAttempt]: ...
    async def enqueue_delivery(self, delivery: PendingDelivery) -> None: ...
    async def claim_deliveries(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[PendingDelivery]: ...
    async def reschedule_delivery(self, delivery_id: str, attempts: int, next_attempt_at: dt.datetime) -> None: ...
    async def finish_delivery(self, delivery_id: str) -> None: ...
    async def pending_deliveries(self, partner_id: str) -> list[PendingDelivery]: ...


# -- API keys ------------------------------------------------------------------------------------------------------

KEY_MARK = "odp_"
PREFIX_LENGTH = 12


@dataclass(frozen=True)
class NewKey:
    """A key as issued: ``secret`` is shown once and never stored."""

    secret: str
    prefix: str
    key_hash: str


def hash_key(secret: str) -> str:
    # The key is 256 random bits: a plain SHA-256 is enough, no password stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> NewKey:
    secret = KEY_MARK + secrets.token_urlsafe(32)
    return NewKey(secret=secret, prefix=key_prefix(secret), key_hash=hash_key(secret))


def key_prefix(secret: str) -> str:
    return secret[: len(KEY_MARK) + PREFIX_LENGTH]


def key_matches(key: PartnerKey, secret: str) -> bool:
    return hmac.compare_digest(key.key_hash, hash_key(secret))


def parse_scopes(values: Iterable[str]) -> frozenset[KeyScope]:
    """The scopes named; ``ValueError`` naming an unknown one."""
    scopes = set()
    for value in values:
        try:
            scopes.add(KeyScope(value))
        except ValueError:
            known = ", ".join(s.value for s in KeyScope)
            raise ValueError(f"unknown scope {value!r}: use {known}") from None
    return frozenset(scopes)


# -- webhook signatures ------------------------------------------------------------------------------------------

SIGNATURE_HEADER = "OpenDSO-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_seconds: int = 300) -> bool:
    """What a partner checks: a ``v1`` signature of the body at the header's time, within the tolerance (an old
    request replayed fails)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


# -- retries -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Exponential: ``first`` seconds after the first failure, doubling up to ``ceiling``, ``attempts`` in all."""

    attempts: int = 6
    first: float = 2.0
    ceiling: float = 600.0

    def delays(self) -> list[float]:
        """The waits between attempts (one fewer than the attempts)."""
        return [min(self.first * 2**i, self.ceiling) for i in range(max(self.attempts - 1, 0))]


def worth_retrying(http_status: int | None) -> bool:
    """A network error, a server error, a timeout or a rate limit may pass later; another 4xx will not."""
    return http_status is None or http_status >= 500 or http_status in {408, 425, 429}


# -- where a webhook may go ----------------------------------------------------------------------------------------


class UnsafeUrl(ValueError):
    """A webhook URL that must not be called; the message says why."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str
    port: int


def parse_webhook_url(url: str) -> WebhookTarget:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        raise UnsafeUrl("the webhook URL must be http or https")
    if not parts.hostname:
        raise UnsafeUrl("the webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("the webhook URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("the webhook URL's port is invalid") from None
    return WebhookTarget(parts.scheme, parts.hostname, port)


def private_reason(address: str) -> str:
    """Why an address is not public ("" when it is): loopback, private, link-local (cloud metadata)..."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flagged in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("not globally reachable", not ip.is_global),
    ):
        if flagged:
            return reason
    return ""


def check_addresses(host: str, addresses: Iterable[str], allow_private: bool) -> None:
    """``UnsafeUrl`` unless every address the host resolves to is public (or private ones are allowed): one
    private answer among public ones is enough to refuse, since the client may pick it."""
    resolved = list(addresses)
    if not resolved:
        raise UnsafeUrl(f"the webhook host {host!r} does not resolve")
    if allow_private:
        return
    for address in resolved:
        reason = private_reason(address)
        if reason:
            raise UnsafeUrl(f"the webhook host {host!r} resolves to a {reason} address; an admin must allow it")

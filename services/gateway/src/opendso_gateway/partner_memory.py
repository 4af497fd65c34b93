"""The partner store in memory: the partner API's store when the access store is not a database (tests, a
gateway built over an in-memory access store), with the SQL store's behaviour."""

from __future__ import annotations

import dataclasses
import datetime as dt

from opendso_gateway.domain.partners import (
    AssignedCase,
    DeliveryAttempt,
    Outcome,
    Partner,
    PartnerKey,
    PendingDelivery,
)


class MemoryPartnerStore:
    def __init__(self) -> None:
        self.by_id: dict[str, Partner] = {}
        self.keys_by_id: dict[str, PartnerKey] = {}
        self.cases_by_id: dict[str, AssignedCase] = {}
        self.outcome_log: list[Outcome] = []
        self.attempt_log: list[DeliveryAttempt] = []
        self.queue: dict[str, PendingDelivery] = {}

    async def add_partner(self, partner: Partner) -> None:
        self.by_id[partner.partner_id] = partner

    async def partner(self, partner_id: str) -> Partner | None:
        return self.by_id.get(partner_id)

    async def partners(self) -> list[Partner]:
        return sorted(self.by_id.values(), key=lambda p: p.name)

    async def add_key(self, key: PartnerKey) -> None:
        self.keys_by_id[key.key_id] = key

    async def key_by_prefix(self, prefix: str) -> PartnerKey | None:
        return next((k for k in self.keys_by_id.values() if k.prefix == prefix), None)

    async def keys(self, partner_id: str) -> list[PartnerKey]:
        return [k for k in self.keys_by_id.values() if k.partner_id == partner_id]

    async def revoke_key(self, partner_id: str, key_id: str, at: dt.datetime) -> bool:
        key = self.keys_by_id.get(key_id)
        if key is None or key.partner_id != partner_id or key.revoked_at is not None:
            return False
        self.keys_by_id[key_id] = dataclasses.replace(key, revoked_at=at)
        return True

    async def set_disabled(self, partner_id: str, disabled: bool) -> bool:
        partner = self.by_id.get(partner_id)
        if partner is None:
            return False
        self.by_id[partner_id] = dataclasses.replace(partner, disabled=disabled)
        return True

    async def assign_case(self, case: AssignedCase) -> None:
        self.cases_by_id[case.case_id] = case

    async def case(self, case_id: str) -> AssignedCase | None:
        return self.cases_by_id.get(case_id)

    async def cases(self, partner_id: str) -> list[AssignedCase]:
        return [c for c in self.cases_by_id.values() if c.partner_id == partner_id]

    async def add_outcome(self, outcome: Outcome) -> None:
        self.outcome_log.append(outcome)

    async def outcomes(self, case_id: str) -> list[Outcome]:
        return [o for o in self.outcome_log if o.case_id == case_id]

    async def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.attempt_log.append(dataclasses.replace(attempt, seq=len(self.attempt_log) + 1))

    async def attempts(self, partner_id: str, limit: int) -> list[DeliveryAttempt]:
        return [a for a in reversed(self.attempt_log) if a.partner_id == partner_id][:limit]

    async def enqueue_delivery(self, delivery: PendingDelivery) -> None:
        self.queue[delivery.delivery_id] = delivery

    async def claim_deliveries(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[PendingDelivery]:
        due = sorted(
            (d for d in self.queue.values() if d.next_attempt_at <= now),
            key=lambda d: (d.next_attempt_at, d.created_at),
        )[:limit]
        for d in due:
            self.queue[d.delivery_id] = dataclasses.replace(d, next_attempt_at=lease_until)
        return due

    async def reschedule_delivery(self, delivery_id: str, attempts: int, next_attempt_at: dt.datetime) -> None:
        if delivery_id in self.queue:
            self.queue[delivery_id] = dataclasses.replace(
                self.queue[delivery_id], attempts=attempts, next_attempt_at=next_attempt_at
            )

    async def finish_delivery(self, delivery_id: str) -> None:
        self.queue.pop(delivery_id, None)

    async def pending_deliveries(self, partner_id: str) -> list[PendingDelivery]:
        return sorted((d for d in self.queue.values() if d.partner_id == partner_id), key=lambda d: d.created_at)

"""The composition root of the scenario service."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve

from opendso_scenario import (
    agenda,
    cancellations,
    deliveries,
    escalations,
    feedback,
    handlers,
    next_action,
    penalty_items,
    plans,
    qualifications,
    sending_hours,
    status_catalogue,
)
from opendso_scenario import scenarios as definitions
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.schedule import Slot
from opendso_scenario.domain.strategy import DEFAULT_STRATEGY, Strategy, StrategyError, strategy_from_dict
from opendso_scenario.settings import Settings
from opendso_scenario.store import INBOX, OUTBOX, UnitOfWork

NAME = "scenario"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], handlers.Deps]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    zone = ZoneInfo(settings.timezone)
    scenarios = builtin_scenarios()
    deps = handlers.Deps(
        today=lambda: dt.datetime.now(zone).date(),
        now=lambda: dt.datetime.now(dt.UTC),
        settle_seconds=settings.settle_seconds,
        scenarios=scenarios,
        default_scenario=settings.default_scenario,
        strategy=load_strategy(settings.strategy, set(scenarios)),
        slots=parse_slots(settings.send_slots),
        declared_payment_pause_days=settings.declared_payment_pause_days,
    )
    if deps.default_scenario not in deps.scenarios:
        raise ValueError(f"default_scenario {settings.default_scenario!r} is not one of {sorted(deps.scenarios)}")
    on_customer = functools.partial(handlers.record_customer, deps=deps)
    on_item = functools.partial(handlers.record_item, deps=deps)
    runtime.on_event(rv.CustomerCreated, on_customer)
    runtime.on_event(rv.CustomerChanged, on_customer)
    runtime.on_event(rv.ItemOpened, on_item)
    runtime.on_event(rv.ItemChanged, on_item)
    runtime.on_event(rv.ItemClosed, on_item)
    runtime.on_event(rv.CustomersChanged, functools.partial(handlers.record_customers, deps=deps))
    runtime.on_event(rv.ItemsChanged, functools.partial(handlers.record_items, deps=deps))
    runtime.on_event(rv.ContactsChanged, functools.partial(handlers.record_contacts, deps=deps))
    runtime.on_event(rv.EntitiesChanged, functools.partial(handlers.record_entities, deps=deps))
    runtime.on_event(msg.MessageSent, functools.partial(handlers.record_message_sent, deps=deps))
    runtime.on_event(msg.MessageFailed, functools.partial(handlers.record_message_failed, deps=deps))
    runtime.on_event(msg.MessageCancelled, cancellations.record_message_cancelled)
    runtime.on_event(msg.MessageDeliveryChanged, functools.partial(deliveries.record_delivery_changed, deps=deps))

    async def agenda_page(query: col.GetAgenda) -> col.Agenda:
        async with runtime.uow() as uow:
            return await agenda.get_agenda(query, uow)

    runtime.on_query(col.GetAgenda, agenda_page)

    async def customer_scenario(query: col.GetCustomerScenario) -> col.CustomerScenario:
        async with runtime.uow() as uow:
            return await handlers.get_customer_scenario(query, uow)

    runtime.on_query(col.GetCustomerScenario, customer_scenario)

    async def update_tasks(command: col.UpdateTasks) -> col.TasksUpdated:
        async with runtime.uow() as uow:
            return await agenda.update_tasks(command, uow, deps)

    runtime.on_query(col.UpdateTasks, update_tasks)

    async def qualify_items(command: col.QualifyItems) -> col.ItemsQualified:
        async with runtime.uow() as uow:
            return await qualifications.qualify_items(command, uow, deps)

    runtime.on_query(col.QualifyItems, qualify_items)

    async def list_disputes(query: col.ListDisputes) -> col.Disputes:
        async with runtime.uow() as uow:
            return await qualifications.list_disputes(query, uow)

    runtime.on_query(col.ListDisputes, list_disputes)

    async def list_promises(query: col.ListPromises) -> col.Promises:
        async with runtime.uow() as uow:
            return await qualifications.list_promises(query, uow)

    runtime.on_query(col.ListPromises, list_promises)

    async def next_best_action(query: col.GetNextBestAction) -> col.NextBestAction:
        async with runtime.uow() as uow:
            return await next_action.get_next_best_action(query, uow, deps)

    async def escalate_case(command: col.EscalateCase) -> col.CaseEscalated:
        async with runtime.uow() as uow:
            return await escalations.escalate_case(command, uow, deps)

    async def withdraw_escalation(command: col.WithdrawEscalation) -> col.CaseWithdrawn:
        async with runtime.uow() as uow:
            return await escalations.withdraw_escalation(command, uow, deps)

    runtime.on_query(col.GetNextBestAction, next_best_action)
    runtime.on_query(col.EscalateCase, escalate_case)
    runtime.on_query(col.WithdrawEscalation, withdraw_escalation)

    async def list_partner_cases(query: col.ListPartnerCases) -> col.PartnerCases:
        async with runtime.uow() as uow:
            return await escalations.list_partner_cases(query, uow, deps)

    runtime.on_query(col.ListPartnerCases, list_partner_cases)
    feedback.subscribe(runtime.on_query, runtime.uow, deps)

    async def create_payment_plan(command: col.CreatePaymentPlan) -> col.PaymentPlanCreated:
        async with runtime.uow() as uow:
            return await plans.create_plan(command, uow, deps)

    async def list_payment_plans(query: col.ListPaymentPlans) -> col.PaymentPlans:
        async with runtime.uow() as uow:
            return await plans.list_plans(query, uow)

    async def cancel_payment_plan(command: col.CancelPaymentPlan) -> col.PaymentPlanCancelled:
        async with runtime.uow() as uow:
            return await plans.cancel_plan(command, uow, deps)

    runtime.on_query(col.CreatePaymentPlan, create_payment_plan)
    runtime.on_query(col.ListPaymentPlans, list_payment_plans)
    runtime.on_query(col.CancelPaymentPlan, cancel_payment_plan)

    async def set_penalty_settings(command: col.SetPenaltySettings) -> col.PenaltySettingsSet:
        async with runtime.uow() as uow:
            return await penalty_items.set_settings(command, uow, deps)

    async def get_penalties(query: col.GetPenalties) -> col.Penalties:
        async with runtime.uow() as uow:
            return await penalty_items.get_penalties(query, uow, deps)

    async def get_penalty_settings(query: col.GetPenaltySettings) -> col.PenaltySettingsSet:
        async with runtime.uow() as uow:
            return await penalty_items.get_settings(query, uow)

    runtime.on_query(col.SetPenaltySettings, set_penalty_settings)
    runtime.on_query(col.GetPenalties, get_penalties)
    runtime.on_query(col.GetPenaltySettings, get_penalty_settings)

    async def get_status_catalogue(query: col.GetStatusCatalogue) -> col.StatusCatalogue:
        async with runtime.uow() as uow:
            return await status_catalogue.get_status_catalogue(query, uow)

    async def replace_status_catalogue(command: col.ReplaceStatusCatalogue) -> col.StatusCatalogueReplaced:
        async with runtime.uow() as uow:
            return await status_catalogue.replace_status_catalogue(command, uow, deps)

    runtime.on_query(col.GetStatusCatalogue, get_status_catalogue)
    runtime.on_query(col.ReplaceStatusCatalogue, replace_status_catalogue)

    async def get_hours(query: col.GetSendingHours) -> col.SendingHours:
        async with runtime.uow() as uow:
            return await sending_hours.get_sending_hours(query, uow, deps)

    async def set_hours(command: col.SetSendingHours) -> col.SendingHoursSet:
        async with runtime.uow() as uow:
            return await sending_hours.set_sending_hours(command, uow, deps)

    runtime.on_query(col.GetSendingHours, get_hours)
    runtime.on_query(col.SetSendingHours, set_hours)
    definitions.subscribe(runtime, deps)
    return runtime, deps


def load_strategy(source: str, known: set[str]) -> Strategy | None:
    """ "" (every customer on the default scenario), "builtin" (the shipped rules) or a JSON file's path."""
    if not source:
        return None
    if source == "builtin":
        return DEFAULT_STRATEGY
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"strategy {source}: {exc}") from exc
    try:
        return strategy_from_dict(data, known)
    except StrategyError as exc:
        raise ValueError(f"strategy {source}: {exc}") from exc


def parse_slots(text: str) -> tuple[Slot, ...]:
    """ "08:00-12:00,14:00-18:00" -> the slots of a sending window."""
    slots: list[Slot] = []
    for part in text.split(","):
        try:
            start, end = part.strip().split("-")
            slots.append((dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())))
        except ValueError:
            raise ValueError(f"send_slots: {part.strip()!r} is not a slot like 08:00-18:00") from None
    return tuple(slots)


async def evaluation_loops(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, interval: float) -> None:
    # Before any evaluation: the credit managers' scenarios, not only the shipped ones.
    await definitions.seed_and_load(runtime.uow, deps)
    await asyncio.gather(
        definitions.reload_pass(runtime.uow, deps),
        settled_pass(runtime, deps),
        daily_pass(runtime, deps, interval),
        scheduled_pass(runtime, deps),
    )


async def scheduled_pass(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps) -> None:
    """Automatic actions waiting for their sending window go out once it opens."""
    penalty_pass = penalty_items.PenaltyPass()
    while True:
        try:
            sent = await handlers.send_scheduled(runtime.uow, deps)
            if sent:
                log.info("sent %d scheduled actions", sent)
            broken = await qualifications.check_promises(runtime.uow, deps)
            if broken:
                log.info("%d promises to pay broken", broken)
            plans_broken = await plans.check_plans(runtime.uow, deps)
            if plans_broken:
                log.info("%d payment plans broken", plans_broken)
            penalties_issued = await penalty_pass(runtime.uow, deps)
            if penalties_issued:
                log.info("%d penalty items issued", penalties_issued)
        except Exception:
            log.exception("sending scheduled actions failed; retrying")
        await asyncio.sleep(5.0)


async def settled_pass(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps) -> None:
    tick = max(0.1, min(1.0, deps.settle_seconds / 4))
    while True:
        try:
            created = await handlers.evaluate_settled(runtime.uow, deps)
            if created:
                log.info("created %d tasks", created)
        except Exception:
            log.exception("evaluating changed customers failed; retrying")
        await asyncio.sleep(tick)


async def daily_pass(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, interval: float) -> None:
    # The review days were computed under the scenarios and rules of the previous run, which may have
    # been changed meanwhile: the first pass after a start looks at everyone.
    await handlers.review_all(runtime.uow)
    while True:
        try:
            created = await handlers.evaluate_all(runtime.uow, deps)
            log.info("daily pass created %d tasks", created)
        except Exception:
            log.exception("daily pass failed; next try in %.0fs", interval)
        await asyncio.sleep(interval)


def main() -> None:
    settings = Settings()
    runtime, deps = create_app(settings)
    asyncio.run(
        serve(
            NAME,
            settings,
            MIGRATIONS,
            lambda: runtime,
            lambda rt: evaluation_loops(rt, deps, settings.evaluation_interval_seconds),
        )
    )

"""Next best action: the one thing a collector should do next on an account, and why.

The suggestion comes from an ordered list of rules, checked against the
account's situation (what it owes and how late, the statuses of its items,
its promises, what was already done and how it went, the scenario's next
step, whether the customer can be reached at all). The first rule that
applies decides, as with the strategy rules (``strategy.py``): the order *is*
the policy, and reading ``RULES`` from top to bottom tells a collector why a
suggestion beat another.

Every suggestion carries a plain-words reason and the facts it rests on, so a
collector can check it instead of trusting it.

Pure and deterministic: ``today`` and every fact are passed in; nothing reads a
clock, a database or a rate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from opendso_money import Money, sum_money

from .engine import latest_reached_step, leader_invoice
from .model import Anchor, Channel, Item, PerformedAction, Scenario, Step


class NextBestActionError(ValueError):
    """A situation or thresholds that cannot be reasoned about, saying which field is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class ActionKind(StrEnum):
    NOTHING_TO_DO = "nothing_to_do"
    FOLLOW_UP_PARTNER = "follow_up_partner"
    """The case is with a partner (legal, call centre, debt buyer): ask them, not the customer."""
    RESOLVE_DISPUTE = "resolve_dispute"
    WAIT_FOR_PROMISE = "wait_for_promise"
    FIX_CONTACT_DATA = "fix_contact_data"
    ESCALATE_TO_LEGAL = "escalate_to_legal"
    ESCALATE_TO_CALL_CENTRE = "escalate_to_call_centre"
    SELL_DEBT = "sell_debt"
    PROPOSE_PAYMENT_PLAN = "propose_payment_plan"
    CALL_NOW = "call_now"
    SEND_REMINDER = "send_reminder"
    PERFORM_TASK = "perform_task"
    WAIT = "wait"
    """Something will happen by itself (an automatic reminder, an instalment's date): nothing to do before it."""


class Outcome(StrEnum):
    """How an action already taken went."""

    PENDING = "pending"
    """On the agenda or scheduled, not done yet."""
    SENT = "sent"
    """A message handed over for delivery."""
    DONE = "done"
    """Performed by a collector (a call made and answered, a task done)."""
    FAILED = "failed"
    """A message that failed or bounced."""
    NOT_REACHED = "not_reached"
    """A call made that nobody answered."""
    CANCELLED = "cancelled"


class StatusKind(StrEnum):
    """What an item status means for the suggestion."""

    DISPUTE = "dispute"
    PROMISE = "promise"
    PAYMENT_PLAN = "payment_plan"
    PARTNER = "partner"
    """With a legal partner, a call centre or sold: not for the collector to chase."""
    OTHER = "other"


DEFAULT_STATUS_KINDS: Final[Mapping[str, StatusKind]] = MappingProxyType(
    {
        "dispute": StatusKind.DISPUTE,
        "promise_to_pay": StatusKind.PROMISE,
        "payment_plan": StatusKind.PAYMENT_PLAN,
        "litigation": StatusKind.PARTNER,
        "with_call_centre": StatusKind.PARTNER,
        "debt_sold": StatusKind.PARTNER,
    }
)
"""The shipped statuses (``qualification.DEFAULT_CATALOGUE``) by meaning; any other status is OTHER."""

_MESSAGE_CHANNELS: Final = frozenset({Channel.EMAIL.value, Channel.SMS.value, Channel.LETTER.value})
_CALL: Final = Channel.PHONE_CALL.value
_MESSAGE_LABEL: Final = {"email": "e-mail", "sms": "SMS", "letter": "letter"}


@dataclass(frozen=True)
class AccountItem:
    item_id: str
    number: str
    due_date: date
    open_amount: Money
    """Negative for credit notes and unallocated payments."""
    is_debt: bool = True
    """An invoice or an instalment: something the customer owes and can be chased for."""
    status: str | None = None
    status_since: date | None = None
    excluded: bool = False
    """Taken out of the scenario by its status (or a payment plan)."""


@dataclass(frozen=True)
class PromiseFact:
    promised_on: date
    amount: Money
    state: str
    """"pending", "kept" or "broken"."""
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionTaken:
    """An action already on the account's timeline."""

    channel: str
    step_code: str
    on: date
    outcome: Outcome


@dataclass(frozen=True)
class NextStep:
    """The scenario's next step for the current leader (``next_step`` computes it)."""

    step_code: str
    channel: str
    due_on: date
    automatic: bool
    """Goes out without a collector; False also for an automatic step that fell to the agenda."""


@dataclass(frozen=True)
class AccountSituation:
    customer_id: str
    today: date
    items: tuple[AccountItem, ...]
    promises: tuple[PromiseFact, ...] = ()
    history: tuple[ActionTaken, ...] = ()
    next_step: NextStep | None = None
    has_email: bool = True
    has_phone: bool | None = None
    """None while unknown (no phone on record anywhere): no rule then relies on it either way."""
    risk_score: Decimal | None = None
    """0..100, higher is riskier; None while unknown."""

    def __post_init__(self) -> None:
        where = f"customer {self.customer_id!r}"
        for name in ("items", "promises", "history"):
            if not isinstance(getattr(self, name), tuple):
                raise NextBestActionError(f"{where}, {name}", "must be a tuple")
        seen: set[str] = set()
        for index, item in enumerate(self.items):
            if item.item_id in seen:
                raise NextBestActionError(f"{where}, items[{index}]", f"item {item.item_id!r} is listed twice")
            seen.add(item.item_id)
        for index, promise in enumerate(self.promises):
            if promise.state not in ("pending", "kept", "broken"):
                raise NextBestActionError(
                    f"{where}, promises[{index}].state", f"must be pending, kept or broken, got {promise.state!r}"
                )
        score = self.risk_score
        if score is not None and (not isinstance(score, Decimal) or not score.is_finite() or not 0 <= score <= 100):
            raise NextBestActionError(f"{where}, risk_score", f"must be a Decimal from 0 to 100, got {score!r}")


@dataclass(frozen=True)
class Thresholds:
    """When a situation is bad enough for a firmer action. The defaults are what a collector would do."""

    legal_after_days: int = 90
    """Days overdue of the leader after which a customer already chased goes to the legal partner."""
    call_centre_after_unreached_calls: int = 2
    """Calls in a row that reached nobody before the call centre, which calls at all hours, takes over."""
    call_after_ignored_reminders: int = 2
    """Messages sent since the last call without payment after which a person should call."""
    payment_plan_after_broken_promises: int = 1
    high_risk_score: Decimal = Decimal("70")
    """From this score on, a customer is called rather than left to e-mails."""
    recent_call_days: int = 7
    """A call within this many days is recent: no second call suggested yet."""
    promise_grace_days: int = 2
    """Days after the promised day a payment still keeps the promise (as the promise watcher counts)."""

    def __post_init__(self) -> None:
        for name in (
            "legal_after_days",
            "call_centre_after_unreached_calls",
            "call_after_ignored_reminders",
            "payment_plan_after_broken_promises",
            "recent_call_days",
            "promise_grace_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise NextBestActionError(f"thresholds, {name}", f"must be an integer >= 0, got {value!r}")
        for name in ("call_centre_after_unreached_calls", "call_after_ignored_reminders"):
            if getattr(self, name) == 0:
                raise NextBestActionError(f"thresholds, {name}", "must be at least 1")
        score = self.high_risk_score
        if not isinstance(score, Decimal) or not score.is_finite() or not 0 <= score <= 100:
            raise NextBestActionError("thresholds, high_risk_score", f"must be a Decimal from 0 to 100, got {score!r}")


@dataclass(frozen=True)
class Suggestion:
    action: ActionKind
    rule: str
    """The name of the rule that decided."""
    reason: str
    facts: tuple[tuple[str, str], ...]
    """(name, value in plain words): what the reason rests on, the same names for every suggestion."""
    item_ids: tuple[str, ...]
    act_on: date
    """Today, or the day worth waiting for."""
    overdue: tuple[Money, ...]
    """Overdue total per currency, sorted by currency."""
    step_code: str | None = None
    channel: str | None = None


# The view the rules read, derived once per account


@dataclass(frozen=True)
class _View:
    s: AccountSituation
    t: Thresholds
    debts: tuple[AccountItem, ...]
    overdue: tuple[AccountItem, ...]
    """Overdue debts, oldest first, whatever their status."""
    chased_overdue: tuple[AccountItem, ...]
    """Overdue debts the scenario still chases: the collector's work."""
    kinds: Mapping[str, StatusKind]
    history: tuple[ActionTaken, ...]
    """Oldest first."""
    overdue_totals: tuple[Money, ...] = field(default=())

    def with_status(self, kind: StatusKind, items: tuple[AccountItem, ...] | None = None) -> tuple[AccountItem, ...]:
        pool = self.debts if items is None else items
        return tuple(i for i in pool if i.status is not None and self.kinds.get(i.status, StatusKind.OTHER) is kind)

    @property
    def leader(self) -> AccountItem | None:
        return self.chased_overdue[0] if self.chased_overdue else None

    @property
    def days_overdue(self) -> int | None:
        leader = self.leader
        return None if leader is None else (self.s.today - leader.due_date).days

    def step_due(self) -> NextStep | None:
        step = self.s.next_step
        return step if step is not None and step.due_on <= self.s.today else None


def _order(item: AccountItem) -> tuple[date, str, str]:
    return (item.due_date, item.number, item.item_id)


def _view(situation: AccountSituation, thresholds: Thresholds, kinds: Mapping[str, StatusKind]) -> _View:
    debts = tuple(sorted((i for i in situation.items if i.is_debt and i.open_amount.amount > 0), key=_order))
    overdue = tuple(i for i in debts if i.due_date < situation.today)
    return _View(
        s=situation,
        t=thresholds,
        debts=debts,
        overdue=overdue,
        chased_overdue=tuple(i for i in overdue if not i.excluded),
        kinds=kinds,
        history=tuple(sorted(situation.history, key=lambda a: a.on)),
        overdue_totals=_totals(overdue),
    )


def _totals(items: Collection[AccountItem]) -> tuple[Money, ...]:
    by_currency: dict[str, list[Money]] = {}
    for item in items:
        by_currency.setdefault(item.open_amount.currency, []).append(item.open_amount)
    return tuple(sum_money(amounts, currency) for currency, amounts in sorted(by_currency.items()))


# Wording


def _money(money: Money) -> str:
    return f"{money.amount:,} {money.currency}"


def _moneys(amounts: Collection[Money]) -> str:
    return " + ".join(_money(m) for m in amounts) if amounts else "nothing"


def _numbers(items: Collection[AccountItem]) -> str:
    return ", ".join(i.number for i in items)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _facts(v: _View) -> list[tuple[str, str]]:
    """The facts every suggestion shows, whatever rule decided."""
    s = v.s
    facts = [
        ("open_items", str(len(v.debts))),
        ("overdue_items", str(len(v.overdue))),
        ("overdue_total", _moneys(v.overdue_totals)),
    ]
    leader = v.leader
    if leader is not None:
        facts.append(("leader", f"{leader.number}, {_days((s.today - leader.due_date).days)} overdue"))
    for kind in (StatusKind.DISPUTE, StatusKind.PROMISE, StatusKind.PAYMENT_PLAN, StatusKind.PARTNER):
        items = v.with_status(kind)
        if items:
            facts.append((f"{kind.value}_items", _numbers(items)))
    kept = sum(1 for p in s.promises if p.state == "kept")
    broken = sum(1 for p in s.promises if p.state == "broken")
    if s.promises:
        facts.append(("promises", f"{kept} kept, {broken} broken"))
    if v.history:
        last = v.history[-1]
        facts.append(
            ("last_action", f"{last.channel} ({last.step_code}) on {last.on.isoformat()}: {last.outcome.value}")
        )
    if s.next_step is not None:
        step = s.next_step
        facts.append(("next_step", f"{step.step_code} by {step.channel} on {step.due_on.isoformat()}"))
    facts.append(("contact", _contact(s)))
    if s.risk_score is not None:
        facts.append(("risk_score", str(s.risk_score)))
    return facts


def _contact(s: AccountSituation) -> str:
    email = "e-mail on record" if s.has_email else "no e-mail"
    phone = {True: "phone on record", False: "no phone", None: "phone unknown"}[s.has_phone]
    return f"{email}, {phone}"


# The rules. Each answers None when it does not apply, else (kind, reason, items, act_on, step).

_Decision = tuple[ActionKind, str, tuple[AccountItem, ...], date, NextStep | None]


def _nothing_owed(v: _View) -> _Decision | None:
    if v.debts:
        return None
    credit = _totals([i for i in v.s.items if i.open_amount.amount < 0])
    # Credit notes and unallocated payments are negative; the customer reads them as what it is owed.
    extra = f"; the account holds {_moneys([-m for m in credit])} in the customer's favour" if credit else ""
    return ActionKind.NOTHING_TO_DO, f"nothing is owed: no open invoice or instalment{extra}", (), v.s.today, None


def _dispute_open(v: _View) -> _Decision | None:
    # Before anything else owed: a customer who disputes an invoice usually holds back every payment until it
    # is settled, and reminding them of it only sours the relationship.
    disputed = v.with_status(StatusKind.DISPUTE)
    if not disputed:
        return None
    oldest = min(disputed, key=lambda i: (i.status_since or v.s.today, i.number))
    since = oldest.status_since or v.s.today
    reason = (
        f"{_numbers(disputed)} ({_moneys(_totals(disputed))}) disputed, the oldest since {since.isoformat()} "
        f"({_days((v.s.today - since).days)}): settle the dispute before asking for payment"
    )
    return ActionKind.RESOLVE_DISPUTE, reason, disputed, v.s.today, None


def _with_partner(v: _View) -> _Decision | None:
    partner = v.with_status(StatusKind.PARTNER, v.overdue)
    if not partner or v.chased_overdue:
        return None
    reason = (
        f"every overdue item the collector could chase is with a partner ({_numbers(partner)}, "
        f"{_moneys(_totals(partner))}): follow up with the partner, do not contact the customer directly"
    )
    return ActionKind.FOLLOW_UP_PARTNER, reason, partner, v.s.today, None


def _pending_promises(v: _View) -> list[PromiseFact]:
    return sorted((p for p in v.s.promises if p.state == "pending"), key=lambda p: (p.promised_on, p.amount.currency))


def _promise_pending(v: _View) -> _Decision | None:
    # Only while nothing else is chased: a promise for some invoices is no reason to leave others alone.
    if v.chased_overdue:
        return None
    grace = timedelta(days=v.t.promise_grace_days)
    waiting = [p for p in _pending_promises(v) if p.promised_on + grace >= v.s.today]
    if not waiting:
        return None
    promise = waiting[0]
    items = tuple(i for i in v.debts if i.item_id in promise.item_ids)
    kept = sum(1 for p in v.s.promises if p.state == "kept")
    broken = sum(1 for p in v.s.promises if p.state == "broken")
    reason = (
        f"promise to pay {_money(promise.amount)} by {promise.promised_on.isoformat()}; "
        f"{kept} earlier promise(s) kept, {broken} broken: wait for the promised day"
    )
    return ActionKind.WAIT_FOR_PROMISE, reason, items, promise.promised_on, None


def _promise_missed(v: _View) -> _Decision | None:
    grace = timedelta(days=v.t.promise_grace_days)
    missed = [p for p in _pending_promises(v) if p.promised_on + grace < v.s.today]
    if not missed:
        return None
    promise = missed[0]
    items = tuple(i for i in v.debts if i.item_id in promise.item_ids)
    reason = (
        f"the promise to pay {_money(promise.amount)} by {promise.promised_on.isoformat()} has not been kept "
        f"({_days((v.s.today - promise.promised_on).days)} ago): call to ask why and for a new date"
    )
    return ActionKind.CALL_NOW, reason, items, v.s.today, None


def _nothing_to_chase(v: _View) -> _Decision | None:
    if v.chased_overdue or v.step_due() is not None:
        return None
    held = tuple(i for i in v.overdue if i.excluded)
    plan = v.with_status(StatusKind.PAYMENT_PLAN)
    upcoming = v.s.next_step
    if plan:
        first = f"a payment plan covers {_numbers(plan)}; its instalments are chased on their own dates"
    elif held:
        statuses = sorted({i.status or "excluded" for i in held})
        first = f"every overdue item is held by its status ({', '.join(statuses)}: {_numbers(held)})"
    else:
        first = "nothing is overdue"
    if upcoming is not None:
        reason = f"{first}; next: {upcoming.step_code} by {upcoming.channel} on {upcoming.due_on.isoformat()}"
        return ActionKind.WAIT, reason, (), upcoming.due_on, upcoming
    return ActionKind.NOTHING_TO_DO, first, held, v.s.today, None


def _unreachable(v: _View) -> _Decision | None:
    s = v.s
    items = v.chased_overdue or v.debts
    if not s.has_email and s.has_phone is False:
        return (
            ActionKind.FIX_CONTACT_DATA,
            "no e-mail address and no phone number on record: the customer cannot be reached at all",
            items,
            s.today,
            None,
        )
    failed = _failed_message(v)
    if failed is not None:
        what = _MESSAGE_LABEL.get(failed.channel, failed.channel)
        reason = (
            f"the {what} of {failed.on.isoformat()} ({failed.step_code}) failed and none has gone through since: "
            f"check the customer's {what} address"
        )
        return ActionKind.FIX_CONTACT_DATA, reason, items, s.today, None
    step = v.step_due()
    if step is not None and step.channel == Channel.EMAIL.value and not s.has_email:
        reason = f"the {step.step_code} e-mail is due but the customer has no e-mail address: add one"
        return ActionKind.FIX_CONTACT_DATA, reason, items, s.today, step
    if step is not None and step.channel == _CALL and s.has_phone is False:
        reason = f"the {step.step_code} call is due but the customer has no phone number: add one"
        return ActionKind.FIX_CONTACT_DATA, reason, items, s.today, step
    return None


def _failed_message(v: _View) -> ActionTaken | None:
    """The latest message that failed, unless a message on the same channel went through after it."""
    for action in reversed(v.history):
        if action.channel not in _MESSAGE_CHANNELS:
            continue
        if action.outcome is Outcome.FAILED:
            return action
        if action.outcome is Outcome.SENT:
            return None
    return None


def _contacted(v: _View) -> list[ActionTaken]:
    return [a for a in v.history if a.outcome in (Outcome.SENT, Outcome.DONE, Outcome.NOT_REACHED)]


def _long_overdue(v: _View) -> _Decision | None:
    days = v.days_overdue
    if days is None or days < v.t.legal_after_days:
        return None
    contacted = _contacted(v)
    # Never straight to court: a customer nobody has written to or called gets a reminder first.
    if not contacted:
        return None
    reason = (
        f"{v.chased_overdue[0].number} is {_days(days)} overdue (legal from {v.t.legal_after_days}) after "
        f"{len(contacted)} action(s) without payment: hand {_moneys(_totals(v.chased_overdue))} to the legal partner"
    )
    return ActionKind.ESCALATE_TO_LEGAL, reason, v.chased_overdue, v.s.today, None


def _calls_since_reached(v: _View) -> list[ActionTaken]:
    unreached: list[ActionTaken] = []
    for action in reversed(v.history):
        if action.channel != _CALL:
            continue
        if action.outcome is Outcome.NOT_REACHED:
            unreached.append(action)
        elif action.outcome is Outcome.DONE:
            break
    return unreached


def _calls_unanswered(v: _View) -> _Decision | None:
    if not v.chased_overdue:
        return None
    unreached = _calls_since_reached(v)
    if len(unreached) < v.t.call_centre_after_unreached_calls:
        return None
    reason = (
        f"{len(unreached)} calls in a row reached nobody (the last on {unreached[0].on.isoformat()}): "
        "the call centre can try at other hours"
    )
    return ActionKind.ESCALATE_TO_CALL_CENTRE, reason, v.chased_overdue, v.s.today, None


def _promises_broken(v: _View) -> _Decision | None:
    if not v.chased_overdue or v.with_status(StatusKind.PAYMENT_PLAN):
        return None
    broken = [p for p in v.s.promises if p.state == "broken"]
    if not broken or len(broken) < v.t.payment_plan_after_broken_promises:
        return None
    reason = (
        f"{len(broken)} promise(s) to pay broken, the last for {broken[-1].promised_on.isoformat()}: the customer "
        f"probably cannot pay {_moneys(_totals(v.chased_overdue))} at once; offer instalments"
    )
    return ActionKind.PROPOSE_PAYMENT_PLAN, reason, v.chased_overdue, v.s.today, None


def _reminders_ignored(v: _View) -> _Decision | None:
    leader = v.leader
    if leader is None:
        return None
    sent: list[ActionTaken] = []
    for action in reversed(v.history):
        if action.channel == _CALL and action.outcome is Outcome.DONE:
            break
        if action.channel in _MESSAGE_CHANNELS and action.outcome is Outcome.SENT and action.on >= leader.due_date:
            sent.append(action)
    if len(sent) < v.t.call_after_ignored_reminders:
        return None
    reason = (
        f"{len(sent)} reminders sent since {leader.number} fell due (the last on {sent[0].on.isoformat()}) and "
        f"{_moneys(_totals(v.chased_overdue))} is still overdue: a call gets an answer where messages did not"
    )
    return ActionKind.CALL_NOW, reason, v.chased_overdue, v.s.today, None


def _high_risk(v: _View) -> _Decision | None:
    score = v.s.risk_score
    if score is None or score < v.t.high_risk_score or not v.chased_overdue:
        return None
    recent = v.s.today - timedelta(days=v.t.recent_call_days)
    if any(a.channel == _CALL and a.on >= recent and a.outcome is not Outcome.PENDING for a in v.history):
        return None
    reason = (
        f"risk score {score} is at or above {v.t.high_risk_score} and {_moneys(_totals(v.chased_overdue))} is "
        "overdue: call now rather than wait for the scenario's messages"
    )
    return ActionKind.CALL_NOW, reason, v.chased_overdue, v.s.today, None


_STEP_KINDS: Final[Mapping[str, ActionKind]] = MappingProxyType(
    {
        Channel.EMAIL.value: ActionKind.SEND_REMINDER,
        Channel.SMS.value: ActionKind.SEND_REMINDER,
        Channel.LETTER.value: ActionKind.SEND_REMINDER,
        Channel.PHONE_CALL.value: ActionKind.CALL_NOW,
        Channel.CALL_CENTRE_TASK.value: ActionKind.ESCALATE_TO_CALL_CENTRE,
        Channel.LEGAL_ESCALATION.value: ActionKind.ESCALATE_TO_LEGAL,
        Channel.DEBT_SALE.value: ActionKind.SELL_DEBT,
        Channel.INTERNAL_TASK.value: ActionKind.PERFORM_TASK,
    }
)


def _step_due(v: _View) -> _Decision | None:
    step = v.step_due()
    if step is None:
        return None
    items = v.chased_overdue or v.debts
    if step.automatic:
        reason = f"the {step.step_code} {step.channel} is due and goes out by itself in the next sending slot"
        return ActionKind.WAIT, reason, items, v.s.today, step
    kind = _STEP_KINDS.get(step.channel, ActionKind.PERFORM_TASK)
    late = (v.s.today - step.due_on).days
    when = "today" if late == 0 else f"since {step.due_on.isoformat()} ({_days(late)})"
    reason = f"the scenario's {step.step_code} step ({step.channel}) is due {when} and waits for a collector"
    return kind, reason, items, v.s.today, step


def _step_later(v: _View) -> _Decision | None:
    step = v.s.next_step
    if step is None:
        return None
    reason = (
        f"the scenario's next step, {step.step_code} ({step.channel}), is due on {step.due_on.isoformat()}; "
        "nothing calls for acting before it"
    )
    return ActionKind.WAIT, reason, v.chased_overdue, step.due_on, step


def _scenario_exhausted(v: _View) -> _Decision | None:
    leader = v.leader
    if leader is None:
        # Unreachable after _nothing_to_chase, kept so the list always ends in a rule that answers.
        return ActionKind.NOTHING_TO_DO, "nothing is chased", (), v.s.today, None
    reason = (
        f"the scenario has no step left and {leader.number} is {_days((v.s.today - leader.due_date).days)} overdue: "
        "call to agree on a payment"
    )
    return ActionKind.CALL_NOW, reason, v.chased_overdue, v.s.today, None


@dataclass(frozen=True)
class NextBestActionRule:
    name: str
    description: str
    check: Callable[[_View], _Decision | None] = field(repr=False)


RULES: Final[tuple[NextBestActionRule, ...]] = (
    NextBestActionRule("nothing_owed", "no open invoice or instalment: nothing to do", _nothing_owed),
    NextBestActionRule("dispute_open", "an open item is disputed: resolve the dispute first", _dispute_open),
    NextBestActionRule(
        "with_partner", "every overdue item left is with a partner: follow up with the partner", _with_partner
    ),
    NextBestActionRule(
        "promise_pending", "nothing else is chased and a promise's day is still to come: wait", _promise_pending
    ),
    NextBestActionRule("promise_missed", "a pending promise's day (plus grace) has passed: call", _promise_missed),
    NextBestActionRule(
        "nothing_to_chase", "nothing overdue is chased and no step is due: wait for the next step", _nothing_to_chase
    ),
    NextBestActionRule(
        "unreachable", "no way to reach the customer, or the last message failed: fix the contact data", _unreachable
    ),
    NextBestActionRule(
        "long_overdue", "the leader is past the legal threshold after earlier actions: legal partner", _long_overdue
    ),
    NextBestActionRule(
        "calls_unanswered", "calls in a row reached nobody: escalate to the call centre", _calls_unanswered
    ),
    NextBestActionRule(
        "promises_broken", "promises broken and no payment plan: propose a payment plan", _promises_broken
    ),
    NextBestActionRule(
        "reminders_ignored", "reminders sent since the due date went unanswered: call", _reminders_ignored
    ),
    NextBestActionRule("high_risk", "a high risk score and no recent call: call now", _high_risk),
    NextBestActionRule("step_due", "the scenario's step is due: do it (or let it go out by itself)", _step_due),
    NextBestActionRule("step_later", "the scenario's next step is still to come: wait for it", _step_later),
    NextBestActionRule("scenario_exhausted", "overdue with no step left: call", _scenario_exhausted),
)
"""First match wins. Blocking situations (nothing owed, a dispute, a partner, a promise) come first because
chasing through them does harm; then whether the customer can be reached at all; then escalations, which
override the scenario's routine; then the scenario itself."""


def suggest(
    situation: AccountSituation,
    thresholds: Thresholds | None = None,
    *,
    status_kinds: Mapping[str, StatusKind] = DEFAULT_STATUS_KINDS,
    rules: tuple[NextBestActionRule, ...] = RULES,
) -> Suggestion:
    """The next best action for the account: the first rule of ``rules`` that applies.

    Raises ``NextBestActionError`` when no rule applies (only possible with a custom list that does not end in
    a rule that always answers).
    """
    view = _view(situation, thresholds or Thresholds(), status_kinds)
    for rule in rules:
        decision = rule.check(view)
        if decision is None:
            continue
        kind, reason, items, act_on, step = decision
        return Suggestion(
            action=kind,
            rule=rule.name,
            reason=reason,
            facts=tuple(_facts(view)),
            item_ids=tuple(i.item_id for i in items),
            act_on=act_on,
            overdue=view.overdue_totals,
            step_code=step.step_code if step is not None else None,
            channel=step.channel if step is not None else None,
        )
    raise NextBestActionError(f"customer {situation.customer_id!r}", "no rule applies")


def next_step(
    scenario: Scenario,
    items: Collection[Item],
    today: date,
    performed: Collection[PerformedAction],
) -> tuple[Step, date] | None:
    """The scenario's step still to do for the current leader, and the day it is (or was) due.

    The latest reached step when it has not been performed for the leader (due today or earlier); else the
    step after it, on the day it will be reached. None when nothing takes part or the scenario has no step left.
    ``performed`` are the actions actually done, not those waiting on the agenda.
    """
    leader = leader_invoice(items, today)
    if leader is None:
        return None
    reached = latest_reached_step(scenario, leader, today, performed)
    if reached is not None:
        index = scenario.steps.index(reached)
        if not _done(reached, leader.item_id, performed):
            return reached, _reached_on(scenario, index, leader.due_date, performed, leader.item_id) or today
        following = index + 1
    else:
        following = 0
    if following >= len(scenario.steps):
        return None
    due_on = _reached_on(scenario, following, leader.due_date, performed, leader.item_id)
    # A step counting from an action not done yet has no date: it waits for that action.
    return None if due_on is None else (scenario.steps[following], max(due_on, today))


def _done(step: Step, leader_item_id: str, performed: Collection[PerformedAction]) -> bool:
    return any(p.step_code == step.code and p.leader_item_id == leader_item_id for p in performed)


def _reached_on(
    scenario: Scenario, index: int, due_date: date, performed: Collection[PerformedAction], leader_item_id: str
) -> date | None:
    step = scenario.steps[index]
    if step.anchor is Anchor.DUE_DATE:
        return due_date + timedelta(days=step.offset_days)
    previous = scenario.steps[index - 1]
    dates = [p.performed_on for p in performed if p.step_code == previous.code and p.leader_item_id == leader_item_id]
    return max(dates) + timedelta(days=step.offset_days) if dates else None

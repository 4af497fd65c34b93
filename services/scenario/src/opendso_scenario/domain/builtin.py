"""Ready-made scenarios that ship with the product.

Four levels of firmness; strategy rules (or a credit manager) pick one per
customer, and tenants duplicate and adapt them.

``gentle``
    Small balances and customers who usually pay on time. A courtesy e-mail
    shortly before the due date, a light "have we missed your payment?" a
    week after it, a regular reminder after three weeks, and a collector's
    call only when the invoice is six weeks late. Nothing is sent below 50
    in every currency: chasing a few euros costs more than it brings in.

``standard``
    The default for everyone else: a friendly e-mail before the due date, two
    reminders, then a collector's call.

``firm``
    Large debts, customers with a broken promise or a record of paying very
    late. No pre-due courtesy: a reminder the day after the due date, a second
    one ten days later that mentions late-payment interest and the recovery
    compensation, then a formal notice by letter with an e-mail copy the next
    day, a collector's call once the notice's eight days have run out, and a
    legal-escalation task: performing it hands the case to the legal partner.

``key_account``
    Large customers the company wants to keep. A collector calls before the
    due date instead of sending e-mails, every reminder waits for a collector
    to validate it (so that it can be adjusted to the relationship), and a
    late case becomes a task for management rather than an escalation.

Steps that a collector performs (phone calls, internal tasks) have no message;
their template code names the kind of task, as ``phone_call`` always has.
"""

from __future__ import annotations

from decimal import Decimal

from .model import Anchor, Channel, Scenario, Step

GENTLE = Scenario(
    code="gentle",
    name="Gentle",
    steps=(
        Step("courtesy", -3, Channel.EMAIL, "friendly_reminder", automatic=True),
        Step("nudge", 7, Channel.EMAIL, "gentle_reminder", automatic=True),
        Step("reminder", 21, Channel.EMAIL, "first_reminder", automatic=True),
        Step("call", 45, Channel.PHONE_CALL, "phone_call", automatic=False),
    ),
    minimum_amount=Decimal("50"),
)

STANDARD = Scenario(
    code="standard",
    name="Standard",
    steps=(
        Step("friendly", -5, Channel.EMAIL, "friendly_reminder", automatic=True),
        Step("first", 3, Channel.EMAIL, "first_reminder", automatic=True),
        Step("second", 15, Channel.EMAIL, "second_reminder", automatic=True),
        # Not automatic: a collector calls, so it lands on the agenda as a task.
        Step("call", 30, Channel.PHONE_CALL, "phone_call", automatic=False),
    ),
)

FIRM = Scenario(
    code="firm",
    name="Firm",
    steps=(
        Step("overdue", 1, Channel.EMAIL, "overdue_notice", automatic=True),
        # Gives eight days and announces the formal notice, which follows them.
        Step("second", 10, Channel.EMAIL, "firm_reminder", automatic=True),
        Step("formal_notice", 20, Channel.LETTER, "formal_notice_letter", automatic=True),
        # The steps after the notice count from the previous action, not from the due
        # date: the engine only plans the latest step reached, so a customer moved to
        # this scenario months late would otherwise jump straight to the legal
        # escalation without ever receiving a formal notice and its deadline.
        Step("formal_notice_email", 1, Channel.EMAIL, "formal_notice_email", automatic=True, anchor=Anchor.LAST_ACTION),
        # Ten days after the letter: the eight days it gave are over and a late transfer has had time to arrive.
        Step("call", 9, Channel.PHONE_CALL, "phone_call", automatic=False, anchor=Anchor.LAST_ACTION),
        Step(
            "legal_escalation",
            7,
            Channel.LEGAL_ESCALATION,
            "legal_escalation",
            automatic=False,
            anchor=Anchor.LAST_ACTION,
        ),
    ),
)

KEY_ACCOUNT = Scenario(
    code="key_account",
    name="Key account",
    steps=(
        Step("call_before_due", -7, Channel.PHONE_CALL, "phone_call", automatic=False),
        Step("reminder", 5, Channel.EMAIL, "key_account_reminder", automatic=False),
        Step("follow_up", 15, Channel.EMAIL, "key_account_follow_up", automatic=False),
        Step("management_review", 30, Channel.INTERNAL_TASK, "internal_task", automatic=False),
    ),
)


def builtin_scenarios() -> dict[str, Scenario]:
    """The shipped scenarios by code; a new dict each call, so callers may add to it."""
    return {scenario.code: scenario for scenario in (GENTLE, STANDARD, FIRM, KEY_ACCOUNT)}

"""The shipped scenarios and statuses, and the shipped templates they send: a contract between the scenario
and messaging services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_messaging.domain.builtin_templates import builtin_templates
from opendso_messaging.domain.templates import ItemLine, MessageContext, Template, render, validate_template
from opendso_money import Money
from opendso_scenario.domain import builtin
from opendso_scenario.domain.builtin import FIRM, GENTLE, KEY_ACCOUNT, STANDARD, builtin_scenarios
from opendso_scenario.domain.engine import plan_actions
from opendso_scenario.domain.model import (
    Anchor,
    Channel,
    Customer,
    Item,
    PerformedAction,
    Scenario,
    Step,
)
from opendso_scenario.domain.qualification import DEFAULT_CATALOGUE

DUE = date(2025, 3, 1)
LANGUAGES = ("en", "fr", "de")
# Channels whose steps send a message rendered from a template; the others are collector tasks.
MESSAGE_CHANNELS = frozenset({Channel.EMAIL, Channel.LETTER})


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def customer(amount: str = "1200.00") -> Customer:
    invoice = Item(
        item_id="A",
        number="INV-A",
        kind="invoice",
        issue_date=DUE - timedelta(days=30),
        due_date=DUE,
        open_amount=Money(Decimal(amount), "EUR"),
    )
    return Customer("C1", "FR01", "411000", "Dupont SARL", "fr", (invoice,))


def run(scenario: Scenario, first: int, last: int, amount: str = "1200.00") -> list[tuple[str, int]]:
    """Plan every day from ``first`` to ``last`` (offsets from DUE), performing each action the day it is due."""
    performed: list[PerformedAction] = []
    done: list[tuple[str, int]] = []
    for offset in range(first, last + 1):
        for action in plan_actions(customer(amount), scenario, day(offset), performed):
            performed.append(PerformedAction(action.step.code, action.leader_item_id, day(offset)))
            done.append((action.step.code, offset))
    return done


def message_steps() -> list[tuple[str, Step]]:
    return [
        (scenario.code, step)
        for scenario in builtin_scenarios().values()
        for step in scenario.steps
        if step.channel in MESSAGE_CHANNELS
    ]


def template(code: str, language: str) -> Template | None:
    # Looked up exactly: find_template would fall back to English and hide a missing translation.
    return next((t for t in builtin_templates() if t.code == code and t.language == language), None)


def sample_context(language: str) -> MessageContext:
    return MessageContext(
        customer_name="Dupont SARL",
        account_number="411000",
        contact_name="Claire Dupont",
        language=language,
        company_name="Acme SA",
        collector_name="Jean Martin",
        collector_email="jean.martin@acme.example",
        portal_link="https://portal.acme.example/s/c1",
        today=day(20),
        items=(ItemLine("INV-A", day(-30), DUE, Money(Decimal("1200"), "EUR"), 20),),
    )


def test_four_scenarios_ship_under_their_codes() -> None:
    scenarios = builtin_scenarios()

    assert sorted(scenarios) == ["firm", "gentle", "key_account", "standard"]
    assert all(code == scenario.code for code, scenario in scenarios.items())
    assert scenarios["gentle"] is GENTLE and scenarios["firm"] is FIRM and scenarios["key_account"] is KEY_ACCOUNT


@pytest.mark.parametrize("code", ["gentle", "standard", "firm", "key_account"])
def test_the_module_documents_who_each_scenario_is_for(code: str) -> None:
    assert f"``{code}``" in (builtin.__doc__ or "")


def test_the_standard_scenario_is_unchanged() -> None:
    # Tasks already stored under these step codes, and their timing, depend on it.
    assert STANDARD.name == "Standard"
    assert STANDARD.minimum_amount == Decimal("0")
    assert STANDARD.steps == (
        Step("friendly", -5, Channel.EMAIL, "friendly_reminder", automatic=True, anchor=Anchor.DUE_DATE),
        Step("first", 3, Channel.EMAIL, "first_reminder", automatic=True, anchor=Anchor.DUE_DATE),
        Step("second", 15, Channel.EMAIL, "second_reminder", automatic=True, anchor=Anchor.DUE_DATE),
        Step("call", 30, Channel.PHONE_CALL, "phone_call", automatic=False, anchor=Anchor.DUE_DATE),
    )


@pytest.mark.parametrize(
    ("scenario", "schedule"),
    [
        pytest.param(GENTLE, [("courtesy", -3), ("nudge", 7), ("reminder", 21), ("call", 45)], id="gentle"),
        pytest.param(STANDARD, [("friendly", -5), ("first", 3), ("second", 15), ("call", 30)], id="standard"),
        pytest.param(
            FIRM,
            [
                ("overdue", 1),
                ("second", 10),
                ("formal_notice", 20),
                ("formal_notice_email", 21),
                ("call", 30),
                ("legal_escalation", 37),
            ],
            id="firm",
        ),
        pytest.param(
            KEY_ACCOUNT,
            [("call_before_due", -7), ("reminder", 5), ("follow_up", 15), ("management_review", 30)],
            id="key_account",
        ),
    ],
)
def test_an_unpaid_invoice_goes_through_every_step_in_order(
    scenario: Scenario, schedule: list[tuple[str, int]]
) -> None:
    assert [step.code for step in scenario.steps] == [code for code, _ in schedule]
    assert run(scenario, -30, 120) == schedule


def test_a_customer_moved_to_the_firm_scenario_late_gets_the_formal_notice_before_any_escalation() -> None:
    # First planned 90 days after the due date, as after a broken promise.
    assert run(FIRM, 90, 200) == [
        ("formal_notice", 90),
        ("formal_notice_email", 91),
        ("call", 100),
        ("legal_escalation", 107),
    ]


def test_the_firm_formal_notice_goes_by_letter_then_by_email_without_a_collector() -> None:
    letter, copy = FIRM.step("formal_notice"), FIRM.step("formal_notice_email")

    assert (letter.channel, letter.automatic) == (Channel.LETTER, True)
    assert (copy.channel, copy.automatic) == (Channel.EMAIL, True)
    assert FIRM.steps.index(copy) == FIRM.steps.index(letter) + 1
    # Performing the last step hands the case to the legal partner (CaseEscalated).
    assert FIRM.steps[-1].channel is Channel.LEGAL_ESCALATION


def test_the_gentle_scenario_leaves_small_balances_alone() -> None:
    assert GENTLE.minimum_amount == Decimal("50")
    assert run(GENTLE, -30, 120, amount="49.99") == []
    assert run(GENTLE, -30, 120, amount="50.00")[0] == ("courtesy", -3)


def test_a_key_account_is_called_before_the_due_date_and_nothing_goes_out_without_a_collector() -> None:
    first = KEY_ACCOUNT.steps[0]

    assert (first.channel, first.offset_days) == (Channel.PHONE_CALL, -7)
    assert not any(step.automatic for step in KEY_ACCOUNT.steps)
    assert not any(step.channel in MESSAGE_CHANNELS and step.offset_days < 0 for step in KEY_ACCOUNT.steps)
    assert KEY_ACCOUNT.steps[-1].channel is Channel.INTERNAL_TASK


def test_collector_tasks_name_their_kind_like_the_standard_call() -> None:
    tasks = [step for scenario in builtin_scenarios().values() for step in scenario.steps]
    tasks = [step for step in tasks if step.channel not in MESSAGE_CHANNELS]

    assert {step.template for step in tasks} == {"phone_call", "internal_task", "legal_escalation"}
    for step in tasks:
        assert step.template == step.channel.value
        assert not step.automatic


# The scenario service sends a step's template code over the bus and the messaging service
# looks it up; a code with no template only shows up as a failed message in production, so
# this test reads both sides.


@pytest.mark.parametrize(("scenario_code", "step"), message_steps(), ids=lambda v: v if isinstance(v, str) else v.code)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_step_has_a_template_in_each_language(scenario_code: str, step: Step, language: str) -> None:
    tpl = template(step.template, language)

    assert tpl is not None, f"{scenario_code}/{step.code}: no {language} template {step.template!r}"
    assert tpl.channel == step.channel.value
    validate_template(tpl)
    rendered = render(tpl, sample_context(language))
    assert "411000" in rendered.subject
    assert "Dupont SARL" in rendered.text and "INV-A" in rendered.text
    assert "#" not in rendered.text


def confirmation_templates() -> list[str]:
    return sorted({d.sends_confirmation for d in DEFAULT_CATALOGUE if d.sends_confirmation is not None})


def test_every_builtin_template_is_used_by_a_builtin_scenario_or_status() -> None:
    used = {step.template for _, step in message_steps()} | set(confirmation_templates())

    assert {t.code for t in builtin_templates()} == used


# A status's confirmation travels the same way: the scenario service sends the catalogue's template
# code on a SendMessage by e-mail, and messaging looks it up in the customer's language.


def test_the_shipped_statuses_send_their_confirmations() -> None:
    assert confirmation_templates() == [
        "dispute_acknowledgement",
        "payment_plan_confirmation",
        "promise_to_pay_confirmation",
    ]


@pytest.mark.parametrize("code", confirmation_templates())
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_status_confirmation_has_an_email_template_in_each_language(code: str, language: str) -> None:
    tpl = template(code, language)

    assert tpl is not None, f"status confirmation: no {language} template {code!r}"
    assert tpl.channel == Channel.EMAIL.value
    validate_template(tpl)
    rendered = render(tpl, sample_context(language))
    assert "411000" in rendered.subject
    assert "Dupont SARL" in rendered.text and "INV-A" in rendered.text
    assert "#" not in rendered.text

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from opendso_money import Money
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.model import Item
from opendso_scenario.domain.strategy import (
    DEFAULT_STRATEGY,
    READY_MADE_SCENARIOS,
    Assignment,
    CustomerFacts,
    ItemFacts,
    Rule,
    Strategy,
    StrategyError,
    assign,
    strategy_from_dict,
    strategy_to_dict,
)

TODAY = date(2025, 6, 30)
DEFAULT_LINE = "no rule matched: default scenario 'standard'"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def item(
    item_id: str,
    *,
    late: int = 10,
    amount: str = "100.00",
    currency: str = "EUR",
    product_group: str | None = None,
    product: str | None = None,
    priority: str | None = None,
    excluded: bool = False,
) -> ItemFacts:
    """An item due ``late`` days before TODAY (after it when negative)."""
    return ItemFacts(
        item_id=item_id,
        due_date=TODAY - timedelta(days=late),
        open_amount=Money(Decimal(amount), currency),
        product_group=product_group,
        product=product,
        priority=priority,
        excluded=excluded,
    )


def facts(
    *items: ItemFacts,
    entity: str = "FR01",
    customer_group: str | None = None,
    priority: str | None = None,
    risk: str | None = None,
) -> CustomerFacts:
    return CustomerFacts(
        customer_id="C1",
        entity=entity,
        customer_group=customer_group,
        priority=priority,
        risk_score=Decimal(risk) if risk is not None else None,
        today=TODAY,
        items=items,
    )


def strategy(*rules: Rule, default: str = "standard") -> Strategy:
    return Strategy(rules=rules, default_scenario=default, known_scenarios=READY_MADE_SCENARIOS)


def verdict(rule: Rule, customer: CustomerFacts, **kwargs: Any) -> str:
    """The explanation line of a strategy holding only ``rule``."""
    return assign(strategy(rule), customer, **kwargs).explanation[0]


def to_eur_at_090(amount: Money, currency: str) -> Money:
    assert currency == "EUR"
    return Money((amount.amount * Decimal("0.90")).quantize(Decimal("0.01")), "EUR")


# Entity and customer group


def test_entity_in_the_set_matches() -> None:
    rule = Rule("french", "firm", entities=frozenset({"FR01", "FR02"}))

    result = assign(strategy(rule), facts(entity="FR02"))

    assert result == Assignment("firm", "french", ("rule 'french' matched: entity is 'FR02'",))


def test_entity_outside_the_set_does_not_match() -> None:
    rule = Rule("french", "firm", entities=frozenset({"FR01", "FR02"}))

    result = assign(strategy(rule), facts(entity="DE01"))

    assert result == Assignment(
        "standard",
        None,
        ("rule 'french' did not match: entity 'DE01' is not one of 'FR01', 'FR02'", DEFAULT_LINE),
    )


def test_customer_group_in_the_set_matches() -> None:
    rule = Rule("keys", "key_account", customer_groups=frozenset({"key_account"}))

    assert verdict(rule, facts(customer_group="key_account")) == "rule 'keys' matched: customer group is 'key_account'"


def test_another_customer_group_does_not_match() -> None:
    rule = Rule("keys", "key_account", customer_groups=frozenset({"key_account"}))

    assert verdict(rule, facts(customer_group="retail")) == (
        "rule 'keys' did not match: customer group 'retail' is not 'key_account'"
    )


def test_a_customer_without_a_group_does_not_match_a_group_condition() -> None:
    rule = Rule("keys", "key_account", customer_groups=frozenset({"key_account"}))

    assert verdict(rule, facts()) == "rule 'keys' did not match: customer group is not set (needs 'key_account')"


# Priority


def test_customer_priority_in_the_set_matches() -> None:
    rule = Rule("vip", "key_account", priorities=frozenset({"high", "urgent"}))

    assert verdict(rule, facts(priority="urgent")) == "rule 'vip' matched: customer priority is 'urgent'"


def test_an_overdue_item_priority_in_the_set_matches() -> None:
    rule = Rule("vip", "key_account", priorities=frozenset({"high"}))
    customer = facts(item("I1", priority="low"), item("I2", late=3, priority="high"), priority="normal")

    assert verdict(rule, customer) == "rule 'vip' matched: overdue item 'I2' has priority 'high'"


def test_the_priority_of_an_item_not_yet_due_does_not_count_while_another_is_overdue() -> None:
    rule = Rule("vip", "key_account", priorities=frozenset({"high"}))
    customer = facts(item("late"), item("future", late=-5, priority="high"), priority="normal")

    assert verdict(rule, customer) == (
        "rule 'vip' did not match: neither the customer's priority ('normal') nor any overdue item's priority is 'high'"
    )


def test_no_priority_at_all_does_not_match() -> None:
    rule = Rule("vip", "key_account", priorities=frozenset({"high"}))

    assert verdict(rule, facts(item("I1"))) == (
        "rule 'vip' did not match: neither the customer's priority (none) nor any overdue item's priority is 'high'"
    )


# Product group and product (item-level)


def test_an_overdue_item_of_the_product_group_matches() -> None:
    rule = Rule("steel", "firm", product_groups=frozenset({"steel"}))
    customer = facts(item("I1", late=40, product_group="wood"), item("I2", late=5, product_group="steel"))

    assert verdict(rule, customer) == "rule 'steel' matched: overdue item 'I2' has product group 'steel'"


def test_a_product_group_only_on_an_item_not_yet_due_does_not_match_while_another_is_overdue() -> None:
    rule = Rule("steel", "firm", product_groups=frozenset({"steel"}))
    customer = facts(item("I1", product_group="wood"), item("I2", late=-3, product_group="steel"))

    assert verdict(rule, customer) == "rule 'steel' did not match: no overdue item has product group 'steel'"


def test_when_nothing_is_overdue_every_open_item_is_tested() -> None:
    rule = Rule("p42", "gentle", products=frozenset({"P-42"}))
    customer = facts(item("I1", late=-3, product="P-1"), item("I2", late=-20, product="P-42"))

    assert verdict(rule, customer) == "rule 'p42' matched: open item 'I2' has product 'P-42'"


def test_no_item_of_the_products_does_not_match() -> None:
    rule = Rule("p", "gentle", products=frozenset({"P-2", "P-1"}))

    assert verdict(rule, facts(item("I1", product="P-3"))) == (
        "rule 'p' did not match: no overdue item has product one of 'P-1', 'P-2'"
    )


def test_excluded_credit_and_paid_items_are_not_tested_for_products() -> None:
    rule = Rule("p", "gentle", products=frozenset({"P-1"}))
    customer = facts(
        item("disputed", product="P-1", excluded=True),
        item("credit", amount="-50.00", product="P-1"),
        item("paid", amount="0.00", product="P-1"),
        item("other", product="P-9"),
    )

    assert verdict(rule, customer) == "rule 'p' did not match: no overdue item has product 'P-1'"


def test_a_customer_without_open_items_matches_no_item_condition() -> None:
    rule = Rule("p", "gentle", product_groups=frozenset({"steel"}))

    assert verdict(rule, facts()) == "rule 'p' did not match: no open item has product group 'steel'"


# Days overdue of the leader


def test_days_overdue_are_those_of_the_oldest_overdue_item() -> None:
    rule = Rule("late", "firm", min_days_overdue=30)
    customer = facts(item("new", late=5), item("old", late=45), item("future", late=-10))

    assert verdict(rule, customer) == "rule 'late' matched: days overdue 45 >= 30"


def test_too_few_days_overdue_does_not_match() -> None:
    rule = Rule("late", "firm", min_days_overdue=30)

    assert verdict(rule, facts(item("I1", late=29))) == "rule 'late' did not match: days overdue 29 < 30"


def test_max_days_overdue_holds_at_the_bound_and_fails_beyond() -> None:
    rule = Rule("recent", "gentle", max_days_overdue=15)

    assert verdict(rule, facts(item("I1", late=15))) == "rule 'recent' matched: days overdue 15 <= 15"
    assert verdict(rule, facts(item("I1", late=16))) == "rule 'recent' did not match: days overdue 16 > 15"


def test_before_anything_is_due_days_overdue_count_down_to_the_soonest_due_date() -> None:
    rule = Rule("not yet due", "gentle", max_days_overdue=-1)
    customer = facts(item("soon", late=-4), item("later", late=-30))

    assert verdict(rule, customer) == "rule 'not yet due' matched: days overdue -4 <= -1"


def test_credit_notes_disputed_and_paid_items_never_lead() -> None:
    rule = Rule("late", "firm", min_days_overdue=30)
    customer = facts(
        item("credit", late=90, amount="-100.00"),
        item("disputed", late=80, excluded=True),
        item("paid", late=70, amount="0.00"),
        item("invoice", late=5),
    )

    assert verdict(rule, customer) == "rule 'late' did not match: days overdue 5 < 30"


def test_days_overdue_are_unknown_without_an_open_item() -> None:
    assert verdict(Rule("recent", "gentle", max_days_overdue=15), facts()) == (
        "rule 'recent' did not match: days overdue unknown: no open item"
    )


# Open balance


def test_the_example_from_the_brief() -> None:
    rule = Rule("big debts", "firm", min_balance=eur("10000.00"), min_days_overdue=30)
    customer = facts(item("I1", late=45, amount="20000.00"), item("I2", late=3, amount="5000.00"))

    assert verdict(rule, customer) == (
        "rule 'big debts' matched: open balance 25,000.00 EUR >= 10,000.00 EUR; days overdue 45 >= 30"
    )


def test_the_balance_includes_items_not_yet_due_and_disputed_and_credit_notes_reduce_it() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))
    customer = facts(
        item("I1", amount="6000.00"),
        item("future", late=-20, amount="3000.00"),
        item("disputed", amount="2000.00", excluded=True),
        item("credit", amount="-1500.00"),
    )

    assert verdict(rule, customer) == "rule 'big' did not match: open balance 9,500.00 EUR < 10,000.00 EUR"


def test_max_balance_holds_at_the_bound_and_fails_beyond() -> None:
    rule = Rule("small", "gentle", max_balance=eur("1000.00"))

    assert verdict(rule, facts(item("I1", amount="1000.00"))) == (
        "rule 'small' matched: open balance 1,000.00 EUR <= 1,000.00 EUR"
    )
    assert verdict(rule, facts(item("I1", amount="1000.01"))) == (
        "rule 'small' did not match: open balance 1,000.01 EUR > 1,000.00 EUR"
    )


def test_a_customer_without_items_has_a_zero_balance() -> None:
    assert verdict(Rule("small", "gentle", max_balance=eur("1000.00")), facts()) == (
        "rule 'small' matched: open balance 0.00 EUR <= 1,000.00 EUR"
    )


def test_an_amount_finer_than_cents_is_shown_exactly_so_the_comparison_reads_true() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))

    assert verdict(rule, facts(item("I1", amount="9999.995"))) == (
        "rule 'big' did not match: open balance 9,999.995 EUR < 10,000.00 EUR"
    )


def test_a_balance_in_another_currency_does_not_reach_a_minimum_without_a_converter() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))
    customer = facts(item("I1", amount="2000.00"), item("I2", amount="30000.00", currency="USD"))

    assert verdict(rule, customer) == (
        "rule 'big' did not match: open balance 2,000.00 EUR < 10,000.00 EUR (30,000.00 USD not converted)"
    )


def test_a_customer_owing_only_another_currency_has_no_balance_in_the_threshold_currency() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))

    assert verdict(rule, facts(item("I1", amount="30000.00", currency="USD"))) == (
        "rule 'big' did not match: open balance 0.00 EUR < 10,000.00 EUR (30,000.00 USD not converted)"
    )


def test_owing_enough_in_the_threshold_currency_reaches_a_minimum_whatever_else_is_owed() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))
    customer = facts(item("I1", amount="12000.00"), item("I2", amount="5.00", currency="USD"))

    assert verdict(rule, customer) == "rule 'big' matched: open balance 12,000.00 EUR >= 10,000.00 EUR"


def test_a_balance_in_another_currency_fails_a_maximum_without_a_converter() -> None:
    rule = Rule("small", "gentle", max_balance=eur("1000.00"))
    customer = facts(item("I1", amount="100.00"), item("I2", amount="5.00", currency="USD"))

    assert verdict(rule, customer) == (
        "rule 'small' did not match: open balance includes 5.00 USD, "
        "which cannot be compared with 1,000.00 EUR without a converter"
    )


def test_a_currency_whose_items_net_to_zero_does_not_block_a_maximum() -> None:
    rule = Rule("small", "gentle", max_balance=eur("1000.00"))
    customer = facts(
        item("I1", amount="100.00"),
        item("I2", amount="50.00", currency="USD"),
        item("I3", amount="-50.00", currency="USD"),
    )

    assert verdict(rule, customer) == "rule 'small' matched: open balance 100.00 EUR <= 1,000.00 EUR"


def test_with_a_converter_every_currency_is_converted_and_summed() -> None:
    rule = Rule("big", "firm", min_balance=eur("10000.00"))
    customer = facts(item("I1", amount="2000.00"), item("I2", amount="10000.00", currency="USD"))

    result = assign(strategy(rule), customer, convert=to_eur_at_090)

    assert result.scenario_code == "firm"
    assert result.explanation == (
        "rule 'big' matched: open balance 11,000.00 EUR (10,000.00 USD converted) >= 10,000.00 EUR",
    )


def test_with_a_converter_a_maximum_can_hold_for_several_currencies() -> None:
    rule = Rule("small", "gentle", max_balance=eur("1000.00"))
    customer = facts(item("I1", amount="500.00"), item("I2", amount="100.00", currency="USD"))

    assert verdict(rule, customer, convert=to_eur_at_090) == (
        "rule 'small' matched: open balance 590.00 EUR (100.00 USD converted) <= 1,000.00 EUR"
    )


def test_the_converter_is_not_called_for_a_balance_in_the_threshold_currency() -> None:
    def refuse(amount: Money, currency: str) -> Money:
        raise AssertionError("no conversion expected")

    rule = Rule("big", "firm", min_balance=eur("10000.00"))

    assert assign(strategy(rule), facts(item("I1", amount="20000.00")), convert=refuse).scenario_code == "firm"


def test_the_converter_is_not_called_once_an_earlier_condition_has_failed() -> None:
    calls: list[Money] = []

    def recording(amount: Money, currency: str) -> Money:
        calls.append(amount)
        return to_eur_at_090(amount, currency)

    rule = Rule("big german", "firm", entities=frozenset({"DE01"}), min_balance=eur("10000.00"))
    customer = facts(item("I1", amount="20000.00", currency="USD"), entity="FR01")

    assign(strategy(rule), customer, convert=recording)

    assert calls == []


# Risk score


def test_risk_score_at_least() -> None:
    rule = Rule("risky", "firm", min_risk_score=Decimal("60"))

    assert verdict(rule, facts(risk="72.5")) == "rule 'risky' matched: risk score 72.5 >= 60"
    assert verdict(rule, facts(risk="40")) == "rule 'risky' did not match: risk score 40 < 60"


def test_risk_score_at_most() -> None:
    rule = Rule("safe", "gentle", max_risk_score=Decimal("20"))

    assert verdict(rule, facts(risk="20")) == "rule 'safe' matched: risk score 20 <= 20"
    assert verdict(rule, facts(risk="21")) == "rule 'safe' did not match: risk score 21 > 20"


@pytest.mark.parametrize(
    "rule",
    [
        Rule("risky", "firm", min_risk_score=Decimal("60")),
        Rule("risky", "firm", max_risk_score=Decimal("60")),
    ],
)
def test_a_rule_testing_risk_does_not_match_an_unknown_score(rule: Rule) -> None:
    assert verdict(rule, facts(risk=None)) == "rule 'risky' did not match: risk score unknown"


def test_facts_refuse_a_risk_score_outside_0_to_100() -> None:
    with pytest.raises(ValueError, match="risk_score must be a Decimal from 0 to 100"):
        facts(risk="100.01")


# Order and explanations


def test_the_first_matching_rule_wins_and_earlier_rules_say_why_they_did_not_match() -> None:
    rules = (
        Rule("keys", "key_account", customer_groups=frozenset({"key_account"})),
        Rule("very late", "firm", min_days_overdue=90),
        Rule("late", "standard", min_days_overdue=30),
        Rule("everyone", "gentle"),
    )
    customer = facts(item("I1", late=45), customer_group="retail")

    result = assign(strategy(*rules), customer)

    assert result == Assignment(
        "standard",
        "late",
        (
            "rule 'keys' did not match: customer group 'retail' is not 'key_account'",
            "rule 'very late' did not match: days overdue 45 < 90",
            "rule 'late' matched: days overdue 45 >= 30",
        ),
    )


def test_a_rule_that_did_not_match_reports_only_its_first_failing_condition() -> None:
    rule = Rule(
        "german and late", "firm", entities=frozenset({"DE01"}), min_days_overdue=30, min_risk_score=Decimal("50")
    )

    assert verdict(rule, facts(item("I1", late=3), entity="FR01")) == (
        "rule 'german and late' did not match: entity 'FR01' is not 'DE01'"
    )
    assert verdict(rule, facts(item("I1", late=3), entity="DE01")) == (
        "rule 'german and late' did not match: days overdue 3 < 30"
    )


def test_a_matching_rule_lists_every_condition_in_field_order() -> None:
    rule = Rule(
        "all of it",
        "firm",
        min_risk_score=Decimal("50"),
        max_days_overdue=60,
        min_days_overdue=30,
        min_balance=eur("100.00"),
        products=frozenset({"P-1"}),
        product_groups=frozenset({"steel"}),
        priorities=frozenset({"high"}),
        customer_groups=frozenset({"retail"}),
        entities=frozenset({"FR01"}),
    )
    customer = facts(
        item("I1", late=45, amount="500.00", product_group="steel", product="P-1"),
        customer_group="retail",
        priority="high",
        risk="55",
    )

    assert verdict(rule, customer) == (
        "rule 'all of it' matched: entity is 'FR01'; customer group is 'retail'; customer priority is 'high'; "
        "overdue item 'I1' has product group 'steel'; overdue item 'I1' has product 'P-1'; "
        "open balance 500.00 EUR >= 100.00 EUR; days overdue 45 >= 30; days overdue 45 <= 60; risk score 55 >= 50"
    )


def test_an_unconditional_rule_says_it_has_no_conditions() -> None:
    result = assign(strategy(Rule("everyone", "gentle")), facts())

    assert result == Assignment("gentle", "everyone", ("rule 'everyone' matched: it has no conditions",))


def test_the_default_applies_when_there_are_no_rules_and_says_so() -> None:
    assert assign(strategy(default="firm"), facts()) == Assignment(
        "firm", None, ("no rule matched: default scenario 'firm'",)
    )


def test_reassigning_on_fresh_facts_moves_the_customer() -> None:
    rules = (Rule("risky", "firm", min_risk_score=Decimal("70")),)
    before = facts(item("I1"), risk="40")
    # E.g. a broken promise lowers the customer's standing and raises the score.
    after = facts(item("I1"), risk="85")

    assert assign(strategy(*rules), before).scenario_code == "standard"
    assert assign(strategy(*rules), after).scenario_code == "firm"


# Validation


def test_a_rule_naming_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(StrategyError) as caught:
        strategy(Rule("harsh", "harsh_letters", min_days_overdue=30))

    assert str(caught.value) == "rule 'harsh', scenario_code: unknown scenario 'harsh_letters'"
    assert (caught.value.rule, caught.value.field, caught.value.index) == ("harsh", "scenario_code", 0)


def test_an_unknown_default_scenario_is_refused() -> None:
    with pytest.raises(StrategyError, match=r"^default_scenario: unknown scenario 'lenient'$"):
        strategy(default="lenient")


def test_known_scenarios_can_be_any_collection_of_codes() -> None:
    built = Strategy(rules=(Rule("a", "custom"),), default_scenario="standard", known_scenarios=["standard", "custom"])

    assert built.known_scenarios == frozenset({"standard", "custom"})


def test_duplicate_rule_names_are_refused() -> None:
    with pytest.raises(StrategyError) as caught:
        strategy(Rule("a", "firm", min_days_overdue=30), Rule("b", "firm"), Rule("a", "gentle"))

    assert str(caught.value) == "rule 'a', name: is already the name of rules[0]"
    assert caught.value.index == 2


def test_a_rule_after_an_unconditional_rule_is_unreachable() -> None:
    with pytest.raises(StrategyError) as caught:
        strategy(Rule("everyone", "gentle"), Rule("late", "firm", min_days_overdue=30))

    assert str(caught.value) == (
        "rule 'late': can never match: rule 'everyone' before it has no conditions and always matches"
    )


def test_an_unconditional_last_rule_is_allowed() -> None:
    built = strategy(Rule("late", "firm", min_days_overdue=30), Rule("everyone", "gentle"))

    assert [rule.is_unconditional for rule in built.rules] == [False, True]


def test_rules_must_be_a_tuple() -> None:
    with pytest.raises(StrategyError, match=r"^rules: must be a tuple$"):
        Strategy(rules=[], default_scenario="standard", known_scenarios=READY_MADE_SCENARIOS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        (
            {"min_days_overdue": 60, "max_days_overdue": 30},
            "rule 'r', min_days_overdue: must not be greater than max_days_overdue (60 > 30)",
        ),
        (
            {"min_balance": eur("5000.00"), "max_balance": eur("1000.00")},
            "rule 'r', min_balance: must not be greater than max_balance (5,000.00 EUR > 1,000.00 EUR)",
        ),
        (
            {"min_risk_score": Decimal("80"), "max_risk_score": Decimal("20")},
            "rule 'r', min_risk_score: must not be greater than max_risk_score (80 > 20)",
        ),
        (
            {"min_balance": eur("1000.00"), "max_balance": usd("5000.00")},
            "rule 'r', max_balance: must be in the currency of min_balance (EUR), got USD",
        ),
    ],
)
def test_a_minimum_above_its_maximum_is_refused(bounds: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError) as caught:
        Rule("r", "firm", **bounds)

    assert str(caught.value) == message


def test_equal_minimum_and_maximum_are_allowed() -> None:
    rule = Rule("exactly 30", "firm", min_days_overdue=30, max_days_overdue=30)

    assert verdict(rule, facts(item("I1", late=30))).startswith("rule 'exactly 30' matched")


@pytest.mark.parametrize("name", ["entities", "customer_groups", "priorities", "product_groups", "products"])
def test_an_empty_set_is_refused(name: str) -> None:
    empty: dict[str, Any] = {name: frozenset()}

    with pytest.raises(StrategyError) as caught:
        Rule("r", "firm", **empty)

    assert str(caught.value) == f"rule 'r', {name}: must not be empty (leave the condition out to match any)"
    assert caught.value.field == name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entities": {"FR01"}}, "rule 'r', entities: must be a frozenset"),
        ({"products": frozenset({" "})}, "rule 'r', products: values must be non-blank strings, got ' '"),
        ({"min_days_overdue": True}, "rule 'r', min_days_overdue: must be an integer"),
        ({"max_days_overdue": "30"}, "rule 'r', max_days_overdue: must be an integer"),
        ({"min_balance": Decimal("10")}, "rule 'r', min_balance: must be Money"),
        ({"min_risk_score": 50}, "rule 'r', min_risk_score: must be a Decimal"),
        ({"max_risk_score": Decimal("101")}, "rule 'r', max_risk_score: must be from 0 to 100, got 101"),
        ({"min_risk_score": Decimal("-1")}, "rule 'r', min_risk_score: must be from 0 to 100, got -1"),
    ],
)
def test_a_badly_typed_condition_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError) as caught:
        Rule("r", "firm", **kwargs)

    assert str(caught.value) == message


def test_a_blank_rule_name_is_refused() -> None:
    with pytest.raises(StrategyError, match=r"^rule ' ', name: must not be blank$"):
        Rule(" ", "firm")


# ItemFacts from the engine's Item


def engine_item(kind: str, *, excluded: bool = False) -> Item:
    return Item(
        item_id="X",
        number="INV-X",
        kind=kind,
        issue_date=date(2025, 5, 1),
        due_date=date(2025, 6, 1),
        open_amount=eur("250.00"),
        excluded=excluded,
    )


def test_item_facts_from_an_invoice_carry_its_product_data_and_take_part() -> None:
    facts_ = ItemFacts.from_item(engine_item("invoice"), product_group="steel", product="P-1", priority="high")

    assert facts_ == ItemFacts(
        item_id="X",
        due_date=date(2025, 6, 1),
        open_amount=eur("250.00"),
        product_group="steel",
        product="P-1",
        priority="high",
        excluded=False,
    )


@pytest.mark.parametrize(
    "source",
    [engine_item("invoice", excluded=True), engine_item("credit_note"), engine_item("unallocated_payment")],
)
def test_item_facts_from_what_the_engine_does_not_chase_are_excluded(source: Item) -> None:
    assert ItemFacts.from_item(source).excluded


# The default strategy


def test_the_default_strategy_uses_the_ready_made_scenarios() -> None:
    used = {rule.scenario_code for rule in DEFAULT_STRATEGY.rules} | {DEFAULT_STRATEGY.default_scenario}

    assert used == READY_MADE_SCENARIOS
    assert DEFAULT_STRATEGY.default_scenario == "standard"


def test_the_default_strategy_only_refers_to_scenarios_that_ship() -> None:
    assert builtin_scenarios().keys() >= READY_MADE_SCENARIOS


@pytest.mark.parametrize(
    ("customer", "scenario", "rule"),
    [
        # A key account stays personal even when large and very late.
        (facts(item("I1", late=90, amount="80000.00"), customer_group="key_account"), "key_account", None),
        (facts(item("I1", priority="high"), item("I2", late=2)), "key_account", "high priority"),
        (facts(item("I1", amount="50000.00")), "firm", "large balance"),
        (facts(item("I1", late=60, amount="5000.00")), "firm", "long overdue"),
        # Small but two months late: firm comes before gentle.
        (facts(item("I1", late=75, amount="800.00")), "firm", "long overdue"),
        (facts(item("I1", amount="800.00")), "gentle", "small balance"),
        (facts(item("I1", amount="5000.00")), "standard", None),
        # Owing only in USD: no EUR threshold applies without a converter.
        (facts(item("I1", amount="500.00", currency="USD")), "standard", None),
    ],
)
def test_the_default_strategy(customer: CustomerFacts, scenario: str, rule: str | None) -> None:
    result = assign(DEFAULT_STRATEGY, customer)

    assert result.scenario_code == scenario
    if rule is not None:
        assert result.rule_name == rule


def test_the_default_strategy_explains_a_firm_assignment() -> None:
    result = assign(DEFAULT_STRATEGY, facts(item("I1", amount="50000.00")))

    assert result.explanation == (
        "rule 'key account customers' did not match: customer group is not set (needs 'key_account')",
        "rule 'high priority' did not match: neither the customer's priority (none) "
        "nor any overdue item's priority is 'high'",
        "rule 'large balance' matched: open balance 50,000.00 EUR >= 50,000.00 EUR",
    )


# JSON storage

FULL_RULE = Rule(
    "everything",
    "firm",
    entities=frozenset({"FR01", "BE01"}),
    customer_groups=frozenset({"retail"}),
    priorities=frozenset({"high"}),
    product_groups=frozenset({"steel"}),
    products=frozenset({"P-2", "P-1"}),
    min_balance=eur("1000.00"),
    max_balance=eur("50000.50"),
    min_days_overdue=-5,
    max_days_overdue=90,
    min_risk_score=Decimal("12.5"),
    max_risk_score=Decimal("100"),
)


def test_a_strategy_is_stored_with_sorted_sets_and_decimals_as_strings() -> None:
    stored = strategy_to_dict(strategy(FULL_RULE, Rule("late", "standard", min_days_overdue=30)))

    assert stored == {
        "default_scenario": "standard",
        "rules": [
            {
                "name": "everything",
                "scenario_code": "firm",
                "entities": ["BE01", "FR01"],
                "customer_groups": ["retail"],
                "priorities": ["high"],
                "product_groups": ["steel"],
                "products": ["P-1", "P-2"],
                "min_balance": {"amount": "1000.00", "currency": "EUR"},
                "max_balance": {"amount": "50000.50", "currency": "EUR"},
                "min_days_overdue": -5,
                "max_days_overdue": 90,
                "min_risk_score": "12.5",
                "max_risk_score": "100",
            },
            {"name": "late", "scenario_code": "standard", "min_days_overdue": 30},
        ],
    }


@pytest.mark.parametrize(
    "original",
    [DEFAULT_STRATEGY, strategy(FULL_RULE, Rule("everyone", "gentle")), strategy(default="gentle")],
)
def test_a_strategy_survives_a_json_round_trip(original: Strategy) -> None:
    text = json.dumps(strategy_to_dict(original))

    assert strategy_from_dict(json.loads(text), READY_MADE_SCENARIOS) == original


def test_an_exponent_decimal_is_stored_in_plain_digits() -> None:
    rule = Rule("big", "firm", min_balance=Money(Decimal("1E+4"), "EUR"), min_risk_score=Decimal("5E+1"))

    stored = strategy_to_dict(strategy(rule))["rules"][0]

    assert stored["min_balance"] == {"amount": "10000", "currency": "EUR"}
    assert stored["min_risk_score"] == "50"


def test_an_integer_risk_score_and_amount_are_read_as_decimals() -> None:
    data = {
        "default_scenario": "standard",
        "rules": [
            {
                "name": "r",
                "scenario_code": "firm",
                "min_risk_score": 60,
                "min_balance": {"amount": 5, "currency": "EUR"},
            }
        ],
    }

    rule = strategy_from_dict(data, READY_MADE_SCENARIOS).rules[0]

    assert rule.min_risk_score == Decimal("60")
    assert isinstance(rule.min_risk_score, Decimal)
    assert rule.min_balance == eur("5")


def rules_data(*rules: object, default: str = "standard") -> dict[str, Any]:
    return {"default_scenario": default, "rules": list(rules)}


def r(name: str = "r", scenario_code: str = "firm", **conditions: Any) -> dict[str, Any]:
    return {"name": name, "scenario_code": scenario_code, **conditions}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "strategy: must be an object"),
        ({"rules": []}, "default_scenario: is required"),
        ({"default_scenario": 1, "rules": []}, "default_scenario: must be a string"),
        ({"default_scenario": "standard"}, "rules: is required"),
        ({"default_scenario": "standard", "rules": {}}, "rules: must be a list"),
        ({"default_scenario": "standard", "rules": [], "colour": "red"}, "colour: unknown field"),
        (rules_data("late"), "rules[0]: must be an object"),
        (rules_data({"scenario_code": "firm"}), "rules[0].name: is required"),
        (rules_data(r(min_days_overdu=30)), "rules[0].min_days_overdu: unknown field"),
        (rules_data(r("a"), r("b"), r("c", min_days_overdue="30")), "rules[2].min_days_overdue: must be an integer"),
        (rules_data(r(max_days_overdue=True)), "rules[0].max_days_overdue: must be an integer"),
        (rules_data(r(products="P-1")), "rules[0].products: must be a list of strings"),
        (rules_data(r(products=["P-1", 2])), "rules[0].products[1]: must be a non-blank string"),
        (
            rules_data(r(products=[])),
            "rules[0].products: must not be empty (leave the condition out to match any)",
        ),
        (
            rules_data(r(min_risk_score=60.5)),
            "rules[0].min_risk_score: must be a decimal written as a string, not a float",
        ),
        (rules_data(r(max_risk_score="NaN")), "rules[0].max_risk_score: not a decimal number: 'NaN'"),
        (rules_data(r(max_risk_score="150")), "rules[0].max_risk_score: must be from 0 to 100, got 150"),
        (rules_data(r(min_balance="100")), "rules[0].min_balance: must be an object"),
        (rules_data(r(min_balance={"currency": "EUR"})), "rules[0].min_balance.amount: is required"),
        (
            rules_data(r(min_balance={"amount": 100.5, "currency": "EUR"})),
            "rules[0].min_balance.amount: must be a decimal written as a string, not a float",
        ),
        (
            rules_data(r(min_balance={"amount": "1,000", "currency": "EUR"})),
            "rules[0].min_balance.amount: not a decimal number: '1,000'",
        ),
        (
            rules_data(r(min_balance={"amount": "100", "currency": "eur"})),
            "rules[0].min_balance.currency: currency must be a three-letter ISO 4217 code, got 'eur'",
        ),
        (
            rules_data(r(min_balance={"amount": "100", "currency": "EUR", "rate": "1"})),
            "rules[0].min_balance.rate: unknown field",
        ),
        (
            rules_data(r("a"), r("b", min_days_overdue=60, max_days_overdue=30)),
            "rules[1].min_days_overdue: must not be greater than max_days_overdue (60 > 30)",
        ),
        (rules_data(r(" ")), "rules[0].name: must not be blank"),
        (rules_data(r("a", min_days_overdue=1), r("a")), "rules[1].name: is already the name of rules[0]"),
        (rules_data(r(scenario_code="harsh")), "rules[0].scenario_code: unknown scenario 'harsh'"),
        (
            rules_data(r("everyone"), r("late", min_days_overdue=30)),
            "rules[1]: can never match: rule 'everyone' before it has no conditions and always matches",
        ),
        (rules_data(default="lenient"), "default_scenario: unknown scenario 'lenient'"),
    ],
)
def test_a_bad_stored_strategy_is_refused_naming_the_path(data: object, message: str) -> None:
    with pytest.raises(StrategyError) as caught:
        strategy_from_dict(data, READY_MADE_SCENARIOS)

    assert str(caught.value) == message

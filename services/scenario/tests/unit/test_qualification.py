from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_scenario.domain.engine import plan_actions
from opendso_scenario.domain.model import Channel, Customer, Item, Scenario, Step
from opendso_scenario.domain.qualification import (
    BUILT_IN_CODES,
    DEFAULT_CATALOGUE,
    FollowUp,
    ItemStatus,
    Qualification,
    QualificationProblem,
    Recipient,
    StatusCatalogue,
    StatusCatalogueError,
    StatusDefinition,
    apply_exclusions,
    catalogue_from_dicts,
    catalogue_to_dicts,
    excluded_items,
    qualification_key,
    qualify,
    removal_problems,
)

ON = date(2025, 3, 10)


def items(*ids: str, closed: tuple[str, ...] = ()) -> dict[str, ItemStatus]:
    return {i: ItemStatus(item_id=i, closed=i in closed) for i in ids}


def request(*item_ids: str, status: str = "dispute", comment: str = "wrong quantity", **kw: object) -> Qualification:
    base = Qualification(
        customer_id="C1",
        item_ids=item_ids,
        status_code=status,
        on=ON,
        comment=comment,
        owner=None,
        user="alice",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def definition(status_code: str, **kw: object) -> StatusDefinition:
    return replace(StatusDefinition(code=status_code, labels={"en": status_code}), **kw)  # type: ignore[arg-type]


# The shipped catalogue -----------------------------------------------------------------------------


def test_default_catalogue_has_the_documented_statuses_with_three_languages() -> None:
    codes = [d.code for d in DEFAULT_CATALOGUE]
    assert codes == [
        "dispute",
        "promise_to_pay",
        "payment_plan",
        "waiting_for_credit_note",
        "paid_directly_to_sales",
        "litigation",
        "do_not_chase",
        "with_call_centre",
        "debt_sold",
    ]
    for d in DEFAULT_CATALOGUE:
        assert set(d.labels) == {"en", "fr", "de"}, d.code


def test_default_catalogue_effects() -> None:
    dispute = DEFAULT_CATALOGUE["dispute"]
    assert dispute.is_dispute and dispute.excludes_from_scenario and dispute.requires_comment
    assert dispute.resolution_owner == "sales"
    assert dispute.sends_confirmation == "dispute_acknowledgement"
    assert dispute.follow_up == FollowUp("internal_task", 7)
    assert DEFAULT_CATALOGUE["promise_to_pay"].closes_on_payment
    assert DEFAULT_CATALOGUE["promise_to_pay"].follow_up is None
    assert not DEFAULT_CATALOGUE["litigation"].is_dispute
    assert DEFAULT_CATALOGUE["do_not_chase"].requires_comment
    assert [d.code for d in DEFAULT_CATALOGUE if d.is_dispute] == ["dispute"]


def test_label_falls_back_to_english_then_any_then_code() -> None:
    assert DEFAULT_CATALOGUE["dispute"].label("fr") == "Litige"
    assert DEFAULT_CATALOGUE["dispute"].label("it") == "Dispute"
    assert StatusDefinition("x", {"fr": "Truc", "de": "Ding"}).label("it") == "Ding"
    assert StatusDefinition("x", {}).label("en") == "x"


def test_labels_cannot_be_changed_after_construction() -> None:
    labels = {"en": "Dispute"}
    d = StatusDefinition("dispute", labels)
    labels["en"] = "changed"
    assert d.label("en") == "Dispute"
    with pytest.raises(TypeError):
        d.labels["en"] = "x"  # type: ignore[index]


# Catalogue validation ------------------------------------------------------------------------------


def test_duplicate_codes_are_refused() -> None:
    with pytest.raises(StatusCatalogueError, match="'dispute': code: is used twice") as exc:
        StatusCatalogue((definition("dispute"), definition("dispute")))
    assert [(p.status_code, p.field) for p in exc.value.problems] == [("dispute", "code")]


def test_negative_delay_and_unknown_action_type_are_refused_together() -> None:
    with pytest.raises(StatusCatalogueError) as exc:
        StatusCatalogue(
            (
                definition("a", follow_up=FollowUp("fax", 2)),
                definition("b", follow_up=FollowUp("email", -1)),
            )
        )
    problems = [(p.status_code, p.field, p.message) for p in exc.value.problems]
    assert problems[0][:2] == ("a", "follow_up") and "unknown action type 'fax'" in problems[0][2]
    assert problems[1] == ("b", "follow_up", "delay_days must be >= 0, got -1")


def test_zero_delay_and_every_channel_are_accepted() -> None:
    catalogue = StatusCatalogue(
        tuple(
            definition(f"s_{a}", follow_up=FollowUp(a, 0))
            for a in ("email", "sms", "letter", "phone_call", "internal_task")
        )
    )
    assert len(catalogue) == 5


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"resolution_owner": "janitor"}, "resolution_owner"),
        ({"labels": {}}, "labels"),
        ({"labels": {"en": " "}}, "labels"),
        ({"sends_confirmation": ""}, "sends_confirmation"),
        ({"code": " x"}, "code"),
        ({"code": ""}, "code"),
    ],
)
def test_bad_definition_fields_are_named(kw: dict[str, object], field: str) -> None:
    with pytest.raises(StatusCatalogueError) as exc:
        StatusCatalogue((definition("x", **kw),))
    assert [p.field for p in exc.value.problems] == [field]


def test_catalogue_lookup() -> None:
    assert "dispute" in DEFAULT_CATALOGUE
    assert "nope" not in DEFAULT_CATALOGUE
    assert DEFAULT_CATALOGUE.get("nope") is None
    with pytest.raises(KeyError):
        DEFAULT_CATALOGUE["nope"]


# qualify -------------------------------------------------------------------------------------------


def test_qualify_sets_statuses_follow_up_and_confirmation() -> None:
    result = qualify(items("i1", "i2", "i3"), request("i1", "i2"))
    assert result.ok
    assert [s.item_id for s in result.statuses] == ["i1", "i2"]
    for s in result.statuses:
        assert (s.status_code, s.since, s.comment, s.owner, s.set_by) == (
            "dispute",
            ON,
            "wrong quantity",
            "sales",
            "alice",
        )
    assert result.follow_up is not None
    assert result.follow_up.action == "internal_task"
    assert result.follow_up.due_on == date(2025, 3, 17)
    assert result.follow_up.item_ids == ("i1", "i2")
    assert result.follow_up.owner == "sales"
    assert result.confirmation is not None
    assert result.confirmation.template == "dispute_acknowledgement"
    assert result.confirmation.recipient is Recipient.CUSTOMER


def test_request_owner_overrides_the_status_owner() -> None:
    result = qualify(items("i1"), request("i1", owner="bob"))
    assert result.statuses[0].owner == "bob"
    assert result.follow_up is not None and result.follow_up.owner == "bob"


def test_follow_up_due_date_crosses_month_end() -> None:
    result = qualify(items("i1"), request("i1", status="litigation", on=date(2024, 2, 15)))
    assert result.follow_up is not None
    assert result.follow_up.due_on == date(2024, 3, 16)  # 30 days, 2024 is a leap year


def test_a_specific_action_replaces_the_status_follow_up() -> None:
    result = qualify(items("i1"), request("i1", action=FollowUp("phone_call", 2)))
    assert result.follow_up is not None
    assert (result.follow_up.action, result.follow_up.due_on) == ("phone_call", date(2025, 3, 12))


def test_a_status_without_follow_up_or_confirmation_creates_neither() -> None:
    result = qualify(items("i1"), request("i1", status="do_not_chase"))
    assert result.ok
    assert result.follow_up is None
    assert result.confirmation is None


def test_confirmation_can_be_skipped_or_sent_internally() -> None:
    assert qualify(items("i1"), request("i1", confirm_to=None)).confirmation is None
    internal = qualify(items("i1"), request("i1", confirm_to=Recipient.OWNER)).confirmation
    assert internal is not None
    assert internal.recipient is Recipient.OWNER and internal.owner == "sales"


def test_duplicate_item_ids_are_qualified_once() -> None:
    result = qualify(items("i1", "i2"), request("i2", "i1", "i2"))
    assert [s.item_id for s in result.statuses] == ["i2", "i1"]


def test_requalifying_replaces_the_previous_status() -> None:
    current = {"i1": ItemStatus("i1", "dispute", date(2025, 1, 1), "old", "sales", "bob")}
    result = qualify(current, request("i1", status="promise_to_pay", comment=""))
    assert result.statuses == (ItemStatus("i1", "promise_to_pay", ON, "", "collector", "alice"),)


def test_keys_are_deterministic_and_ignore_item_order() -> None:
    a = qualify(items("i1", "i2"), request("i1", "i2"))
    b = qualify(items("i1", "i2"), request("i2", "i1"))
    assert a.follow_up is not None and b.follow_up is not None
    assert a.follow_up.key == b.follow_up.key
    assert a.follow_up.key == qualification_key("C1", "dispute", ON, ["i2", "i1"]) + ":follow_up"
    assert a.confirmation is not None and b.confirmation is not None
    assert a.confirmation.key == b.confirmation.key != a.follow_up.key
    other_day = qualify(items("i1", "i2"), request("i1", "i2", on=date(2025, 3, 11)))
    assert other_day.follow_up is not None and other_day.follow_up.key != a.follow_up.key
    other_items = qualify(items("i1", "i2"), request("i1"))
    assert other_items.follow_up is not None and other_items.follow_up.key != a.follow_up.key


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (request("zz"), [QualificationProblem("item_ids", "unknown item", "zz")]),
        (request("i3"), [QualificationProblem("item_ids", "item is closed", "i3")]),
        (request("i1", status="nope"), [QualificationProblem("status_code", "unknown status 'nope'")]),
        (request("i1", comment="  "), [QualificationProblem("comment", "status 'dispute' requires a comment")]),
        (request(), [QualificationProblem("item_ids", "select at least one item")]),
        (request("i1", user=""), [QualificationProblem("user", "must not be blank")]),
        (request("i1", customer_id=" "), [QualificationProblem("customer_id", "must not be blank")]),
    ],
)
def test_validation_problems_name_the_field_and_item(req: Qualification, expected: list[QualificationProblem]) -> None:
    result = qualify(items("i1", "i2", "i3", closed=("i3",)), req)
    assert not result.ok
    assert list(result.problems) == expected
    # All or nothing: nothing to store nor create.
    assert result.statuses == () and result.follow_up is None and result.confirmation is None


def test_one_bad_item_blocks_the_whole_qualification_and_all_problems_are_reported() -> None:
    result = qualify(items("i1", "i3", closed=("i3",)), request("i1", "i3", "zz", comment=""))
    assert result.statuses == ()
    assert [(p.field, p.item_id) for p in result.problems] == [
        ("item_ids", "i3"),
        ("item_ids", "zz"),
        ("comment", None),
    ]
    assert str(result.problems[0]) == "item_ids[i3]: item is closed"


def test_a_status_without_required_comment_accepts_an_empty_one() -> None:
    assert qualify(items("i1"), request("i1", status="promise_to_pay", comment="")).ok


def test_a_bad_specific_action_is_reported_on_the_action_field() -> None:
    result = qualify(items("i1"), request("i1", action=FollowUp("telegram", -2)))
    assert [p.field for p in result.problems] == ["action", "action"]


def test_a_custom_catalogue_is_used() -> None:
    catalogue = StatusCatalogue((definition("call_back", follow_up=FollowUp("phone_call", 1)),))
    assert qualify(items("i1"), request("i1", status="call_back"), catalogue).ok
    assert not qualify(items("i1"), request("i1", status="dispute"), catalogue).ok


# Exclusion -----------------------------------------------------------------------------------------


def test_excluded_items_follow_the_status_effect() -> None:
    catalogue = StatusCatalogue(
        (definition("dispute", excludes_from_scenario=True), definition("called", excludes_from_scenario=False))
    )
    statuses = {
        "a": ItemStatus("a", "dispute"),
        "b": ItemStatus("b", "called"),
        "c": ItemStatus("c"),
        "d": ItemStatus("d", "deleted_status"),
    }
    # An unknown status excludes: not chasing by mistake is the safer error.
    assert excluded_items(statuses, catalogue) == {"a", "d"}
    assert excluded_items(list(statuses.values()), catalogue) == {"a", "d"}


def test_apply_exclusions_keeps_the_engine_off_disputed_items() -> None:
    def inv(item_id: str, due: date) -> Item:
        return Item(item_id, f"INV-{item_id}", "invoice", date(2025, 1, 1), due, Money(Decimal("100.00"), "EUR"))

    old, newer = inv("old", date(2025, 2, 1)), inv("new", date(2025, 2, 20))
    scenario = Scenario("s", "S", (Step("reminder", 1, Channel.EMAIL, "t", True),))
    result = qualify(items("old", "new"), request("old"))
    marked = apply_exclusions([old, newer], result.statuses)
    assert [i.excluded for i in marked] == [True, False]
    actions = plan_actions(Customer("C1", "FR01", "411", "Dupont", "fr", marked), scenario, ON, [])
    assert [a.leader_item_id for a in actions] == ["new"]
    # An exclusion already set (e.g. by a payment plan) is never cleared.
    assert apply_exclusions([replace(newer, excluded=True)], {})[0].excluded


def test_the_stored_form_reads_back_to_the_same_catalogue() -> None:
    data = catalogue_to_dicts(DEFAULT_CATALOGUE)
    assert data[0]["follow_up"] == {"action": "internal_task", "delay_days": 7}
    assert catalogue_from_dicts(data) == DEFAULT_CATALOGUE
    assert {d.code for d in DEFAULT_CATALOGUE} >= BUILT_IN_CODES


def test_the_stored_form_names_every_malformed_status_and_field() -> None:
    with pytest.raises(StatusCatalogueError) as exc:
        catalogue_from_dicts(
            [
                {"code": "a", "labels": {"en": "A"}, "follow_up": {"action": "email"}},
                {"code": "b", "labels": {"en": "B"}, "is_dispute": "yes"},
                {"code": "c", "labels": ["C"]},
                "d",
                {"code": "e", "labels": {"en": "E"}, "follow_up": {"action": "fax", "delay_days": 1}},
            ]
        )
    assert [(p.status_code, p.field) for p in exc.value.problems] == [
        ("a", "follow_up"),
        ("b", "is_dispute"),
        ("c", "labels"),
        ("#3", "status"),
        ("e", "follow_up"),
    ]
    with pytest.raises(StatusCatalogueError, match="statuses: expected a list"):
        catalogue_from_dicts({"code": "a"})


def test_removing_a_status_is_refused_while_items_hold_it_or_the_service_sets_it() -> None:
    smaller = StatusCatalogue(tuple(d for d in DEFAULT_CATALOGUE if d.code not in ("do_not_chase", "litigation")))
    problems = removal_problems(DEFAULT_CATALOGUE, smaller, {"do_not_chase": 2, "dispute": 5})
    assert [(p.status_code, p.field) for p in problems] == [("litigation", "code"), ("do_not_chase", "code")]
    assert "2 items still hold this status" in problems[1].message
    assert removal_problems(DEFAULT_CATALOGUE, smaller, {}) == problems[:1]
    assert removal_problems(smaller, DEFAULT_CATALOGUE, {"do_not_chase": 2}) == []

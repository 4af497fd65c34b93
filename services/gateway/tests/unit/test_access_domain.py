"""The permission table, data scope, confidential fields and rate limits, as pure rules."""

from __future__ import annotations

import datetime as dt

import pytest
from opendso_gateway.domain.access import (
    CONFIDENTIAL,
    PERMISSIONS,
    Action,
    Feature,
    Principal,
    Role,
    Scope,
    ScopeTooWide,
    entity_of,
    permitted,
    roles_without,
    timeline_entry_without_comment,
    without_confidential,
)
from opendso_gateway.domain.ratelimit import RateLimiter
from opendso_gateway.domain.users import RefreshRecord, RefreshVerdict, judge_refresh, password_problem


def test_every_feature_has_a_row_and_writers_may_also_read() -> None:
    assert set(PERMISSIONS) == set(Feature)
    for feature, (readers, writers) in PERMISSIONS.items():
        assert writers <= readers, f"{feature}: a writer who cannot read"


def test_only_admins_manage_users_and_read_the_audit() -> None:
    for feature in (Feature.USERS, Feature.AUDIT):
        assert [r for r in Role if permitted(r, feature, Action.READ)] == [Role.ADMIN]
    assert roles_without(Feature.USERS, Action.WRITE) == [r for r in Role if r is not Role.ADMIN]


def test_a_partner_reaches_nothing_but_its_own_profile_until_the_partner_api() -> None:
    reachable = {f for f in Feature for a in Action if permitted(Role.PARTNER, f, a)}
    assert reachable == {Feature.PROFILE}


def test_read_only_users_change_nothing() -> None:
    assert not any(permitted(Role.READ_ONLY, f, Action.WRITE) for f in Feature)
    assert permitted(Role.READ_ONLY, Feature.AGENDA, Action.READ)


def test_collectors_work_the_agenda_but_do_not_edit_scenarios_or_escalate() -> None:
    assert permitted(Role.COLLECTOR, Feature.AGENDA, Action.WRITE)
    assert permitted(Role.COLLECTOR, Feature.CASH_APPLICATION, Action.WRITE)
    assert not permitted(Role.COLLECTOR, Feature.SCENARIOS, Action.WRITE)
    assert not permitted(Role.COLLECTOR, Feature.ESCALATIONS, Action.WRITE)


def test_sales_qualify_items_but_do_not_act_on_the_agenda() -> None:
    assert permitted(Role.SALES, Feature.QUALIFICATIONS, Action.WRITE)
    assert not permitted(Role.SALES, Feature.AGENDA, Action.WRITE)


def test_imports_need_a_user_whose_scope_is_every_entity() -> None:
    group = Principal("u", "m@x.io", Role.CREDIT_MANAGER)
    france = Principal("u", "m@x.io", Role.CREDIT_MANAGER, Scope(entities=frozenset({"FR01"})))
    assert group.may(Feature.IMPORTS, Action.WRITE)
    assert not france.may(Feature.IMPORTS, Action.WRITE) and not france.may(Feature.IMPORTS, Action.READ)
    assert france.may(Feature.AGENDA, Action.READ)


def test_a_list_filters_on_the_entity_asked_or_the_scopes_only_one() -> None:
    everything = Scope()
    france = Scope(entities=frozenset({"FR01"}))
    two = Scope(entities=frozenset({"FR01", "DE01"}))
    assert everything.entity_filter("") == "" and everything.entity_filter("DE01") == "DE01"
    assert france.entity_filter("") == "FR01" and france.entity_filter("FR01") == "FR01"
    assert france.entity_filter("DE01") is None
    assert two.entity_filter("DE01") == "DE01"
    with pytest.raises(ScopeTooWide, match="DE01, FR01"):
        two.entity_filter("")
    assert Scope(entities=frozenset()).entity_filter("") is None


def test_ids_belong_to_the_entity_they_start_with() -> None:
    france = Scope(entities=frozenset({"FR01"}))
    assert entity_of("FR01/invoice/F-1") == "FR01" and entity_of("no-slash") == ""
    assert france.has_id("FR01/C1") and not france.has_id("DE01/C1") and not france.has_id("C1")


def test_a_portfolio_is_a_collectors_name_whatever_its_case() -> None:
    assert Scope(portfolio="Claire").in_portfolio(" claire ")
    assert not Scope(portfolio="claire").in_portfolio("zoe")
    assert not Scope(portfolio="claire").in_portfolio("")
    assert Scope().in_portfolio("anyone")


def test_confidential_fields_are_left_out_for_sales_and_kept_for_collectors() -> None:
    customer = {"name": "Dupont", "credit_limit": "50000", "collector": "claire"}
    assert without_confidential("customer", customer, Role.COLLECTOR) == customer
    assert without_confidential("customer", customer, Role.SALES) == {"name": "Dupont", "collector": "claire"}
    assert without_confidential("task", {"task_id": "t", "comment": "rude"}, Role.READ_ONLY) == {"task_id": "t"}
    assert "credit_limit" in CONFIDENTIAL["customer"]


def test_a_timeline_entry_loses_its_comment_in_detail_and_summary() -> None:
    # The summary as the reporting service writes it: the comment quoted at its end.
    entry = {
        "kind": "item.qualified",
        "summary": 'F-1 put in status dispute by anna: "Customer says: "wrong price" again"',
        "detail": {"status": "dispute", "comment": 'Customer says: "wrong price" again'},
    }
    shown = timeline_entry_without_comment(entry, Role.SALES)
    assert shown["summary"] == "F-1 put in status dispute by anna"
    assert shown["detail"] == {"status": "dispute"}
    assert timeline_entry_without_comment(entry, Role.CREDIT_MANAGER) == entry


def test_a_timeline_summary_that_does_not_end_with_the_comment_is_replaced_by_its_kind() -> None:
    entry = {"kind": "task.performed", "summary": "odd wording with the secret inside", "detail": {"comment": "secret"}}
    assert timeline_entry_without_comment(entry, Role.READ_ONLY)["summary"] == "task.performed"


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    limiter = RateLimiter(burst=3, per_second=0.5)
    assert [limiter.take("u", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("u", 0.0) == pytest.approx(2.0)
    assert limiter.take("other", 0.0) == 0.0
    assert limiter.wait("u", 1.0) == pytest.approx(1.0)
    assert limiter.take("u", 2.0) == 0.0
    assert limiter.take("u", 2.0) == pytest.approx(2.0)
    # Refill stops at the burst.
    assert [limiter.take("u", 100.0) for _ in range(4)][-1] > 0


def test_a_bucket_forgets_the_least_recent_keys_beyond_its_size() -> None:
    limiter = RateLimiter(burst=1, per_second=0.001, max_keys=2)
    limiter.take("a", 0.0)
    limiter.take("b", 0.0)
    limiter.take("c", 0.0)
    # "a" was dropped: it starts full again, while "c" is still spent.
    assert limiter.take("a", 0.0) == 0.0
    assert limiter.take("c", 0.0) > 0


def test_a_refresh_token_is_judged_revoked_then_reused_then_expired() -> None:
    now = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    token = RefreshRecord("h", "f", "u", now, now + dt.timedelta(days=1))
    assert judge_refresh(token, now) is RefreshVerdict.VALID
    assert judge_refresh(None, now) is RefreshVerdict.UNKNOWN
    assert judge_refresh(token, now + dt.timedelta(days=2)) is RefreshVerdict.EXPIRED
    used = RefreshRecord("h", "f", "u", now, now, used_at=now)
    assert judge_refresh(used, now + dt.timedelta(days=2)) is RefreshVerdict.REUSED
    revoked = RefreshRecord("h", "f", "u", now, now, used_at=now, revoked_at=now)
    assert judge_refresh(revoked, now) is RefreshVerdict.REVOKED


def test_weak_passwords_are_refused() -> None:
    assert password_problem("short") is not None
    assert password_problem("changeme-please-now") is not None
    assert password_problem("aaaaaaaaaaaaaaaa") is not None
    assert password_problem("x" * 300) is not None
    assert password_problem("plum-orbit-47-lantern") is None

"""Portal links (the format the messaging service mints with) and the portal's pure rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from opendso_contracts.portal_links import PortalLink, PortalLinkError, PortalLinks, PortalPurpose, debtor_link
from opendso_gateway.domain.portal import IdempotencyConflict, Replays, dispute_comment, open_totals

SECRET = "portal-domain-tests-only-7d3e9a1c5b2f4e60"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def test_a_minted_link_reads_back_until_it_expires() -> None:
    links = PortalLinks(SECRET)
    token = links.mint(debtor_link("FR1", "C 1/é", NOW))
    link = links.read(token, NOW + dt.timedelta(days=29))
    assert (link.entity, link.account_number, link.purpose, link.customer_id) == (
        "FR1",
        "C 1/é",
        PortalPurpose.DEBTOR,
        "FR1/C 1/é",
    )
    assert link.expires_at == NOW + dt.timedelta(days=30)
    with pytest.raises(PortalLinkError, match="expired"):
        links.read(token, NOW + dt.timedelta(days=30))


def test_a_token_is_url_safe() -> None:
    token = PortalLinks(SECRET).mint(debtor_link("FR1", "C1/?&#", NOW))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_an_internal_link_names_its_item() -> None:
    links = PortalLinks(SECRET)
    link = PortalLink("FR1", "C1", NOW + dt.timedelta(days=1), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/9")
    assert links.read(links.mint(link), NOW) == link


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.", ".abc", "é.é", "a.b.c"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(PortalLinkError):
        PortalLinks(SECRET).read(token, NOW)


def test_a_token_of_another_secret_is_refused() -> None:
    token = PortalLinks("x" * 8 + SECRET).mint(debtor_link("FR1", "C1", NOW))
    with pytest.raises(PortalLinkError, match="signature"):
        PortalLinks(SECRET).read(token, NOW)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="fewer than 32"):
        PortalLinks("short")


def test_totals_are_per_currency() -> None:
    amounts = [(Decimal("1.10"), "EUR"), (Decimal("5"), "CHF"), (Decimal("2.05"), "EUR")]
    assert open_totals(amounts) == {"CHF": Decimal("5"), "EUR": Decimal("3.15")}


def test_a_dispute_comment_names_the_reason_first() -> None:
    assert dispute_comment("already_paid", "  ") == "Disputed from the portal: Already paid"
    assert dispute_comment("other", "Late delivery") == "Disputed from the portal: Other. Late delivery"


def test_replays_keep_answers_per_key_and_refuse_another_request() -> None:
    replays = Replays(capacity=2)
    replays.keep("c", "k1", "f1", {"a": 1})
    assert replays.get("c", "k1", "f1") == {"a": 1}
    assert replays.get("other", "k1", "f1") is None
    with pytest.raises(IdempotencyConflict):
        replays.get("c", "k1", "f2")
    replays.keep("c", "k2", "f", {})
    replays.keep("c", "k3", "f", {})
    assert replays.get("c", "k1", "f1") is None

"""#PortalLink is a signed link the gateway's portal reads back as this customer's page, expiring in time."""

from __future__ import annotations

import datetime as dt

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_contracts.portal_links import PortalLinks, PortalPurpose
from opendso_messaging.handlers import Deps, portal_link

SECRET = "messaging-portal-tests-only-5e2a9c1d7b3f40"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def deps(links: PortalLinks | None) -> Deps:
    return Deps(
        sender="ar@acme.example",
        company_name="Acme",
        collector_name="Anna",
        collector_email="anna@acme.example",
        portal_base_url="https://dso.acme.example/portal",
        now=lambda: NOW,
        portal_links=links,
        portal_link_lifetime=dt.timedelta(days=10),
    )


def test_the_portal_link_opens_the_commands_customer_until_it_expires() -> None:
    links = PortalLinks(SECRET)
    url = portal_link(msg.SendMessage(customer_id="FR1/C/42", account_number="C/42"), deps(links))
    base, _, token = url.rpartition("/")
    assert base == "https://dso.acme.example/portal"
    link = links.read(token, NOW + dt.timedelta(days=9))
    assert (link.entity, link.account_number, link.purpose) == ("FR1", "C/42", PortalPurpose.DEBTOR)
    assert link.expires_at == NOW + dt.timedelta(days=10)


def test_without_a_secret_the_link_is_the_plain_customer_page() -> None:
    url = portal_link(msg.SendMessage(customer_id="FR1/C1"), deps(None))
    assert url == "https://dso.acme.example/portal/FR1/C1"

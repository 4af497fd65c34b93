"""Response examples of the main read routes, for the OpenAPI document: what a credit manager would see for
one customer, Dupont SARL (FR01/C00042), with two overdue invoices.

Written out rather than computed, so that the document reads as a plain example. The document drops every null
of an example, so a key that may be null is given a value (in one element of a list at least).
tests/unit/test_openapi_examples.py calls each route on representative replies of the services and fails when
an example's keys differ from the answer's: the examples cannot drift from the serializers.
"""

from __future__ import annotations

from typing import Any


def ok(example: Any) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route whose 200 answer is JSON like ``example``."""
    return {200: {"content": {"application/json": {"example": example}}}}


# GET /api/v1/agenda
AGENDA: Any = {
    "items": [
        {
            "task_id": "6d0c3f1e-5b7a-4c2e-9f10-2a8b4e7d9c01",
            "customer_id": "FR01/C00042",
            "entity": "FR01",
            "account_number": "C00042",
            "customer_name": "Dupont SARL",
            "scenario": "standard",
            "step": "call",
            "channel": "phone_call",
            "automatic": False,
            "status": "open",
            "due_on": "2026-11-25",
            "leader_item_id": "FR01/invoice/F-2026-0042",
            "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
            "totals": [{"amount": "3480.50", "currency": "EUR"}],
            "days_overdue": 26,
            "collector": "c.martin",
            "amount": "3480.50",
            "updated_by": "c.martin@acme-industries.fr",
            "comment": "Ask for the AP contact's new e-mail address",
            "send_at": "2026-11-25T08:00:00Z",
        }
    ],
    "total": 37,
    "next_page_token": "eyJvZmZzZXQiOjUwfQ",
}

# GET /api/v1/customers/{entity}/{account_number}
CUSTOMER_ACCOUNT: Any = {
    "customer": {
        "customer_id": "FR01/C00042",
        "entity": "FR01",
        "account_number": "C00042",
        "name": "Dupont SARL",
        "email": "compta@dupont-sarl.fr",
        "language": "fr",
        "country": "FR",
        "contact_name": "Sophie Leroy",
        "customer_group": "SMB",
        "sector": "Food wholesale",
        "collector": "c.martin",
        "sales_rep": "p.bernard",
        "credit_limit": "50000.00",
        "address": {"street": "12 rue des Entrepreneurs", "postal_code": "69007", "city": "Lyon"},
        "parent_account": "G00007",
        "preferred_channel": "email",
    },
    "contacts": [
        {
            "name": "Sophie Leroy",
            "email": "s.leroy@dupont-sarl.fr",
            "phone": "+33 4 72 10 20 30",
            "role": "collection",
            "language": "fr",
        }
    ],
    "items": [
        {
            "item_id": "FR01/invoice/F-2026-0042",
            "number": "F-2026-0042",
            "kind": "invoice",
            "issue_date": "2026-09-30",
            "due_date": "2026-10-30",
            "amount": {"amount": "1250.00", "currency": "EUR"},
            "open_amount": {"amount": "1250.00", "currency": "EUR"},
            "reference": "PO 4500123987",
            "product_group": "Packaging",
            "product": "Pallet wrap 23 µm",
            "priority": "high",
        },
        {
            "item_id": "FR01/invoice/F-2026-0057",
            "number": "F-2026-0057",
            "kind": "invoice",
            "issue_date": "2026-10-15",
            "due_date": "2026-11-14",
            "amount": {"amount": "2230.50", "currency": "EUR"},
            "open_amount": {"amount": "2230.50", "currency": "EUR"},
            "reference": "PO 4500123987",
            "product_group": "Packaging",
            "product": "Pallet wrap 23 µm",
            "priority": "high",
        },
    ],
}

# GET /api/v1/customers/{entity}/{account_number}/timeline?item=FR01/invoice/F-2026-0042
TIMELINE: Any = {
    "customer_id": "FR01/C00042",
    "item_id": "FR01/invoice/F-2026-0042",
    "entries": [
        {
            "id": "tl-000187",
            "occurred_at": "2026-11-02T07:31:12Z",
            "kind": "message.sent",
            "actor": "scenario:standard",
            "actor_type": "system",
            "summary": "E-mail first_reminder sent to compta@dupont-sarl.fr",
            "item_ids": ["FR01/invoice/F-2026-0042"],
            "detail": {"channel": "email", "template": "first_reminder", "recipient": "compta@dupont-sarl.fr"},
            "event_id": "0b8f6a52-3c1d-4e0a-9d77-5e2f1c9a8b34",
        }
    ],
    "next_page_token": "eyJiZWZvcmUiOiJ0bC0wMDAxODcifQ",
}

# GET /api/v1/reports/aging
AGING: Any = {
    "as_of": "2026-11-25",
    "entity": "FR01",
    "currencies": [
        {
            "currency": "EUR",
            "buckets": [{"label": "1-30", "amount": {"amount": "41250.00", "currency": "EUR"}, "count": 23}],
            "total": {"amount": "223650.00", "currency": "EUR"},
            "overdue": {"amount": "41250.00", "currency": "EUR"},
            "percent_overdue": "18.44",
        }
    ],
}

# GET /api/v1/reports/aging-balance
AGING_BALANCE: Any = {
    "header": {
        "as_of": "2026-11-25",
        "level": "entity",
        "currency_mode": "entity",
        "problems": ["DE01: 3 items in CHF without a rate on 2026-11-25"],
        "next_page_token": "eyJvZmZzZXQiOjUwfQ",
        "group_currency": "EUR",
    },
    "rows": [
        {
            "key": "FR01",
            "label": "Acme Industries France SAS",
            "currency": "EUR",
            "buckets": [
                {"label": "not due", "amount": {"amount": "182400.00", "currency": "EUR"}, "count": 96},
                {"label": "1-30", "amount": {"amount": "41250.00", "currency": "EUR"}, "count": 23},
            ],
            "total": {"amount": "223650.00", "currency": "EUR"},
            "overdue": {"amount": "41250.00", "currency": "EUR"},
            "percent_overdue": "18.44",
            "count": 119,
        }
    ],
}

# GET /api/v1/reports/dso
DSO: Any = {
    "header": {
        "as_of": "2026-11-25",
        "level": "entity",
        "currency_mode": "entity",
        "problems": ["DE01: 3 items in CHF without a rate on 2026-11-25"],
        "next_page_token": "eyJvZmZzZXQiOjUwfQ",
        "group_currency": "EUR",
    },
    "rows": [
        {
            "key": "FR01",
            "label": "Acme Industries France SAS",
            "currency": "EUR",
            "receivables": {"amount": "223650.00", "currency": "EUR"},
            "period_sales": {"amount": "412800.00", "currency": "EUR"},
            "period_days": 90,
            "simple_dso": "48.8",
            "countback_dso": "46.2",
            "countback": [
                {
                    "start": "2026-11-01",
                    "end": "2026-11-25",
                    "sales": {"amount": "118300.00", "currency": "EUR"},
                    "days": "25",
                }
            ],
            "countback_exhausted": False,
        }
    ],
}

# GET /api/v1/outbox
OUTBOX: Any = {
    "items": [
        {
            "message_id": "msg-2026-11-02-000731",
            "customer_id": "FR01/C00042",
            "recipient": "compta@dupont-sarl.fr",
            "subject": "Relance : factures échues, compte C00042",
            "sent_at": "2026-11-02T07:31:12Z",
            "text": "Bonjour Sophie Leroy,\n\nSauf erreur de notre part, les factures suivantes restent impayées...",
            "file": "outbox/2026-11-02/msg-2026-11-02-000731.eml",
            "state": "unknown",
            "last_error": "SMTP timeout after 30 s; the provider may have taken the message",
        }
    ]
}

# GET /api/v1/mobile/customers/{entity}/{account_number}
MOBILE_ACCOUNT_SUMMARY: Any = {
    "customer": {
        "customer_id": "FR01/C00042",
        "entity": "FR01",
        "account_number": "C00042",
        "name": "Dupont SARL",
        "email": "compta@dupont-sarl.fr",
        "language": "fr",
        "country": "FR",
        "contact_name": "Sophie Leroy",
        "customer_group": "SMB",
        "sector": "Food wholesale",
        "collector": "c.martin",
        "sales_rep": "p.bernard",
        "credit_limit": "50000.00",
        "address": {"street": "12 rue des Entrepreneurs", "postal_code": "69007", "city": "Lyon"},
        "parent_account": "G00007",
        "preferred_channel": "email",
    },
    "balances": [{"currency": "EUR", "open": "3480.50", "overdue": "3480.50", "open_items": 2, "overdue_items": 2}],
    "oldest_days_overdue": 26,
    "items": [
        {
            "item_id": "FR01/invoice/F-2026-0042",
            "number": "F-2026-0042",
            "due_date": "2026-10-30",
            "open_amount": {"amount": "1250.00", "currency": "EUR"},
            "disputed": False,
        },
        {
            "item_id": "FR01/invoice/F-2026-0057",
            "number": "F-2026-0057",
            "due_date": "2026-11-14",
            "open_amount": {"amount": "2230.50", "currency": "EUR"},
            "disputed": True,
        },
    ],
    "disputes": [
        {
            "customer_id": "FR01/C00042",
            "entity": "FR01",
            "account_number": "C00042",
            "customer_name": "Dupont SARL",
            "item_id": "FR01/invoice/F-2026-0057",
            "item_number": "F-2026-0057",
            "open_amount": {"amount": "2230.50", "currency": "EUR"},
            "due_date": "2026-11-14",
            "disputed_since": "2026-11-18",
            "owner": "sales",
            "comment": "Invoiced at 42.00 per unit; the order confirmation says 38.50",
            "answers": ["Confirmed with the customer: a credit note of 115.50 follows"],
        }
    ],
    "contacts": [
        {
            "name": "Sophie Leroy",
            "email": "s.leroy@dupont-sarl.fr",
            "phone": "+33 4 72 10 20 30",
            "role": "collection",
            "language": "fr",
        }
    ],
    "as_of": "2026-11-25",
}

# GET /api/v1/mobile/disputes
MOBILE_DISPUTES: Any = {
    "disputes": [
        {
            "customer_id": "FR01/C00042",
            "entity": "FR01",
            "account_number": "C00042",
            "customer_name": "Dupont SARL",
            "item_id": "FR01/invoice/F-2026-0057",
            "item_number": "F-2026-0057",
            "open_amount": {"amount": "2230.50", "currency": "EUR"},
            "due_date": "2026-11-14",
            "disputed_since": "2026-11-18",
            "owner": "sales",
            "comment": "Invoiced at 42.00 per unit; the order confirmation says 38.50",
            "answers": ["Confirmed with the customer: a credit note of 115.50 follows"],
        }
    ],
    "truncated": False,
}

# GET /api/v1/partner/cases?status=all
PARTNER_CASES: Any = [
    {
        "case_id": "case-2026-0311",
        "entity": "FR01",
        "account_number": "C00042",
        "status": "open",
        "assigned_at": "2026-11-20T00:00:00+00:00",
        "withdrawn_at": None,
        "customer_name": "Dupont SARL",
        "partner_kind": "legal",
        "items": [
            {
                "item_id": "FR01/invoice/F-2026-0042",
                "number": "F-2026-0042",
                "due_date": "2026-10-30",
                "open_amount": {"amount": "1250.00", "currency": "EUR"},
                "days_overdue": 26,
            }
        ],
        "totals": [{"amount": "1250.00", "currency": "EUR"}],
        "note": "Formal notice sent on 2026-10-15, no answer",
        "escalated_on": "2026-11-20",
    },
    {
        "case_id": "case-2026-0298",
        "entity": "FR01",
        "account_number": "C00042",
        "status": "withdrawn",
        "assigned_at": "2026-11-20T00:00:00+00:00",
        "withdrawn_at": "2026-11-24T00:00:00+00:00",
        "customer_name": "Dupont SARL",
        "partner_kind": "legal",
        "items": [
            {
                "item_id": "FR01/invoice/F-2026-0042",
                "number": "F-2026-0042",
                "due_date": "2026-10-30",
                "open_amount": {"amount": "1250.00", "currency": "EUR"},
                "days_overdue": 26,
            }
        ],
        "totals": [{"amount": "1250.00", "currency": "EUR"}],
        "note": "Formal notice sent on 2026-10-15, no answer",
        "escalated_on": "2026-11-20",
    },
]

# GET /api/v1/customers?q=dupont
CUSTOMER_SEARCH: Any = {
    "customers": [CUSTOMER_ACCOUNT["customer"]],
    "offset": 0,
    "limit": 20,
    "more": False,
}

# GET /api/v1/customers/{entity}/{account_number}/promises
CUSTOMER_PROMISES: Any = {
    "promises": [
        {
            "promise_id": "prm-2026-11-18-0042",
            "item_ids": ["FR01/invoice/F-2026-0042"],
            "amount": {"amount": "1250.00", "currency": "EUR"},
            "promised_on": "2026-11-30",
            "created_on": "2026-11-18",
            "by": "claire.martin@acme-industries.fr",
            "state": "open",
        }
    ],
    "truncated": False,
}

# GET /api/v1/reports/dso/series?points=12 (one report per day, oldest first; one shown)
DSO_SERIES: Any = {"points": [DSO]}

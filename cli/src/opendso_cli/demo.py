"""Demo data: customers and open items dated relative to today, so every step
of the built-in scenario has someone to chase the moment the system starts."""

from __future__ import annotations

import csv
import datetime as dt
import io

HEADER = [
    "entity",
    "account_number",
    "customer_name",
    "email",
    "language",
    "country",
    "contact_name",
    "item_number",
    "item_type",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "reference",
]

# (account, name, email, language, country, contact, [(number, days until due, amount, open, currency)])
CUSTOMERS = [
    (
        "C001",
        "Acme Industries Ltd",
        "ap@acme.example",
        "en",
        "GB",
        "Jane Smith",
        [("INV-1001", 5, "1200.00", "1200.00", "EUR"), ("INV-1002", 20, "300.00", "300.00", "EUR")],
    ),
    (
        "C002",
        "Boulangerie Dupont SARL",
        "compta@dupont.example",
        "fr",
        "FR",
        "Marie Dupont",
        [("INV-2001", -3, "845.50", "845.50", "EUR"), ("INV-2002", -1, "120.00", "60.00", "EUR")],
    ),
    (
        "C003",
        "Müller Maschinenbau GmbH",
        "buchhaltung@mueller.example",
        "de",
        "DE",
        "Klaus Müller",
        [("INV-3001", -16, "15000.00", "15000.00", "EUR"), ("CN-3001", -20, "-500.00", "-500.00", "EUR")],
    ),
    (
        "C004",
        "Northwind Traders Inc",
        "finance@northwind.example",
        "en",
        "US",
        "Ann Lee",
        [("INV-4001", -35, "4999.99", "4999.99", "USD")],
    ),
    ("C005", "Globex Corporation", "", "en", "US", "Hank Scorpio", [("INV-5001", -4, "780.00", "780.00", "USD")]),
]


def demo_csv(today: dt.date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    for account, name, email, language, country, contact, items in CUSTOMERS:
        for number, due_in, amount, open_amount, currency in items:
            due = today + dt.timedelta(days=due_in)
            issue = due - dt.timedelta(days=30)
            kind = "credit_note" if number.startswith("CN-") else "invoice"
            writer.writerow(
                [
                    "DEMO",
                    account,
                    name,
                    email,
                    language,
                    country,
                    contact,
                    number,
                    kind,
                    issue.isoformat(),
                    due.isoformat(),
                    amount.replace(".", ","),
                    open_amount.replace(".", ","),
                    currency,
                    "",
                ]
            )
    # One bad row, to show how a rejected row comes back (row, column, reason).
    writer.writerow(
        [
            "DEMO",
            "C006",
            "Initech LLC",
            "not-an-email",
            "en",
            "US",
            "Bill Lumbergh",
            "INV-6001",
            "invoice",
            today.isoformat(),
            "31.02.2026",
            "100,00",
            "100,00",
            "EUR",
            "",
        ]
    )
    return out.getvalue().encode("utf-8")


# A bank statement for the demo customers, as an online bank exports it (CSV):
# (counterparty, IBAN, remittance text, amount, currency). Each line shows one way a payment is matched.
STATEMENT_LINES = [
    # Quotes its invoice, pays it exactly: applied by itself.
    ("ACME INDUSTRIES LTD", "GB33BUKB20201555555555", "Payment INV 1001 thank you", "1200.00", "EUR"),
    # Quotes an invoice and its credit note, pays the difference: applied by itself.
    (
        "MUELLER MASCHINENBAU",
        "DE89370400440532013000",
        "Rechnung INV-3001 abzgl. Gutschrift CN-3001",
        "14500.00",
        "EUR",
    ),
    # No reference, the name fits, the amount fits one invoice: proposed, a collector confirms.
    ("BOULANGERIE DUPONT", "FR7630006000011234567890189", "VIREMENT", "845.50", "EUR"),
    # Nobody we know: the suspense list.
    ("J. DOE", "NL91ABNA0417164300", "donation", "99.00", "EUR"),
]


def demo_statement_csv(today: dt.date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["Booking date", "Value date", "Counterparty", "IBAN", "Reference", "Amount", "Currency"])
    for name, iban, text, amount, currency in STATEMENT_LINES:
        writer.writerow([today.isoformat(), today.isoformat(), name, iban, text, amount, currency])
    return out.getvalue().encode("utf-8")

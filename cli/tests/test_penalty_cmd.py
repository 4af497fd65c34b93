"""`penalty` through a small typer app of its own (the `opendso` app wires it in separately)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from opendso_cli.penalty_cmd import penalty
from typer.testing import CliRunner, Result

app = typer.Typer()
app.command()(penalty)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def output(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_prints_interest_slices_rates_compensation_and_total() -> None:
    # FR 2025-H1: 3.15 + 10 = 13.15 %; 30 days: 1000 x 13.15 % x 30 / 365 = 10.808... -> 10.81; + EUR 40.
    result = run(
        "--law", "fr", "--amount", "1000.00", "--currency", "EUR", "--due", "2025-03-31", "--paid", "2025-04-30"
    )

    body = output(result)
    assert body["law"] == "FR"
    assert body["slices"] == [
        {
            "from": "2025-04-01",
            "to": "2025-04-30",
            "days": 30,
            "period": "2025-H1",
            "rate": "13.15",
            "year_days": 365,
            "principal": "1000.00",
            "interest": "10.81",
        }
    ]
    assert body["rates"][0]["reference_rate"] == "3.15"
    assert body["rates"][0]["points"] == "10"
    assert body["rates"][0]["source"]
    assert body["interest"] == {"amount": "10.81", "currency": "EUR"}
    assert body["compensation"]["amount"] == "40.00"
    assert body["compensation"]["currency"] == "EUR"
    assert body["total"] == [{"amount": "50.81", "currency": "EUR"}]


def test_partial_payments_split_the_principal() -> None:
    # EU 11.15 %: 10 days on 5000 -> 15.27, then 20 days on 3000 -> 18.33 (see the domain tests).
    result = run(
        "--law", "EU", "--amount", "5 000,00", "--currency", "EUR", "--due", "2025-01-31",
        "--paid", "2025-03-02", "--partial", "2025-02-10:2000",
    )  # fmt: skip

    body = output(result)
    assert [(s["days"], s["principal"], s["interest"]) for s in body["slices"]] == [
        (10, "5000.00", "15.27"),
        (20, "3000.00", "18.33"),
    ]
    assert body["partials"] == [{"date": "2025-02-10", "amount": "2000.00", "currency": "EUR"}]
    assert body["interest"]["amount"] == "33.60"


def test_poland_converts_the_compensation_with_the_given_rate_and_shows_its_date() -> None:
    # 10000 PLN -> EUR 70 band; 70 x 4.2468 = 297.276 -> 297.28 PLN; rate of 31 May for a June due date.
    result = run(
        "--law", "PL", "--amount", "10000", "--currency", "PLN", "--due", "2025-06-30",
        "--paid", "2025-07-10", "--fx", "EUR:4,2468",
    )  # fmt: skip

    body = output(result)
    assert body["interest"]["amount"] == "41.78"
    assert body["compensation"]["amount"] == "297.28"
    assert body["compensation"]["stated"] == {"amount": "70.00", "currency": "EUR"}
    assert body["compensation"]["fx_date"] == "2025-05-31"
    assert body["total"] == [{"amount": "339.06", "currency": "PLN"}]


def test_an_unpaid_invoice_is_computed_as_of_a_date() -> None:
    body = output(
        run("--law", "DE", "--amount", "10000", "--currency", "EUR", "--due", "2025-06-15", "--as-of", "2025-07-15")
    )

    assert body["ended_by"] == "as_of"
    assert [s["period"] for s in body["slices"]] == ["2025-H1", "2025-H2"]
    assert body["interest"]["amount"] == "88.53"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--law", "XX"], "known: EU, FR, DE, GB, CZ, SK, PL, RO"),
        (["--amount", "-5"], "must be positive"),
        (["--amount", "abc"], "--amount: not an amount"),
        (["--amount", "10.001"], "more decimals than EUR has"),
        (["--currency", "eu"], "three-letter ISO 4217"),
        (["--partial", "2025-04-10"], "is not DATE:AMOUNT"),
        (["--partial", "10/04/2025:5"], "is not DATE:AMOUNT"),
        (["--partial", "2025-05-10:5"], "after the payment date"),
        (["--fx", "EUR:abc"], "is not CUR:RATE"),
        (["--fx", "EUR:-1"], "is not CUR:RATE"),
        (["--due", "2026-06-15", "--paid", "2026-08-01"], "no confirmed reference rate for 2026-H2"),
    ],
)
def test_bad_input_exits_2_with_the_reason(args: list[str], message: str) -> None:
    base = {"--law": "FR", "--amount": "1000", "--currency": "EUR", "--due": "2025-03-31", "--paid": "2025-04-30"}
    flags = dict(base)
    repeated: list[str] = []
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in ("--partial", "--fx"):
            repeated += [flag, value]
        else:
            flags[flag] = value

    result = run(*[part for pair in flags.items() for part in pair], *repeated)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_exchange_rate_says_which_one_to_pass() -> None:
    result = run("--law", "PL", "--amount", "100", "--currency", "PLN", "--due", "2025-03-15", "--paid", "2025-04-01")

    assert result.exit_code == 2
    assert "EUR->PLN exchange rate of 2025-02-28" in result.stderr
    assert "--fx EUR:RATE" in result.stderr


def test_no_end_date_exits_2() -> None:
    result = run("--law", "FR", "--amount", "1", "--currency", "EUR", "--due", "2025-03-31")

    assert result.exit_code == 2
    assert "give the payment date, or an as-of date" in result.stderr


def test_an_invalid_date_is_a_usage_error() -> None:
    result = run("--law", "FR", "--amount", "1", "--currency", "EUR", "--due", "2025-13-01", "--paid", "2025-04-30")

    assert result.exit_code == 2
    assert "--due" in result.output

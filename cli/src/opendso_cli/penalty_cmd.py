"""`opendso penalty`: late-payment interest and recovery compensation for one invoice, offline.

Runs the scenario service's own penalty domain, so the numbers are the ones the collection engine
and the #LatePenalty / #RecoveryCost template fields will show. Nothing is fetched: exchange rates
the law needs are given with --fx.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, NoReturn

import typer
from opendso_money import Money, parse_amount
from opendso_scenario.domain.penalties import (
    MissingFxRateError,
    Penalty,
    PenaltyError,
    UnknownLawError,
    UnknownReferenceRateError,
    compute,
    get_law,
)


def penalty(
    law: Annotated[str, typer.Option(help="Jurisdiction: EU, FR, DE, GB, CZ, SK, PL or RO")],
    amount: Annotated[str, typer.Option(help="Invoice amount, e.g. 1234.50 or '1 234,50'")],
    currency: Annotated[str, typer.Option(help="Invoice currency, ISO 4217 (EUR, GBP, PLN...)")],
    due: Annotated[date, typer.Option(help="Due date, YYYY-MM-DD")],
    paid: Annotated[date | None, typer.Option(help="Day the invoice (or what was left of it) was paid")] = None,
    partial: Annotated[
        list[str] | None,
        typer.Option("--partial", help="A partial payment as DATE:AMOUNT in the invoice currency; repeat for more"),
    ] = None,
    as_of: Annotated[
        date | None, typer.Option("--as-of", help="Compute up to this day for an invoice not paid (yet)")
    ] = None,
    fx: Annotated[
        list[str] | None,
        typer.Option(
            "--fx",
            help="CUR:RATE, how much of the law's currency one CUR is worth on the day the law names "
            "(e.g. --fx EUR:4.2468 for Poland); repeat for more",
        ),
    ] = None,
) -> None:
    """Print the interest (each slice with its rate and period), the fixed compensation and the total as JSON.

    Bad input, a period with no confirmed reference rate or a missing exchange rate: why on stderr, exit 2.
    """
    try:
        chosen = get_law(law)
        invoice = _money(amount, currency, "--amount")
        partials = [_partial(text, invoice.currency) for text in partial or []]
        rates = dict(_fx(text) for text in fx or [])
        target = chosen.compensation.owed_in

        def rate(source: str, to: str, on: date) -> Decimal | None:
            # --fx rates are quoted in the law's currency; the date is the user's to pick, the JSON
            # output shows which day the law asked for.
            return rates.get(source) if to == target else None

        result = compute(chosen, invoice, due, paid=paid, as_of=as_of, partials=partials, fx=rate)
    except MissingFxRateError as missing:
        _fail(f"{missing} (use --fx {missing.source}:RATE, RATE in {missing.target} for 1 {missing.source})")
    except (PenaltyError, UnknownLawError, UnknownReferenceRateError, _InputError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(penalty_json(result), ensure_ascii=False, indent=2))


def penalty_json(result: Penalty) -> dict[str, object]:
    """The result as the command prints it: amounts as strings, so no float ever touches them."""
    law = result.law
    comp = result.compensation
    return {
        "law": law.code,
        "law_name": law.name,
        "legal_basis": law.basis,
        "rate_rule": law.rule.value,
        "day_count": law.day_count.value,
        "amount": _money_json(result.amount),
        "due": result.due.isoformat(),
        "end": result.end.isoformat(),
        "ended_by": result.ended_by,
        "days_late": result.days_late,
        "partials": [{"date": day.isoformat(), **_money_json(paid)} for day, paid in result.partials],
        "rates": [
            {
                "period": r.period,
                "from": r.start.isoformat(),
                "to": r.end.isoformat(),
                "reference_rate": str(r.reference_rate),
                "points": str(r.points),
                "rate": str(r.rate),
                "fixed_on": r.fixed_on,
                "source": r.source,
            }
            for r in result.rates
        ],
        "slices": [
            {
                "from": s.start.isoformat(),
                "to": s.end.isoformat(),
                "days": s.days,
                "period": s.period,
                "rate": str(s.rate),
                "year_days": s.year_days,
                "principal": str(s.principal.amount),
                "interest": str(s.interest.amount),
            }
            for s in result.slices
        ],
        "interest": _money_json(result.interest),
        "compensation": None
        if comp is None
        else {
            **_money_json(comp.amount),
            "stated": _money_json(comp.stated),
            "band": comp.band,
            "debt": _money_json(comp.debt),
            "basis": comp.basis,
            "fx_date": comp.fx_date.isoformat() if comp.fx_date else None,
            "fx_rates": [{"from": src, "to": dst, "rate": str(rate)} for src, dst, rate in comp.fx_rates],
        },
        "total": [_money_json(total) for total in result.totals()],
    }


class _InputError(ValueError):
    pass


def _money(text: str, currency: str, what: str) -> Money:
    try:
        money = Money(parse_amount(text), currency.strip().upper())
    except ValueError as exc:
        raise _InputError(f"{what}: {exc}") from None
    exponent = money.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > money.minor_units:
        # Rounding a typed amount would silently change the debt; ask for the amount as invoiced.
        raise _InputError(f"{what}: {text!r} has more decimals than {money.currency} has")
    return money.rounded()


def _partial(text: str, currency: str) -> tuple[date, Money]:
    day, sep, amount = text.partition(":")
    try:
        if not sep:
            raise ValueError("missing ':'")
        return date.fromisoformat(day.strip()), _money(amount, currency, "--partial")
    except ValueError as exc:
        raise _InputError(f"--partial {text!r} is not DATE:AMOUNT (e.g. 2025-04-10:250.00): {exc}") from None


def _fx(text: str) -> tuple[str, Decimal]:
    source, sep, rate = text.partition(":")
    try:
        value = parse_amount(rate)
    except ValueError:
        value = Decimal(0)
    if not sep or len(source.strip()) != 3 or value <= 0:
        raise _InputError(f"--fx {text!r} is not CUR:RATE with a positive rate (e.g. EUR:4.2468)")
    return source.strip().upper(), value


def _money_json(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)

"""Money: a Decimal amount with its ISO 4217 currency, never a float."""

from opendso_money.money import CurrencyMismatchError, Money, parse_amount, sum_money

__all__ = ["CurrencyMismatchError", "Money", "parse_amount", "sum_money"]

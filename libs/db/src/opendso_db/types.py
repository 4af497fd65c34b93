"""Column types that keep money exact on every backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Amount(TypeDecorator[Decimal]):
    """A Decimal stored exactly: NUMERIC(20, 6) on PostgreSQL, decimal text on
    SQLite (whose NUMERIC is a float and would round)."""

    impl = Numeric(20, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 6, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"Amount columns take Decimal, got {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return canonical_amount(value if isinstance(value, Decimal) else Decimal(str(value)))


_CENTS = Decimal("0.01")


def canonical_amount(value: Decimal) -> Decimal:
    """The same amount written the same way on every backend: trailing zeros
    beyond the cents dropped (PostgreSQL answers NUMERIC(20, 6) as 1200.000000),
    never fewer than two decimals."""
    normalised = value.normalize()
    exponent = normalised.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return value.quantize(_CENTS)
    return normalised

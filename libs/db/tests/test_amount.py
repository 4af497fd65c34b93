from decimal import Decimal

import pytest
from opendso_db.types import canonical_amount


@pytest.mark.parametrize(
    ("stored", "read"),
    [("1200.000000", "1200.00"), ("1200", "1200.00"), ("0.123400", "0.1234"), ("-5.5", "-5.50"), ("0E-6", "0.00")],
)
def test_amounts_read_back_the_same_on_every_backend(stored: str, read: str) -> None:
    assert str(canonical_amount(Decimal(stored))) == read

"""Settings refuse placeholders without printing them; the development token secret is made once."""

from __future__ import annotations

from pathlib import Path

import pytest
from opendso_gateway.settings import Settings
from opendso_gateway.tokens import dev_secret
from pydantic import ValidationError


@pytest.mark.parametrize("secret", ["too-short", "changeme-changeme-changeme-changeme-123", "secret" * 8, "ab" * 20])
def test_a_short_or_placeholder_token_secret_is_refused_and_not_echoed(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(token_secret=secret)
    assert secret not in str(refused.value)


def test_the_first_admin_needs_both_an_address_and_a_real_password() -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(admin_email="root@example.com")
    with pytest.raises(ValidationError) as weak:
        Settings(admin_email="root@example.com", admin_password="password123456")
    assert "password123456" not in str(weak.value)
    assert Settings(admin_email=" Root@Example.com", admin_password="plum-orbit-47-lantern").admin_email == (
        "root@example.com"
    )


def test_the_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "gateway-token-secret"
    first = dev_secret(path)
    assert len(first) >= 32 and dev_secret(path) == first
    assert path.stat().st_mode & 0o077 == 0

"""Access tokens (JWT, HS256, short-lived) and refresh tokens (opaque, stored as their SHA-256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import jwt

from opendso_gateway.domain.users import UserRecord

ISSUER = "opendso-gateway"
AUDIENCE = "opendso-api"
ALGORITHM = "HS256"
log = logging.getLogger(__name__)


class TokenError(Exception):
    """A token that proves nothing: malformed, forged, expired or for someone else."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    token_version: int
    expires_at: dt.datetime


class AccessTokens:
    def __init__(self, secret: str, lifetime: dt.timedelta) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def issue(self, user: UserRecord, now: dt.datetime) -> str:
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user.user_id,
            "ver": user.token_version,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def read(self, token: str, now: dt.datetime) -> AccessClaims:
        """The claims of a token this gateway signed and that is still valid at ``now``; ``TokenError`` else."""
        try:
            # One algorithm only: a token saying "alg": "none" or RS256 is refused before its signature is read.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Time is checked below against the gateway's clock, which tests can set.
                options={"require": ["exp", "iat", "sub", "ver"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {type(exc).__name__}") from None
        expires = claims["exp"]
        if not isinstance(expires, int) or expires <= now.timestamp():
            raise TokenError("token expired")
        if not isinstance(claims["sub"], str) or not isinstance(claims["ver"], int):
            raise TokenError("invalid token claims")
        return AccessClaims(claims["sub"], claims["ver"], dt.datetime.fromtimestamp(expires, dt.UTC))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_hash(token: str) -> str:
    # A plain hash is enough: the token is 256 random bits, so there is nothing to guess from it.
    return hashlib.sha256(token.encode()).hexdigest()


def dev_secret(path: Path) -> str:
    """The token secret kept in ``path``, generated the first time (readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # Another process wrote it first: read theirs.
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            log.warning("generated a token secret in %s; set OPENDSO_GATEWAY_TOKEN_SECRET outside development", path)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable token secret; delete it to generate another")
    return secret

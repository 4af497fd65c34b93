"""Signing in, refreshing and signing out, and the administration of users: the rules around the access store."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from opendso_gateway.domain.access import Principal, Role
from opendso_gateway.domain.users import (
    AccessStore,
    RefreshRecord,
    RefreshVerdict,
    UserRecord,
    judge_refresh,
    normalise_email,
)
from opendso_gateway.passwords import Passwords
from opendso_gateway.tokens import AccessTokens, TokenError, new_refresh_token, refresh_hash

log = logging.getLogger(__name__)


class NotSignedIn(Exception):
    """No valid credentials: a 401."""


class LastAdmin(Exception):
    """The change would leave no enabled administrator."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@dataclass(frozen=True)
class UserChanges:
    """What an administrator changes on a user; None leaves a field as it is."""

    name: str | None = None
    role: Role | None = None
    entities: frozenset[str] | None = None
    all_entities: bool | None = None
    portfolio: str | None = None
    disabled: bool | None = None
    password: str | None = None


class Accounts:
    def __init__(
        self,
        store: AccessStore,
        passwords: Passwords,
        tokens: AccessTokens,
        refresh_lifetime: dt.timedelta,
        now: Callable[[], dt.datetime],
    ) -> None:
        self.store = store
        self.passwords = passwords
        self.tokens = tokens
        self.refresh_lifetime = refresh_lifetime
        self.now = now

    # -- signing in ---------------------------------------------------------------------------------------------

    async def sign_in(self, email: str, password: str) -> tuple[UserRecord, TokenPair] | None:
        """The user and fresh tokens, or None for a wrong address, a wrong password or a disabled user alike,
        each costing one password check."""
        user = await self.store.user_by_email(normalise_email(email))
        matches = await self.passwords.verify(user.password_hash if user is not None else None, password)
        if user is None or not matches or user.disabled:
            return None
        if self.passwords.needs_rehash(user.password_hash):
            user = replace(user, password_hash=await self.passwords.hash(password), updated_at=self.now())
            await self.store.save_user(user)
        return user, await self._issue(user, family_id=str(uuid.uuid4()))

    async def _issue(self, user: UserRecord, family_id: str) -> TokenPair:
        now = self.now()
        refresh = new_refresh_token()
        await self.store.add_refresh_token(
            RefreshRecord(
                token_hash=refresh_hash(refresh),
                family_id=family_id,
                user_id=user.user_id,
                issued_at=now,
                expires_at=now + self.refresh_lifetime,
            )
        )
        return TokenPair(
            access_token=self.tokens.issue(user, now),
            refresh_token=refresh,
            expires_in=int(self.tokens.lifetime.total_seconds()),
            refresh_expires_in=int(self.refresh_lifetime.total_seconds()),
        )

    async def refresh(self, token: str) -> tuple[UserRecord, TokenPair]:
        """New tokens for a refresh token, which is used up; a used one presented again revokes its family."""
        now = self.now()
        record = await self.store.refresh_token(refresh_hash(token))
        verdict = judge_refresh(record, now)
        if record is None or verdict not in (RefreshVerdict.VALID, RefreshVerdict.REUSED):
            raise NotSignedIn(f"refresh token {verdict.value}")
        if verdict is RefreshVerdict.VALID and not await self.store.use_refresh_token(record.token_hash, now):
            verdict = RefreshVerdict.REUSED  # used by a concurrent request meanwhile
        if verdict is RefreshVerdict.REUSED:
            # Either a thief or the owner holds a newer one: neither can tell which, so both sign in again.
            log.warning("refresh token reused for user %s: family %s revoked", record.user_id, record.family_id)
            await self.store.revoke_family(record.family_id, now)
            raise NotSignedIn("refresh token already used; sign in again")
        user = await self.store.user_by_id(record.user_id)
        if user is None or user.disabled:
            await self.store.revoke_family(record.family_id, now)
            raise NotSignedIn("user disabled")
        return user, await self._issue(user, family_id=record.family_id)

    async def sign_out(self, token: str) -> None:
        record = await self.store.refresh_token(refresh_hash(token))
        if record is not None:
            await self.store.revoke_family(record.family_id, self.now())

    async def principal(self, access_token: str) -> Principal:
        """Who an access token stands for, as their record says now (role and scope changes apply at once)."""
        try:
            claims = self.tokens.read(access_token, self.now())
        except TokenError as exc:
            raise NotSignedIn(str(exc)) from None
        user = await self.store.user_by_id(claims.user_id)
        if user is None or user.disabled or user.token_version != claims.token_version:
            raise NotSignedIn("token no longer valid")
        return user.principal()

    # -- administration -----------------------------------------------------------------------------------------

    async def bootstrap_admin(self, email: str, password: str) -> bool:
        """Create the first administrator when there is no user at all; False when there are users already."""
        if await self.store.count_users():
            return False
        await self.create_user(
            email=email, name="Administrator", role=Role.ADMIN, password=password, entities=None, portfolio="", by=""
        )
        log.info("first administrator %s created", normalise_email(email))
        return True

    async def create_user(
        self,
        *,
        email: str,
        name: str,
        role: Role,
        password: str,
        entities: frozenset[str] | None,
        portfolio: str,
        by: str,
    ) -> UserRecord:
        now = self.now()
        user = UserRecord(
            user_id=str(uuid.uuid4()),
            email=normalise_email(email),
            name=name.strip(),
            role=role,
            password_hash=await self.passwords.hash(password),
            entities=entities,
            portfolio=portfolio.strip(),
            disabled=False,
            token_version=1,
            created_at=now,
            updated_at=now,
            created_by=by,
        )
        await self.store.add_user(user)
        return user

    async def change_user(self, user: UserRecord, changes: UserChanges) -> UserRecord:
        now = self.now()
        changed = replace(
            user,
            name=user.name if changes.name is None else changes.name.strip(),
            role=changes.role or user.role,
            portfolio=user.portfolio if changes.portfolio is None else changes.portfolio.strip(),
            disabled=user.disabled if changes.disabled is None else changes.disabled,
            entities=None
            if changes.all_entities
            else (changes.entities if changes.entities is not None else user.entities),
            updated_at=now,
        )
        locked_out = changes.password is not None or (changed.disabled and not user.disabled)
        if changes.password is not None:
            changed = replace(changed, password_hash=await self.passwords.hash(changes.password))
        if locked_out:
            # Access tokens already issued stop working, and refresh tokens too.
            changed = replace(changed, token_version=user.token_version + 1)
        if self._active_admin(user) and not self._active_admin(changed):
            others = [u for u in await self.store.users() if u.user_id != user.user_id and self._active_admin(u)]
            if not others:
                raise LastAdmin("the last enabled administrator cannot be disabled or given another role")
        await self.store.save_user(changed)
        if locked_out:
            await self.store.revoke_user_tokens(user.user_id, now)
        return changed

    @staticmethod
    def _active_admin(user: UserRecord) -> bool:
        return user.role is Role.ADMIN and not user.disabled

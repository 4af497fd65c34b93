"""E-mail through Amazon SES (API v2, boto3), sent as a raw MIME message.

Raw content is the only SES form that carries attachments and inline images,
and it keeps the message byte for byte the one SMTP and the local outbox
produce. The configuration set routes SES events (delivery, bounce,
complaint) to the notification topic; the message id travels as an SES tag
and the ``X-OpenDSO-*`` headers, both of which come back in those events.
SES assigns its own Message-ID header; its ``MessageId`` is the ref.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from opendso_messaging.providers import Delivery, OutboundEmail, ProviderError
from opendso_messaging.providers.mime import build_email_bytes

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

NAME = "ses"

# Transient: the service, the account's rate, or the credentials of the moment.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "SendingPausedException",
        "AccountSendingPausedException",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
# Final: this message, as it is, will never be accepted (v1 and v2 spellings).
FINAL_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "InvalidParameterValue",
        "BadRequestException",
        "NotFoundException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "AccountSuspendedException",
        "AccessDeniedException",
    }
)
# Configuration: the credentials, their permissions, the account or the sending setup refuse every message
# until an operator fixes them. The dispatcher pauses the channel instead of failing each message.
CONFIGURATION_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "InvalidAccessKeyId",
        "AccessDenied",
        "AccessDeniedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "AccountSendingPausedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
    }
)
# SES tag values: letters, digits, _ - . @ (anything else is refused with BadRequest).
_TAG_VALUE = re.compile(r"[A-Za-z0-9_.@-]{1,256}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def ses_error_is_retryable(code: str, http_status: int) -> bool:
    """Whether an SES error code means "try again later"; an unknown code is judged by its HTTP status."""
    if code in RETRYABLE_CODES:
        return True
    if code in FINAL_CODES:
        return False
    return http_status >= 500 or http_status == 429


@dataclass(frozen=True)
class SesSettings:
    """``endpoint_url`` points the client elsewhere than AWS (a local moto server in tests).

    Credentials left empty come from boto3's usual chain (environment,
    profile, instance role). ``max_attempts`` is botocore's own retry budget
    for throttling and 5xx before the error reaches the bus's retries.
    """

    region: str
    configuration_set: str = ""
    endpoint_url: str | None = None
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if not self.region:
            raise ValueError("SES settings need a region (e.g. eu-west-1)")
        if bool(self.access_key_id) != bool(self.secret_access_key):
            raise ValueError("SES credentials need both an access key id and a secret (got only one)")


def make_sesv2_client(settings: SesSettings) -> SESV2Client:
    """A boto3 SES v2 client for ``settings`` (clients are thread-safe; one per sender is enough)."""
    credentials: dict[str, Any] = {}
    if settings.access_key_id:
        credentials = {
            "aws_access_key_id": settings.access_key_id,
            "aws_secret_access_key": settings.secret_access_key,
        }
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
    )
    # A session per client: boto3's default session is shared module state and not thread-safe.
    session = boto3.session.Session()
    return session.client(
        "sesv2", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config, **credentials
    )


class SesEmailSender:
    """An :class:`~opendso_messaging.providers.EmailSender` over SES v2 ``SendEmail`` with raw content."""

    name = NAME

    def __init__(
        self,
        settings: SesSettings,
        *,
        client: SESV2Client | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._settings = settings
        self._client = client if client is not None else make_sesv2_client(settings)
        self._clock = clock

    async def send(self, email: OutboundEmail) -> Delivery:
        # boto3 blocks; a worker thread keeps the event loop running.
        return await asyncio.to_thread(self.send_blocking, email)

    def send_blocking(self, email: OutboundEmail) -> Delivery:
        """Send ``email`` in the calling thread; :class:`ProviderError` when SES does not accept it."""
        sent_at = self._clock()
        request: dict[str, Any] = {
            # The bare address: SES wants a display name with non-ASCII characters MIME-encoded,
            # and the From header inside the raw message already carries the name.
            "FromEmailAddress": parseaddr(email.sender)[1],
            "Destination": {"ToAddresses": [address for _, address in getaddresses(list(email.to))]},
            "Content": {"Raw": {"Data": build_email_bytes(email, sent_at=sent_at)}},
        }
        if self._settings.configuration_set:
            request["ConfigurationSetName"] = self._settings.configuration_set
        if _TAG_VALUE.fullmatch(email.message_id):
            request["EmailTags"] = [{"Name": "opendso_message_id", "Value": email.message_id}]
        try:
            response = self._client.send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            raise ProviderError(
                NAME,
                f"SES answered {code} (HTTP {status}): {error.get('Message', '')}",
                retryable=ses_error_is_retryable(code, status),
                code=code,
                configuration=code in CONFIGURATION_CODES,
            ) from exc
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError) as exc:
            raise ProviderError(NAME, f"cannot reach SES: {exc}", retryable=True, code=type(exc).__name__) from exc
        except BotoCoreError as exc:
            # Missing credentials or region (configuration: no message can go), or a parameter refused before
            # sending (this message).
            raise ProviderError(
                NAME,
                f"SES request failed: {exc}",
                retryable=False,
                code=type(exc).__name__,
                configuration=isinstance(exc, NoCredentialsError | PartialCredentialsError | NoRegionError),
            ) from exc
        return Delivery(provider=NAME, ref=response["MessageId"], accepted_at=sent_at, detail="accepted by SES")

"""How provider answers are classified, and the SES adapter against botocore's Stubber (the real client, no network)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

import pytest
from botocore.stub import ANY, Stubber
from opendso_messaging.providers import OutboundEmail, ProviderError
from opendso_messaging.providers.email_ses import (
    SesEmailSender,
    SesSettings,
    make_sesv2_client,
    ses_error_is_retryable,
)
from opendso_messaging.providers.email_smtp import SmtpSettings, smtp_reply_is_retryable

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

SENT_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("code", "retryable"), [(421, True), (450, True), (451, True), (452, True), (-1, True)])
def test_transient_smtp_replies_are_retryable(code: int, retryable: bool) -> None:
    assert smtp_reply_is_retryable(code) is retryable


@pytest.mark.parametrize("code", [550, 551, 552, 553, 554, 535])
def test_permanent_smtp_replies_are_final(code: int) -> None:
    assert smtp_reply_is_retryable(code) is False


@pytest.mark.parametrize(
    "code",
    ["Throttling", "TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "LimitExceededException"],
)
def test_ses_throttling_and_outages_are_retryable(code: str) -> None:
    assert ses_error_is_retryable(code, 400) is True


@pytest.mark.parametrize(
    "code",
    [
        "MessageRejected",
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "InvalidParameterValue",
        "BadRequestException",
    ],
)
def test_ses_rejections_are_final(code: str) -> None:
    assert ses_error_is_retryable(code, 400) is False


def test_an_unknown_ses_code_is_judged_by_its_http_status() -> None:
    assert ses_error_is_retryable("SomethingNew", 503) is True
    assert ses_error_is_retryable("SomethingNew", 429) is True
    assert ses_error_is_retryable("SomethingNew", 400) is False


def test_a_provider_error_names_the_provider_the_verdict_and_the_reason() -> None:
    error = ProviderError("ses", "address is not verified", retryable=False, code="MessageRejected")

    assert str(error) == "ses did not accept the message (final, MessageRejected): address is not verified"


def test_settings_with_half_the_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="both a username and a password"):
        SmtpSettings(host="smtp.example", username="ar")
    with pytest.raises(ValueError, match="both an access key id and a secret"):
        SesSettings(region="eu-west-1", access_key_id="AKIA")


def email() -> OutboundEmail:
    return OutboundEmail(
        message_id="0b6f2c1e-5a3d-4c5e-9a7b-2f1d3e4c5b6a",
        sender="Acme Crédit <credit@acme.example>",
        to=("marie@dupont.example",),
        subject="Reminder",
        text="Please pay.\n",
        message_key="FR01/C042/friendly/INV-1",
    )


def stubbed_sender(configuration_set: str = "opendso-events") -> tuple[SesEmailSender, Stubber, SESV2Client]:
    # One attempt: botocore would otherwise sleep and retry the throttling answers itself.
    settings = SesSettings(
        region="eu-west-1",
        configuration_set=configuration_set,
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
    )
    client = make_sesv2_client(settings)
    stubber = Stubber(client)
    return SesEmailSender(settings, client=client, clock=lambda: SENT_AT), stubber, client


def test_ses_gets_the_raw_message_the_bare_sender_the_configuration_set_and_the_id_tag() -> None:
    sender, stubber, client = stubbed_sender()
    captured: dict[str, Any] = {}
    stubber.add_response(
        "send_email",
        {"MessageId": "0100018e-ses-id"},
        {
            "FromEmailAddress": "credit@acme.example",
            "Destination": {"ToAddresses": ["marie@dupont.example"]},
            "Content": ANY,
            "ConfigurationSetName": "opendso-events",
            "EmailTags": [{"Name": "opendso_message_id", "Value": "0b6f2c1e-5a3d-4c5e-9a7b-2f1d3e4c5b6a"}],
        },
    )
    client.meta.events.register("provide-client-params.sesv2.SendEmail", lambda params, **_: captured.update(params))

    with stubber:
        delivery = sender.send_blocking(email())

    stubber.assert_no_pending_responses()
    assert delivery.provider == "ses"
    assert delivery.ref == "0100018e-ses-id"
    assert delivery.accepted_at == SENT_AT
    raw = BytesParser(policy=policy.default).parsebytes(captured["Content"]["Raw"]["Data"])
    assert raw["X-OpenDSO-Message-Key"] == "FR01/C042/friendly/INV-1"
    assert raw["From"] == "Acme Crédit <credit@acme.example>"


@pytest.mark.parametrize(
    ("code", "status", "retryable", "configuration"),
    [
        ("Throttling", 400, True, False),
        ("TooManyRequestsException", 429, True, False),
        ("MessageRejected", 400, False, False),
        # Every message from this sender would be refused: the channel pauses, no message fails.
        ("MailFromDomainNotVerifiedException", 400, True, True),
        ("InvalidClientTokenId", 403, True, True),
        ("AccountSendingPausedException", 400, True, True),
    ],
)
def test_an_ses_error_becomes_a_classified_provider_error(
    code: str, status: int, retryable: bool, configuration: bool
) -> None:
    sender, stubber, _ = stubbed_sender()
    stubber.add_client_error("send_email", service_error_code=code, service_message="nope", http_status_code=status)

    with stubber, pytest.raises(ProviderError) as raised:
        sender.send_blocking(email())

    assert raised.value.retryable is retryable
    assert raised.value.configuration is configuration
    assert raised.value.code == code
    assert "nope" in raised.value.reason


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_ses_endpoint_is_retryable() -> None:
    settings = SesSettings(
        region="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="testing",
        secret_access_key="testing",
        connect_timeout=1,
        max_attempts=1,
    )

    with pytest.raises(ProviderError) as raised:
        await SesEmailSender(settings).send(email())

    assert raised.value.retryable is True
    assert raised.value.code == "EndpointConnectionError"

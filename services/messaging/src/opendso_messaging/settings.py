from __future__ import annotations

from pathlib import Path
from typing import Literal

from opendso_bus import ServiceSettings
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from opendso_messaging.domain.message_payment_qr import CreditorAccount


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_MESSAGING_")

    database_url: str = "sqlite+aiosqlite:///var/messaging.db"
    # Local mode: what would be sent is written here as .eml files (and text/ for SMS) a person can open.
    outbox_dir: Path = Path("var/outbox")
    sender: str = "OpenDSO Collections <collections@opendso.local>"
    company_name: str = "OpenDSO Demo Ltd"
    collector_name: str = "Accounts Receivable"
    collector_email: str = "ar@opendso.local"
    portal_base_url: str = "http://127.0.0.1:8000/portal"

    # E-mail: "local" (the outbox folder), "smtp" or "ses".
    email_provider: Literal["local", "smtp", "ses"] = "local"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    ses_region: str = ""
    ses_endpoint_url: str = ""
    ses_configuration_set: str = ""

    # SMS, WhatsApp and voice: "local" (the outbox folder) or "twilio".
    text_provider: Literal["local", "twilio"] = "local"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    twilio_voice_from: str = ""
    twilio_status_callback_url: str = ""
    twilio_api_base_url: str = ""

    # Letters: "local" (PDFs and manifests in outbox_dir/letters), "disk" (letter_folder, read by a
    # print-and-post provider) or "s3" (letter_s3_bucket under letter_s3_prefix).
    letter_provider: Literal["local", "disk", "s3"] = "local"
    letter_folder: Path = Path("")
    letter_s3_bucket: str = ""
    letter_s3_prefix: str = "letters/"
    letter_s3_region: str = ""
    letter_s3_endpoint_url: str = ""
    # The return address printed on letters, as JSON lines: the name, then street, postcode and town...
    letter_sender_lines: list[str] = Field(default_factory=list)
    # ISO 3166-1 alpha-2 of the return address: letters to other countries print the country's name.
    letter_sender_country: str = ""

    # The dispatcher: batch per pass, sends in flight, retries with exponential delays, and the lease after
    # which a send that never finished is settled.
    dispatch_batch_size: int = Field(default=200, gt=0, le=5000)
    dispatch_concurrency: int = Field(default=16, gt=0, le=256)
    dispatch_max_attempts: int = Field(default=8, gt=0)
    dispatch_retry_base_seconds: float = Field(default=30.0, gt=0)
    dispatch_lease_seconds: float = Field(default=300.0, gt=0)
    # Provider rate limits, messages per second (0: none).
    email_rate_per_second: float = Field(default=0.0, ge=0)
    text_rate_per_second: float = Field(default=0.0, ge=0)

    # The account each entity's debtors pay into, printed as a payment QR code on e-mails and letters, as JSON:
    # {"FR01": {"name": "Acme SAS", "iban": "FR76...", "bic": "BNPAFRPP", "country": "FR"}}. An entity missing
    # here gets no QR code.
    bank_accounts: dict[str, dict[str, str]] = Field(default_factory=dict)

    def creditor_accounts(self) -> dict[str, CreditorAccount]:
        return {entity: CreditorAccount.checked(entity, value) for entity, value in self.bank_accounts.items()}

    @model_validator(mode="after")
    def _bank_accounts_are_valid(self) -> Settings:
        # A typo in an IBAN would print a QR code that pays nowhere: refuse to start, naming entity and field.
        self.creditor_accounts()
        return self

    @model_validator(mode="after")
    def _provider_settings_are_complete(self) -> Settings:
        if self.email_provider == "smtp" and not self.smtp_host:
            raise ValueError("email_provider=smtp needs OPENDSO_MESSAGING_SMTP_HOST")
        if self.email_provider == "ses" and not self.ses_region:
            raise ValueError("email_provider=ses needs OPENDSO_MESSAGING_SES_REGION")
        if self.letter_provider == "disk" and self.letter_folder == Path(""):
            raise ValueError("letter_provider=disk needs OPENDSO_MESSAGING_LETTER_FOLDER")
        if self.letter_provider == "s3" and not self.letter_s3_bucket:
            raise ValueError("letter_provider=s3 needs OPENDSO_MESSAGING_LETTER_S3_BUCKET")
        if self.letter_provider != "local" and len([line for line in self.letter_sender_lines if line.strip()]) < 2:
            # Real letters go out with the return address printed on them: a name and at least one line.
            raise ValueError(
                f"letter_provider={self.letter_provider} needs OPENDSO_MESSAGING_LETTER_SENDER_LINES "
                '(JSON: ["Company name", "street", "postcode town"])'
            )
        if self.text_provider == "twilio" and not (
            self.twilio_account_sid and self.twilio_auth_token.get_secret_value()
        ):
            raise ValueError(
                "text_provider=twilio needs OPENDSO_MESSAGING_TWILIO_ACCOUNT_SID and "
                "OPENDSO_MESSAGING_TWILIO_AUTH_TOKEN"
            )
        return self

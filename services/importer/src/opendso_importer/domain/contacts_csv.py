"""Contacts of customers, with their roles, from an ERP or CRM export (CSV, XLSX or JSON records).

One row per contact: the customer it belongs to (entity, account number), a
name and/or an e-mail address, a phone number, a role and a language. A
customer may have any number of contacts; the role says what each is for
(the collection contact receives the reminders).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from opendso_importer.domain.column_mapping import normalise_header
from opendso_importer.domain.tabular import FileRejected, RowError, read_table


class ContactRole(StrEnum):
    COLLECTION = "collection"
    BILLING = "billing"
    SALES = "sales"
    MANAGEMENT = "management"
    OTHER = "other"


# Header synonyms for each field, in the languages the receivables import reads.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "entity": (
        "entity",
        "company code",
        "société",
        "gesellschaft",
        "buchungskreis",
        "společnost",
        "spoločnosť",
        "spółka",
        "societate",
        "şirket",
    ),
    "account_number": (
        "account_number",
        "account",
        "customer number",
        "n° client",
        "numéro client",
        "kundennummer",
        "debitorennummer",
        "číslo zákazníka",
        "číslo odberateľa",
        "numer klienta",
        "cod client",
        "müşteri no",
        "cari kod",
    ),
    "name": (
        "contact_name",
        "contact",
        "name",
        "nom",
        "nom du contact",
        "ansprechpartner",
        "kontaktperson",
        "kontaktní osoba",
        "kontaktná osoba",
        "osoba kontaktowa",
        "persoană de contact",
        "ilgili kişi",
    ),
    "email": (
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse e-mail",
        "e-mail-adresse",
        "emailová adresa",
        "adres e-mail",
        "adresă de e-mail",
        "e-posta",
    ),
    "phone": (
        "phone",
        "telephone",
        "téléphone",
        "tel",
        "telefon",
        "telefonnummer",
        "telefonní číslo",
        "telefónne číslo",
        "numer telefonu",
        "număr de telefon",
        "telefon no",
    ),
    "role": ("role", "function", "fonction", "rôle", "funktion", "rolle", "funkce", "funkcia", "rola", "rol", "görev"),
    "language": ("language", "langue", "sprache", "jazyk", "język", "limba", "dil"),
}
_BY_HEADER = {normalise_header(s): f for f, synonyms in FIELDS.items() for s in synonyms}

_ROLES: Mapping[str, ContactRole] = {
    normalise_header(k): v
    for v, names in {
        ContactRole.COLLECTION: (
            "collection",
            "collections",
            "dunning",
            "accounts payable",
            "ap",
            "recouvrement",
            "comptabilité fournisseurs",
            "mahnwesen",
            "kreditorenbuchhaltung",
            "upomínky",
            "windykacja",
            "recuperare",
            "tahsilat",
        ),
        ContactRole.BILLING: (
            "billing",
            "invoicing",
            "facturation",
            "rechnungsempfänger",
            "fakturace",
            "fakturácia",
            "fakturowanie",
            "facturare",
            "fatura",
        ),
        ContactRole.SALES: (
            "sales",
            "purchasing",
            "buyer",
            "achats",
            "einkauf",
            "nákup",
            "zakupy",
            "achiziții",
            "satın alma",  # noqa: RUF001 - Turkish dotless i,
        ),
        ContactRole.MANAGEMENT: (
            "management",
            "director",
            "ceo",
            "cfo",
            "direction",
            "geschäftsführung",
            "vedení",
            "zarząd",
            "conducere",
            "yönetim",
        ),
        ContactRole.OTHER: ("other", "autre", "sonstige", "jiné", "inne", "altele", "diğer"),
    }.items()
    for k in names
}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>.][^@\s,;<>]*\.[^@\s,;<>.]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,20}$")


@dataclass(frozen=True)
class ContactRow:
    entity: str
    account_number: str
    name: str | None
    email: str | None
    phone: str | None
    role: ContactRole
    language: str | None
    row: int

    @property
    def key(self) -> str:
        """What identifies a contact within its customer: role and address (or name)."""
        return f"{self.role}/{(self.email or self.name or '').lower()}"


@dataclass(frozen=True)
class ParsedContacts:
    file: str
    contacts: tuple[ContactRow, ...]
    errors: tuple[RowError, ...]
    rows_read: int


def parse_contacts(data: bytes, file: str) -> ParsedContacts:
    """Read a contacts file; a bad row is reported (row, field, header, value) and the others still read."""
    table = read_table(data, file)
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        field = _BY_HEADER.get(normalise_header(header))
        if field is not None and field not in columns:
            columns[field] = index
    missing = [f for f in ("entity", "account_number", "role") if f not in columns]
    if missing:
        raise FileRejected(
            tuple(
                RowError(file, table.header_row, f, f"required column {f!r} not found among {list(table.headers)}")
                for f in missing
            )
        )
    contacts: list[ContactRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    rows_read = 0
    for line, cells in table.rows:
        rows_read += 1
        read = _read_row(file, line, cells, table.headers, columns)
        if isinstance(read, list):
            errors.extend(read)
            continue
        identity = (read.entity, read.account_number, read.key)
        if identity in seen:
            errors.append(RowError(file, line, None, f"duplicate contact in file, first on row {seen[identity]}"))
            continue
        seen[identity] = line
        contacts.append(read)
    return ParsedContacts(file, tuple(contacts), tuple(errors), rows_read)


def _read_row(
    file: str, line: int, cells: tuple[str, ...], headers: tuple[str, ...], columns: dict[str, int]
) -> ContactRow | list[RowError]:
    """One contact, or every problem of its row."""
    values = {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}
    problems: list[RowError] = []

    def problem(field: str | None, reason: str) -> None:
        header = headers[columns[field]] if field in columns else None
        problems.append(RowError(file, line, field, reason, header=header, value=values.get(field) if field else None))

    for required in ("entity", "account_number"):
        if not values[required]:
            problem(required, f"{required} is required")
    role = _ROLES.get(normalise_header(values["role"])) if values["role"] else None
    if role is None:
        problem("role", f"unknown role {values['role']!r}; one of {', '.join(r.value for r in ContactRole)}")
    email = values.get("email") or None
    if email and not _EMAIL.match(email):
        problem("email", f"invalid e-mail {email!r}")
    phone = values.get("phone") or None
    if phone and not _PHONE.match(phone):
        problem("phone", f"invalid phone number {phone!r}")
    name = values.get("name") or None
    if not name and not email:
        problem(None, "a contact needs a name or an e-mail address")
    if problems or role is None:
        return problems
    language = (values.get("language") or "").lower()[:2] or None
    return ContactRow(values["entity"], values["account_number"], name, email, phone, role, language, line)

# Turkish is written with a dotless i (U+0131), which RUF001 takes for a misspelt i.
# ruff: noqa: RUF001
import pytest
from opendso_importer.domain.column_mapping import (
    CANONICAL_COLUMNS,
    SYNONYMS,
    ColumnMapping,
    canonical_field,
    layout_signature,
    locate_columns,
    propose_mapping,
    validate_mapping,
)

FRENCH = ("N° client", "Raison sociale", "N° facture", "Date facture", "Échéance", "Montant TTC", "Solde", "Devise")


def mapped(*headers: str) -> dict[str, str]:
    return dict(propose_mapping(headers).mapping.columns)


# --- synonyms -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # account_number in en, fr, de, cs, sk, pl, ro, tr
        ("Customer number", "account_number"),
        ("Account", "account_number"),
        ("N° client", "account_number"),
        ("Numéro de compte client", "account_number"),
        ("Kundennummer", "account_number"),
        ("Debitorennummer", "account_number"),
        ("Číslo zákazníka", "account_number"),
        ("Číslo odberateľa", "account_number"),
        ("Numer klienta", "account_number"),
        ("Nr. client", "account_number"),
        ("Cod client", "account_number"),
        ("Müşteri no", "account_number"),
        ("Cari kod", "account_number"),
        # item_number
        ("Invoice number", "item_number"),
        ("N° facture", "item_number"),
        ("Rechnungsnummer", "item_number"),
        ("Belegnummer", "item_number"),
        ("Číslo faktury", "item_number"),
        ("Numer faktury", "item_number"),
        ("Număr factură", "item_number"),
        ("Fatura no", "item_number"),
        # due_date
        ("Due date", "due_date"),
        ("Échéance", "due_date"),
        ("Date d'échéance", "due_date"),
        ("Fälligkeit", "due_date"),
        ("Fälligkeitsdatum", "due_date"),
        ("Splatnost", "due_date"),
        ("Datum splatnosti", "due_date"),
        ("Termin płatności", "due_date"),
        ("Data scadenței", "due_date"),
        ("Vade tarihi", "due_date"),
        # open_amount
        ("Open amount", "open_amount"),
        ("Balance", "open_amount"),
        ("Solde", "open_amount"),
        ("Reste dû", "open_amount"),
        ("Offener Betrag", "open_amount"),
        ("Restbetrag", "open_amount"),
        ("Zůstatek", "open_amount"),
        ("Saldo", "open_amount"),
        ("Pozostało do zapłaty", "open_amount"),
        ("Sold", "open_amount"),
        ("Kalan tutar", "open_amount"),
        # a few of every other field
        ("Buchungskreis", "entity"),
        ("Société", "entity"),
        ("Raison sociale", "customer_name"),
        ("Název odběratele", "customer_name"),
        ("Nazwa kontrahenta", "customer_name"),
        ("Denumire client", "customer_name"),
        ("Cari unvanı", "customer_name"),
        ("Courriel", "email"),
        ("E-posta", "email"),
        ("Sprache", "language"),
        ("Język", "language"),
        ("Pays", "country"),
        ("Ülke", "country"),
        ("Ansprechpartner", "contact_name"),
        ("Osoba kontaktowa", "contact_name"),
        ("Type de pièce", "item_type"),
        ("Belegart", "item_type"),
        ("Date facture", "issue_date"),
        ("Datum vystavení", "issue_date"),
        ("Data wystawienia", "issue_date"),
        ("Fatura tarihi", "issue_date"),
        ("Montant TTC", "amount"),
        ("Rechnungsbetrag", "amount"),
        ("Částka", "amount"),
        ("Kwota brutto", "amount"),
        ("Tutar", "amount"),
        ("Devise", "currency"),
        ("Währung", "currency"),
        ("Měna", "currency"),
        ("Waluta", "currency"),
        ("Monedă", "currency"),
        ("Para birimi", "currency"),
        ("Variabilní symbol", "reference"),
        ("Votre référence", "reference"),
        ("Kundengruppe", "customer_group"),
        ("Grupa kontrahentów", "customer_group"),
        ("Branche", "sector"),
        ("Secteur d'activité", "sector"),
        ("Sektör", "sector"),
        ("Mahnsachbearbeiter", "collector"),
        ("Windykator", "collector"),
        ("Tahsilat sorumlusu", "collector"),
        ("Commercial", "sales_rep"),
        ("Obchodní zástupce", "sales_rep"),
        ("Satış temsilcisi", "sales_rep"),
        ("Warengruppe", "product_group"),
        ("Famille de produits", "product_group"),
        ("Artikel", "product"),
        ("Produs", "product"),
        ("Priorité", "priority"),
        ("Öncelik", "priority"),
        ("Kreditlimit", "credit_limit"),
        ("Limit kupiecki", "credit_limit"),
        ("Limită de credit", "credit_limit"),
    ],
)
def test_headers_in_each_language_map_to_their_field(header: str, field: str) -> None:
    assert canonical_field(header) == field
    assert propose_mapping([header]).confidence == {field: 1.0}


@pytest.mark.parametrize(
    "alias",
    [
        "legal entity", "company", "company code", "account", "account no", "account nr", "customer number",
        "customer no", "customer nr", "customer id", "customer account", "name", "customer", "account name",
        "email address", "mail", "lang", "country code", "contact", "contact person", "item no", "invoice number",
        "invoice no", "invoice nr", "invoice", "document number", "document no", "type", "document type",
        "item kind", "invoice date", "document date", "issued", "due", "invoice amount", "original amount",
        "gross amount", "balance", "open balance", "outstanding", "outstanding amount", "amount due",
        "remaining amount", "currency code", "ccy", "ref", "your reference",
    ],
)  # fmt: skip
def test_the_english_aliases_of_earlier_versions_are_still_known(alias: str) -> None:
    assert canonical_field(alias) is not None


def test_every_field_is_known_by_its_canonical_name_and_by_synonyms() -> None:
    for field in CANONICAL_COLUMNS:
        assert canonical_field(field) == field
        assert len(SYNONYMS[field]) >= 8, field
        assert all(canonical_field(synonym) == field for synonym in SYNONYMS[field]), field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("N° CLIENT", "account_number"),
        ("numero de compte client", "account_number"),
        ("Nº client", "account_number"),
        ("FALLIGKEITSDATUM", "due_date"),
        ("Faelligkeit", None),  # a transliteration is not the word; the fuzzy match may still find it
        ("Aussendienst", "sales_rep"),
        ("Musteri no", "account_number"),
        ("MÜŞTERİ NO", "account_number"),
        ("Cari unvani", "customer_name"),
        ("Termin platnosci", "due_date"),
        ("Data scadentei", "due_date"),
        ("Data scadenţei", "due_date"),  # Romanian written with the old cedilla
        ("  due_date  ", "due_date"),
        ("Due-Date", "due_date"),
    ],
)
def test_matching_ignores_accents_case_punctuation_and_spaces(header: str, field: str | None) -> None:
    assert canonical_field(header) == field


# --- proposals ----------------------------------------------------------------------------------------


def test_a_french_export_is_mapped_entirely_and_only_the_entity_is_missing() -> None:
    proposal = propose_mapping(FRENCH)

    assert dict(proposal.mapping.columns) == {
        "account_number": "N° client",
        "customer_name": "Raison sociale",
        "item_number": "N° facture",
        "issue_date": "Date facture",
        "due_date": "Échéance",
        "amount": "Montant TTC",
        "open_amount": "Solde",
        "currency": "Devise",
    }
    assert set(proposal.confidence.values()) == {1.0}
    assert proposal.unmapped_headers == ()
    assert proposal.missing_required == ("entity",)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Invoice Num", "item_number"),
        ("Custmer numbr", "account_number"),
        ("Open amt", "open_amount"),
        ("Faelligkeitsdatum", "due_date"),
        ("Rechnungsdat.", "issue_date"),
    ],
)
def test_a_near_miss_is_proposed_with_less_than_full_confidence(header: str, field: str) -> None:
    proposal = propose_mapping([header])

    assert dict(proposal.mapping.columns) == {field: header}
    assert 0.8 <= proposal.confidence[field] < 1.0


def test_the_same_words_in_another_order_are_a_near_miss() -> None:
    proposal = propose_mapping(["Date due", "Amount invoice"])

    assert dict(proposal.mapping.columns) == {"due_date": "Date due", "amount": "Amount invoice"}
    assert proposal.confidence["due_date"] < 1.0


@pytest.mark.parametrize("header", ["Amount (EUR)", "Částka CZK", "Kwota [PLN]", "Tutar TL"])
def test_the_currency_a_column_is_in_does_not_hide_its_field(header: str) -> None:
    assert mapped(header) == {"amount": header}


@pytest.mark.parametrize("header", ["Currency rate", "Notes", "Fax", "Bemerkung", "VAT amount", "Date"])
def test_a_header_that_means_no_field_is_left_unmapped(header: str) -> None:
    proposal = propose_mapping([header])

    assert dict(proposal.mapping.columns) == {}
    assert proposal.unmapped_headers == (header,)


def test_two_headers_for_one_field_give_it_the_more_specific_one() -> None:
    proposal = propose_mapping(["Balance", "Open amount"])

    assert dict(proposal.mapping.columns) == {"open_amount": "Open amount"}
    assert proposal.unmapped_headers == ("Balance",)


def test_between_two_near_misses_the_closer_one_wins_the_field() -> None:
    proposal = propose_mapping(["Invoice nb", "Invoice numbr"])

    assert dict(proposal.mapping.columns) == {"item_number": "Invoice numbr"}
    assert proposal.unmapped_headers == ("Invoice nb",)


def test_an_exact_synonym_beats_a_near_miss_for_the_same_field() -> None:
    proposal = propose_mapping(["Invoice numbr", "Belegnummer"])

    assert dict(proposal.mapping.columns) == {"item_number": "Belegnummer"}


def test_a_header_repeated_in_the_file_is_not_proposed() -> None:
    proposal = propose_mapping(["Amount", "Amount", "Currency"])

    assert dict(proposal.mapping.columns) == {"currency": "Currency"}
    assert proposal.unmapped_headers == ("Amount", "Amount")


def test_empty_headers_are_neither_mapped_nor_listed() -> None:
    proposal = propose_mapping(["Name", "", "  "])

    assert proposal.unmapped_headers == ()


def test_item_fields_are_missing_only_when_the_file_has_items() -> None:
    customers_only = propose_mapping(["Entity", "Account", "Name", "Email"])
    with_amounts = propose_mapping(["Entity", "Account", "Name", "Amount"])

    assert customers_only.missing_required == ()
    assert with_amounts.missing_required == ("item_number", "issue_date", "due_date", "currency")


def test_a_proposal_is_a_valid_mapping_once_its_missing_fields_are_given() -> None:
    proposal = propose_mapping(FRENCH)
    mapping = ColumnMapping(proposal.mapping.columns, constant={"entity": "FR01"})

    assert validate_mapping(mapping, FRENCH) == []


# --- signatures ---------------------------------------------------------------------------------------


def test_the_signature_of_a_layout_does_not_depend_on_case_accents_order_or_empty_columns() -> None:
    assert layout_signature(FRENCH) == layout_signature(
        ["DEVISE", "n° client", "Raison Sociale", "N° Facture", "", "Date facture", "Echeance", "Montant TTC", "Solde"]
    )


def test_another_set_of_columns_has_another_signature() -> None:
    assert layout_signature(FRENCH) != layout_signature([*FRENCH, "Commercial"])
    assert layout_signature(FRENCH) != layout_signature(FRENCH[:-1])


def test_the_signature_of_a_layout_never_changes_so_saved_profiles_stay_found() -> None:
    # sha256 of the folded names, sorted and joined by U+001F.
    assert layout_signature(["Customer number", "Invoice number"]) == (
        "b5d7b9a316edfa544406f6bf6520c870f4f94f4a2e262856c6d914475785063f"
    )


# --- validation ---------------------------------------------------------------------------------------

HEADERS = ("Kunde", "Kundennr", "Rechnung", "Datum", "Fällig", "Betrag", "Währung", "Betrag")
GOOD = {
    "customer_name": "Kunde",
    "account_number": "Kundennr",
    "item_number": "Rechnung",
    "issue_date": "Datum",
    "due_date": "Fällig",
    "currency": "Währung",
}


def problems(columns: dict[str, str], constant: dict[str, str] | None = None) -> list[str]:
    return validate_mapping(ColumnMapping(columns, constant or {}), HEADERS)


def test_a_complete_mapping_has_no_problems() -> None:
    columns = {**GOOD, "amount": "Betrag"}
    assert validate_mapping(ColumnMapping(columns, {"entity": "DE01"}), HEADERS[:-1]) == []


def test_a_required_field_neither_mapped_nor_constant_is_a_problem() -> None:
    assert problems({**GOOD, "amount": "Datum"}, {}) != []
    assert any("'entity'" in p and "neither mapped nor a constant" in p for p in problems(GOOD))


def test_an_unknown_field_is_a_problem() -> None:
    assert any("unknown field 'due'" in p for p in problems({**GOOD, "due": "Fällig"}, {"entity": "DE01"}))
    assert any("unknown field 'region'" in p for p in problems(GOOD, {"entity": "DE01", "region": "EU"}))


def test_a_header_not_in_the_file_is_a_problem() -> None:
    assert any("'Offen' (for open_amount) is not in the file" in p for p in problems({**GOOD, "open_amount": "Offen"}))


def test_a_header_that_appears_twice_in_the_file_is_a_problem() -> None:
    assert any("'Betrag' (for amount) appears 2 times" in p for p in problems({**GOOD, "amount": "Betrag"}))


def test_one_header_mapped_to_two_fields_is_a_problem() -> None:
    found = problems({**GOOD, "reference": "Rechnung"}, {"entity": "DE01"})

    assert any("'Rechnung' is mapped to several fields: item_number, reference" in p for p in found)


def test_a_field_both_mapped_and_constant_is_a_problem() -> None:
    found = problems({**GOOD, "entity": "Kunde"}, {"entity": "DE01"})

    assert any("entity is both mapped to a column and a constant" in p for p in found)


def test_an_empty_constant_is_a_problem() -> None:
    assert any("constant for entity is empty" in p for p in problems(GOOD, {"entity": " "}))


def test_a_saved_mapping_still_finds_its_columns_in_a_re_cased_export() -> None:
    mapping = ColumnMapping({"account_number": "Kundennr", "due_date": "Fällig"})

    assert locate_columns(mapping, ["KUNDENNR", " fällig "]) == {"account_number": 0, "due_date": 1}


def test_a_mapping_is_a_read_only_copy_of_what_it_was_given() -> None:
    columns = {"entity": "Buchungskreis"}
    mapping = ColumnMapping(columns)
    columns["entity"] = "Firma"

    assert mapping.columns["entity"] == "Buchungskreis"
    with pytest.raises(TypeError):
        mapping.columns["entity"] = "Firma"  # type: ignore[index]
    assert mapping == ColumnMapping({"entity": "Buchungskreis"}, {})


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("City", "city"),
        ("Ville", "city"),
        ("Postleitzahl", "postal_code"),
        ("PSČ", "postal_code"),
        ("Straße", "street"),
        ("Maison mère", "parent_account"),
        ("Preferred channel", "preferred_channel"),
    ],
)
def test_address_parent_and_channel_headers_are_recognised(header: str, field: str) -> None:
    assert mapped(header) == {field: header}

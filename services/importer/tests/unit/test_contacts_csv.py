from __future__ import annotations

import pytest
from opendso_importer.domain.contacts_csv import ContactRole, parse_contacts
from opendso_importer.domain.tabular import FileRejected


def test_contacts_with_roles_in_french_headers() -> None:
    data = (
        "Société;N° client;Nom du contact;Courriel;Téléphone;Fonction\n"
        "FR01;C1;Marie Dupont;compta@dupont.example;+33 1 23 45 67 89;Recouvrement\n"
        "FR01;C1;Paul Dupont;achats@dupont.example;;Achats\n"
    ).encode("cp1252")

    parsed = parse_contacts(data, "contacts.csv")

    assert parsed.errors == ()
    assert [(c.name, c.role) for c in parsed.contacts] == [
        ("Marie Dupont", ContactRole.COLLECTION),
        ("Paul Dupont", ContactRole.SALES),
    ]
    assert parsed.contacts[0].phone == "+33 1 23 45 67 89"


def test_bad_rows_are_named_and_the_others_read() -> None:
    data = (
        b"entity;account_number;contact_name;email;role\n"
        b"DE01;K1;Klaus;klaus@x.example;Mahnwesen\n"
        b"DE01;K1;Eva;not-an-email;billing\n"
        b"DE01;K2;;;collection\n"
        b"DE01;K3;Otto;otto@x.example;astronaut\n"
        b"DE01;K1;Klaus;KLAUS@x.example;collection\n"
    )

    parsed = parse_contacts(data, "c.csv")

    assert [c.name for c in parsed.contacts] == ["Klaus"]
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "email"), (4, None), (5, "role"), (6, None)]
    assert "astronaut" in parsed.errors[2].reason
    assert "first on row 2" in parsed.errors[3].reason


def test_a_file_without_a_role_column_is_rejected_whole() -> None:
    with pytest.raises(FileRejected, match="role"):
        parse_contacts(b"entity;account_number;email\nFR01;C1;a@b.example\n", "c.csv")

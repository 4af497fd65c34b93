"""A download's name may hold characters an HTTP header cannot carry as they are."""

from __future__ import annotations

from opendso_gateway.downloads import attachment


def test_a_plain_name_is_given_as_is() -> None:
    assert attachment("rejected-42.csv") == {
        "Content-Disposition": "attachment; filename=\"rejected-42.csv\"; filename*=UTF-8''rejected-42.csv"
    }


def test_any_other_name_gets_an_ascii_fallback_and_its_exact_encoded_form() -> None:
    header = attachment('relevé "été"/Ā.csv')["Content-Disposition"]
    header.encode("latin-1")  # what the server must be able to send
    assert 'filename="relev____t____.csv"' in header
    assert "filename*=UTF-8''relev%C3%A9%20%22%C3%A9t%C3%A9%22%2F%C4%80.csv" in header

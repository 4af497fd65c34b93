"""Structured payment references hidden in remittance text: ISO 11649 "RF" creditor
references and Czech/Slovak variable symbols.

Payers type these by hand into free text as often as banks carry them in a structured
field, so the matching service gets them either way.
"""

from __future__ import annotations

import re

_RF = re.compile(r"^RF\d{2}[A-Z0-9]{1,21}$")
_RF_START = re.compile(r"(?<![A-Za-z0-9])RF(\d{2})", re.IGNORECASE)
_RF_TOKEN = re.compile(r" ?([A-Za-z0-9]+)")
_RF_MAX_BODY = 21


def is_valid_rf(ref: str) -> bool:
    """Whether ``ref`` (spaces allowed, any case) is an ISO 11649 creditor reference with
    correct check digits: "RF", two digits, up to 21 letters or digits, mod 97 = 1."""
    compact = ref.replace(" ", "").upper()
    if not _RF.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_rf_references(text: str) -> list[str]:
    """The valid RF references in ``text``, in order, without spaces and upper-cased.

    Printed references are grouped by four ("RF18 5390 0754 7034"), so a reference may
    run over several space-separated groups; the longest run of groups that passes the
    check is taken, which keeps a following word ("RF18 5390 0754 7034 INV 12") out.
    """
    found: list[str] = []
    if "rf" not in text.casefold():
        return found  # most texts: cheaper than the pattern's search at every position
    for start in _RF_START.finditer(text):
        groups: list[str] = []
        length = 0
        position = start.end()
        while (token := _RF_TOKEN.match(text, position)) is not None:
            if length + len(token.group(1)) > _RF_MAX_BODY:
                break
            groups.append(token.group(1))
            length += len(token.group(1))
            position = token.end()
        for count in range(len(groups), 0, -1):
            candidate = f"RF{start.group(1)}{''.join(groups[:count])}".upper()
            if is_valid_rf(candidate):
                if candidate not in found:
                    found.append(candidate)
                break
    return found


# "VS:123", "VS 123", "VS.123", "/VS/123", "?21VS123" (an MT940 sub-field), "Variabilní symbol: 123".
# "VS" only in capitals: lower-case "vs" is English "versus".
_VS = re.compile(
    r"(?<![A-Za-z])(?:VS|V\.S\.|(?i:var(?:iabiln[ií])?\.?\s*symbol))\s*[:.=#/-]?\s*(\d{1,10})(?!\d)",
)


def czech_variable_symbol(text: str) -> str | None:
    """The first Czech/Slovak variable symbol in ``text``: up to ten digits, leading zeros
    stripped; None when there is none (or only zeros, which banks write for "no symbol")."""
    if "VS" not in text and "V.S." not in text and "symbol" not in text.casefold():
        return None  # what every match of _VS holds: cheaper than its search at every position
    for match in _VS.finditer(text):
        symbol = match.group(1).lstrip("0")
        if symbol:
            return symbol
    return None


def classify_reference(reference: str | None, declared_type: str | None, text: str) -> tuple[str | None, str | None]:
    """The structured reference of a payment and its type ("RF", "CZ_VS" or ``declared_type``).

    A reference the bank gives wins; one that is a valid RF reference is typed "RF"
    whatever the bank declared ("SCOR" says no more). Without one, an RF reference in the
    text, then a variable symbol.
    """
    if reference is not None and reference.strip():
        compact = reference.replace(" ", "").upper()
        if compact.startswith("RF") and is_valid_rf(compact):
            return compact, "RF"
        return reference.strip(), declared_type
    rf = find_rf_references(text)
    if rf:
        return rf[0], "RF"
    symbol = czech_variable_symbol(text)
    if symbol is not None:
        return symbol, "CZ_VS"
    return None, None

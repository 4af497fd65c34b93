"""ISO 20022 bank-to-customer messages: camt.053 statements and camt.054 notifications.

Versions 02 to 08 are read alike: the elements we need kept their paths, except the
related parties, which v08 wraps in ``Pty`` (``Dbtr/Pty/Nm`` where v02-v07 have
``Dbtr/Nm``), and the transaction amount, which v02 has only in ``AmtDtls/TxAmt``.
Later versions of the two messages are read the same way; any other message is refused.

Files are streamed: each entry is read and dropped as soon as its closing tag is parsed,
so however many entries a statement has, the XML of only one is in memory at a time.

Choices the standard leaves to us:

* Only booked entries are transactions. Pending (``PDNG``) and information-only
  entries are not on the account yet and not in its balances.
* A batch booking (one entry, several ``TxDtls``) yields one transaction per ``TxDtls``
  when every one of them carries its amount in the account's currency; those amounts
  must add up to the entry. Without them the entry stays one transaction, with the
  details the ``TxDtls`` agree on and all their remittance text.
* For money received the counterparty is the debtor, for money paid out the creditor;
  the ultimate party stands in when the direct one has no name.
* An entry without transaction details (a fee, interest) takes its additional entry
  information as remittance text; with details, that note only repeats the booking type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from typing import cast

from lxml import etree
from opendso_money import Money

from opendso_importer.domain.statements.model import (
    BIC_PATTERN,
    Balance,
    Statement,
    StatementError,
    Transaction,
    check_balances,
    clean_text,
    make_money,
    normalise_iban,
)
from opendso_importer.domain.statements.references import classify_reference

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:((\w{4})\.(\d{3})\.\d{3}\.\d{2})$")
# The message's container of entries, by message number.
_CONTAINERS = {"053": "Stmt", "054": "Ntfctn"}
_AMOUNT = re.compile(r"^\d{1,18}(?:\.\d{1,5})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OPENING_CODES = ("OPBD", "PRCD")  # opening booked; previous closing booked, the same figure
_CLOSING_CODE = "CLBD"
_BOOKED = "BOOK"
_NOT_PROVIDED = "NOTPROVIDED"


def parse_camt(data: bytes, file: str) -> list[Statement]:
    """Every statement (camt.053) or notification (camt.054) in the document."""
    namespace, message, container = _message(data, file)
    return _Reader(file, namespace, message, container).read(data)


def _message(data: bytes, file: str) -> tuple[str, str, str]:
    """The document's namespace, message name ("camt.053.001.08") and container of entries,
    from its root element."""
    try:
        _, root = next(_iterparse(data, ("start",), None))
    except StopIteration:
        raise StatementError(file, "line 1", "no XML element in the file") from None
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(file, exc) from None
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    match = _NAMESPACE.match(namespace)
    if qname.localname != "Document" or match is None:
        raise StatementError(
            file,
            f"line {root.sourceline}",
            f"not an ISO 20022 message: root element {qname.localname!r} in namespace {namespace!r}",
        )
    message, kind, number = match.groups()
    if kind != "camt" or number not in _CONTAINERS:
        raise StatementError(
            file,
            f"line {root.sourceline}",
            f"{message} is not supported: only camt.053 statements and camt.054 notifications are",
        )
    return namespace, message, _CONTAINERS[number]


def _iterparse(
    data: bytes, events: tuple[str, ...], tags: tuple[str, ...] | None
) -> Iterator[tuple[str, etree._Element]]:
    # No entities and no network: a statement file comes from outside.
    parser = etree.iterparse(
        BytesIO(data),
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    return cast(Iterator[tuple[str, etree._Element]], parser)


def _syntax_error(file: str, exc: etree.XMLSyntaxError) -> StatementError:
    line = exc.position[0] if exc.position else 1
    return StatementError(file, f"line {line}", f"malformed XML: {exc.msg}")


@dataclass
class _Container:
    """A statement or notification being read: its transactions and the entry each came from."""

    index: int
    transactions: list[Transaction] = field(default_factory=list)
    wheres: list[str] = field(default_factory=list)
    entry_count: int = 0


class _Node:
    """An element with every descendant indexed by its path ("RltdPties/Dbtr/Pty/Nm").

    One walk of the subtree answers all the questions we ask of an entry; asking lxml for
    each path instead costs a call per step, which made a 100,000-entry file twice as slow.
    A node can also be a view of a sub-element of an indexed one (``base`` "NtryDtls/TxDtls/").
    """

    __slots__ = ("base", "element", "first_at", "repeated")

    def __init__(
        self,
        element: etree._Element,
        first_at: dict[str, etree._Element],
        repeated: dict[str, list[etree._Element]],
        base: str = "",
    ) -> None:
        self.element = element
        self.first_at = first_at
        self.repeated = repeated
        self.base = base

    def view(self, element: etree._Element, path: str) -> _Node:
        return _Node(element, self.first_at, self.repeated, f"{self.base}{path}/")

    def all(self, path: str) -> list[etree._Element]:
        key = self.base + path
        found = self.repeated.get(key)
        if found is not None:
            return found
        first = self.first_at.get(key)
        return [] if first is None else [first]

    def first(self, path: str) -> etree._Element | None:
        return self.first_at.get(self.base + path)

    def text(self, path: str) -> str | None:
        found = self.first_at.get(self.base + path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def texts(self, path: str) -> list[str]:
        """The non-blank texts at ``path``, whitespace collapsed."""
        return [t for t in (clean_text(e.text) for e in self.all(path)) if t]


def _index(element: etree._Element, strip: int) -> _Node:
    # One pass of lxml's own (C) iterator over the subtree's elements (not the entities left
    # unresolved), the path of each element built from its parent's.
    first_at: dict[str, etree._Element] = {}
    repeated: dict[str, list[etree._Element]] = {}
    parents: dict[etree._Element | None, str] = {element: ""}
    for child in element.iterdescendants(etree.Element):
        here = parents[child.getparent()] + child.tag[strip:]
        if here in first_at:
            repeated.setdefault(here, [first_at[here]]).append(child)
        else:
            first_at[here] = child
        if len(child):
            parents[child] = here + "/"
    return _Node(element, first_at, repeated)


class _Reader:
    """Reads one document; holds the namespace so element names are built once."""

    def __init__(self, file: str, namespace: str, message: str, container: str) -> None:
        self.file = file
        self.prefix = f"{{{namespace}}}"
        self.message = message
        self.container = container

    def _node(self, element: etree._Element) -> _Node:
        return _index(element, len(self.prefix))

    # --- the document ---------------------------------------------------------------------------

    def read(self, data: bytes) -> list[Statement]:
        container_tag = self.prefix + self.container
        entry_tag = self.prefix + "Ntry"
        statements: list[Statement] = []
        current = _Container(1)
        try:
            for _, element in _iterparse(data, ("end",), (container_tag, entry_tag)):
                if element.tag == entry_tag:
                    current.entry_count += 1
                    where = f"{self.container}[{current.index}]/Ntry[{current.entry_count}]"
                    transactions = self._entry(element, where)
                    current.transactions += transactions
                    current.wheres += [where] * len(transactions)
                    _drop(element, entry_tag)
                else:
                    statements.append(self._statement(self._node(element), current))
                    current = _Container(current.index + 1)
                    _drop(element, container_tag)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(self.file, exc) from None
        if not statements:
            raise StatementError(self.file, "Document", f"no {self.container} element in the {self.message} message")
        return statements

    def _statement(self, node: _Node, container: _Container) -> Statement:
        where = f"{self.container}[{container.index}]"
        statement_id = node.text("Id")
        if statement_id is None:
            raise self._error(where, node, "Id", "missing statement id")
        account_iban = self._iban(node, "Acct/Id/IBAN", where)
        opening, closing = self._balances(node, where)
        currency = node.text("Acct/Ccy")
        if currency is None:
            known = [b.amount.currency for b in (opening, closing) if b is not None]
            known += [t.amount.currency for t in container.transactions[:1]]
            if not known:
                raise self._error(
                    where, node, "Acct/Ccy", "cannot tell the account currency: no Acct/Ccy, balance or entry"
                )
            currency = known[0]
        for balance, name in ((opening, "opening"), (closing, "closing")):
            if balance is not None and balance.amount.currency != currency:
                raise self._error(
                    where, node, "Bal", f"{name} balance is in {balance.amount.currency}, the account in {currency}"
                )
        for tx, entry_where in zip(container.transactions, container.wheres, strict=True):
            if tx.amount.currency != currency:
                raise StatementError(
                    self.file, f"{entry_where}/Amt", f"amount in {tx.amount.currency}, the account is in {currency}"
                )
        check_balances(self.file, f"{where}/Bal", opening, closing, (t.amount for t in container.transactions))
        return Statement(
            format=self.message,
            statement_id=statement_id,
            account_iban=account_iban,
            currency=currency,
            opening_balance=opening,
            closing_balance=closing,
            transactions=tuple(container.transactions),
        )

    def _balances(self, node: _Node, where: str) -> tuple[Balance | None, Balance | None]:
        found: dict[str, Balance] = {}
        for index, element in enumerate(node.all("Bal"), start=1):
            at = f"{where}/Bal[{index}]"
            balance = self._node(element)
            code = balance.text("Tp/CdOrPrtry/Cd")
            if code not in (*_OPENING_CODES, _CLOSING_CODE) or code in found:
                continue  # available, interim and forward balances say nothing about these lines
            amount = self._amount(balance, at)
            day = self._date(balance, "Dt", at)
            if day is None:
                raise self._error(at, balance, "Dt", "balance without a date")
            found[code] = Balance(day, amount)
        opening = found.get("OPBD") or found.get("PRCD")
        return opening, found.get(_CLOSING_CODE)

    # --- entries --------------------------------------------------------------------------------

    def _entry(self, element: etree._Element, where: str) -> list[Transaction]:
        entry = self._node(element)
        status = entry.text("Sts/Cd") or entry.text("Sts")
        if status is not None and status != _BOOKED:
            return []
        amount = self._amount(entry, where)
        booking_date = self._date(entry, "BookgDt", where)
        value_date = self._date(entry, "ValDt", where)
        if booking_date is None:
            booking_date = value_date
        if booking_date is None:
            raise self._error(where, entry, "BookgDt", "entry without a booking or value date")
        base = _EntryFields(
            booking_date=booking_date,
            value_date=value_date,
            amount=amount,
            bank_reference=entry.text("AcctSvcrRef"),
            bank_transaction_code=self._bank_transaction_code(entry),
            entry_reference=entry.text("NtryRef") or where,
        )
        elements = entry.all("NtryDtls/TxDtls")
        if len(elements) <= 1:
            if elements:
                single = self._details(entry.view(elements[0], "NtryDtls/TxDtls"), f"{where}/NtryDtls/TxDtls", amount)
            else:
                # Fees, interest and the like come without details; the entry's note is all they say.
                single = _Details(remittance_text=clean_text(entry.text("AddtlNtryInf")) or "")
            return [base.transaction(single, amount)]

        details = [self._node(d) for d in elements]
        located = [(d, f"{where}/NtryDtls/TxDtls[{i}]") for i, d in enumerate(details, start=1)]
        amounts = [self._detail_amount(d, at, amount) for d, at in located]
        if any(a is None or a.currency != amount.currency for a in amounts):
            merged = _merge([self._details(d, at, amount) for d, at in located])
            return [base.transaction(merged, amount)]
        split = [cast(Money, a) for a in amounts]
        total = sum((a.amount for a in split), Decimal(0))
        if total != amount.amount:
            raise self._error(
                where, entry, "Amt", f"the batch's TxDtls amounts add up to {total}, the entry is {amount.amount}"
            )
        return [
            base.transaction(self._details(d, at, a), a, f"{base.entry_reference}/TxDtls[{i}]")
            for i, ((d, at), a) in enumerate(zip(located, split, strict=True), start=1)
        ]

    def _detail_amount(self, detail: _Node, where: str, entry_amount: Money) -> Money | None:
        """The amount of one transaction of a batch, signed by its own indicator or the entry's."""
        for path in ("Amt", "AmtDtls/TxAmt/Amt"):  # v04 and later; v02 and v03
            element = detail.first(path)
            if element is not None:
                break
        else:
            return None
        value = self._decimal(element, f"{where}/{path}")
        indicator = detail.text("CdtDbtInd")
        if indicator is None:
            negative = entry_amount.amount < 0
        else:
            negative = self._is_debit(indicator, detail.first("CdtDbtInd"), f"{where}/CdtDbtInd")
        return self._money(-value if negative else value, element, f"{where}/{path}")

    def _details(self, detail: _Node, where: str, amount: Money) -> _Details:
        party, agent = ("Dbtr", "DbtrAgt") if amount.amount >= 0 else ("Cdtr", "CdtrAgt")
        name = clean_text(
            detail.text(f"RltdPties/{party}/Pty/Nm")  # v08
            or detail.text(f"RltdPties/{party}/Nm")  # v02 to v07
            or detail.text(f"RltdPties/Ultmt{party}/Pty/Nm")
            or detail.text(f"RltdPties/Ultmt{party}/Nm")
        )
        iban = self._iban(detail, f"RltdPties/{party}Acct/Id/IBAN", where)
        bic = self._bic(detail, f"RltdAgts/{agent}/FinInstnId", where)
        end_to_end = detail.text("Refs/EndToEndId")
        if end_to_end is not None and end_to_end.replace(" ", "").upper() == _NOT_PROVIDED:
            end_to_end = None
        lines, reference, reference_type = self._remittance(detail)
        text = " ".join(lines)
        # Czech banks put the variable symbol in the end-to-end id ("/VS20260042/SS/KS0308").
        search = f"{text} {end_to_end}" if end_to_end else text
        reference, reference_type = classify_reference(reference, reference_type, search)
        return _Details(
            counterparty_name=name,
            counterparty_iban=iban,
            counterparty_bic=bic,
            remittance_text=text,
            structured_reference=reference,
            structured_reference_type=reference_type,
            end_to_end_id=end_to_end,
            bank_reference=detail.text("Refs/AcctSvcrRef"),
            bank_transaction_code=self._bank_transaction_code(detail),
        )

    def _remittance(self, detail: _Node) -> tuple[list[str], str | None, str | None]:
        """Unstructured lines, and the first creditor reference with its type.

        Further references, invoice numbers of referred documents and additional
        remittance lines join the text: the matching service reads invoice numbers there.
        """
        lines = detail.texts("RmtInf/Ustrd")
        reference = reference_type = None
        for element in detail.all("RmtInf/Strd"):
            structured = self._node(element)
            lines += structured.texts("RfrdDocInf/Nb")
            for creditor in structured.all("CdtrRefInf"):
                info = self._node(creditor)
                ref = clean_text(info.text("Ref"))
                if ref is None:
                    continue
                if reference is None:
                    reference = ref
                    reference_type = info.text("Tp/CdOrPrtry/Cd") or info.text("Tp/CdOrPrtry/Prtry")
                else:
                    lines.append(ref)
            lines += structured.texts("AddtlRmtInf")
        return lines, reference, reference_type

    def _bank_transaction_code(self, node: _Node) -> str | None:
        domain = node.text("BkTxCd/Domn/Cd")
        if domain is not None:
            family = node.text("BkTxCd/Domn/Fmly/Cd")
            sub_family = node.text("BkTxCd/Domn/Fmly/SubFmlyCd")
            return "/".join(p for p in (domain, family, sub_family) if p)
        return node.text("BkTxCd/Prtry/Cd")

    # --- values ---------------------------------------------------------------------------------

    def _amount(self, node: _Node, where: str) -> Money:
        """``Amt`` signed by ``CdtDbtInd`` (debit negative), both required."""
        amount = node.first("Amt")
        if amount is None:
            raise self._error(where, node, "Amt", "missing amount")
        value = self._decimal(amount, f"{where}/Amt")
        indicator = node.text("CdtDbtInd")
        if indicator is None:
            raise self._error(where, node, "CdtDbtInd", "missing credit/debit indicator")
        if self._is_debit(indicator, node.first("CdtDbtInd"), f"{where}/CdtDbtInd"):
            value = -value
        return self._money(value, amount, f"{where}/Amt")

    def _decimal(self, element: etree._Element, where: str) -> Decimal:
        text = (element.text or "").strip()
        if not _AMOUNT.match(text):
            raise StatementError(self.file, _at(where, element), f"not an amount: {text!r}")
        return Decimal(text)

    def _money(self, value: Decimal, element: etree._Element, where: str) -> Money:
        currency = (element.get("Ccy") or "").strip()
        try:
            return make_money(value, currency)
        except ValueError:
            raise StatementError(
                self.file, _at(where, element), f"missing or invalid currency Ccy={currency!r}"
            ) from None

    def _is_debit(self, indicator: str, element: etree._Element | None, where: str) -> bool:
        if indicator not in ("CRDT", "DBIT"):
            raise StatementError(
                self.file, _at(where, element), f"credit/debit indicator {indicator!r} is neither CRDT nor DBIT"
            )
        return indicator == "DBIT"

    def _date(self, node: _Node, path: str, where: str) -> date | None:
        """The date of a ``Dt`` or ``DtTm`` child of ``path``; a date-time's own date."""
        for child in ("Dt", "DtTm"):
            text = node.text(f"{path}/{child}")
            if text is None:
                continue
            try:
                return _parse_date(text)
            except ValueError:
                raise self._error(where, node, f"{path}/{child}", f"not a date: {text!r}") from None
        return None

    def _iban(self, node: _Node, path: str, where: str) -> str | None:
        text = node.text(path)
        if text is None:
            return None
        try:
            return normalise_iban(text)
        except ValueError as exc:
            raise self._error(where, node, path, str(exc)) from None

    def _bic(self, node: _Node, institution: str, where: str) -> str | None:
        for path in (f"{institution}/BICFI", f"{institution}/BIC"):  # v04 and later; v02 and v03
            text = node.text(path)
            if text is not None:
                if not BIC_PATTERN.match(text.upper()):
                    raise self._error(where, node, path, f"invalid BIC {text!r}")
                return text.upper()
        return None

    def _error(self, where: str, node: _Node, path: str, reason: str) -> StatementError:
        found = node.first(path)
        return StatementError(self.file, _at(f"{where}/{path}", node.element if found is None else found), reason)


@lru_cache(maxsize=1024)
def _parse_date(text: str) -> date:
    # A statement has few distinct dates and they repeat on every entry.
    if not _DATE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text[:10])


def _at(where: str, element: etree._Element | None) -> str:
    line = element.sourceline if element is not None else None
    return f"{where} (line {line})" if line else where


def _drop(element: etree._Element, tag: str) -> None:
    """Free a parsed element and the earlier ones like it, keeping the parse's memory flat."""
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    while previous is not None and previous.tag == tag:
        parent.remove(previous)
        previous = element.getprevious()


@dataclass(frozen=True, slots=True)
class _Details:
    """What a ``TxDtls`` says about one transaction."""

    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None
    remittance_text: str = ""
    structured_reference: str | None = None
    structured_reference_type: str | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    bank_transaction_code: str | None = None


def _merge(details: list[_Details]) -> _Details:
    """One entry's ``TxDtls`` as one transaction: what they all agree on, and all their text."""

    def common(values: list[str | None]) -> str | None:
        return values[0] if len(set(values)) == 1 else None

    reference = common([d.structured_reference for d in details])
    return _Details(
        counterparty_name=common([d.counterparty_name for d in details]),
        counterparty_iban=common([d.counterparty_iban for d in details]),
        counterparty_bic=common([d.counterparty_bic for d in details]),
        remittance_text=" ".join(d.remittance_text for d in details if d.remittance_text),
        structured_reference=reference,
        structured_reference_type=common([d.structured_reference_type for d in details]) if reference else None,
        end_to_end_id=common([d.end_to_end_id for d in details]),
        bank_reference=common([d.bank_reference for d in details]),
        bank_transaction_code=common([d.bank_transaction_code for d in details]),
    )


@dataclass(frozen=True, slots=True)
class _EntryFields:
    """What an entry says for all its transactions; ``TxDtls`` may refine the references."""

    booking_date: date
    value_date: date | None
    amount: Money
    bank_reference: str | None
    bank_transaction_code: str | None
    entry_reference: str

    def transaction(self, details: _Details, amount: Money, entry_reference: str | None = None) -> Transaction:
        return Transaction(
            booking_date=self.booking_date,
            value_date=self.value_date,
            amount=amount,
            counterparty_name=details.counterparty_name,
            counterparty_iban=details.counterparty_iban,
            counterparty_bic=details.counterparty_bic,
            remittance_text=details.remittance_text,
            structured_reference=details.structured_reference,
            structured_reference_type=details.structured_reference_type,
            end_to_end_id=details.end_to_end_id,
            bank_reference=details.bank_reference or self.bank_reference,
            bank_transaction_code=details.bank_transaction_code or self.bank_transaction_code,
            entry_reference=entry_reference or self.entry_reference,
        )

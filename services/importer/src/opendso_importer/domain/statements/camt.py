"""ISO 20022 bank-to-customer messages: camt.053 statements, camt.052 account reports
(intraday) and camt.054 notifications.

Versions 02 to 08 are read alike: the elements we need kept their paths, except the
related parties, which v08 wraps in ``Pty`` (``Dbtr/Pty/Nm`` where v02-v07 have
``Dbtr/Nm``), and the transaction amount, which v02 has only in ``AmtDtls/TxAmt``.
Later versions of the three messages are read the same way; any other message is refused.

Files are streamed: each entry is read and dropped as soon as it is complete (when the next
one starts), so however many entries a statement has, the XML of only one or two is in
memory at a time. Of an entry only the elements on the paths we read are visited.

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
* A camt.053 statement's closing balance must be its opening balance plus its entries.
  A camt.052 report is not checked: an intraday report may list only the entries since
  the previous one. Its closing balance is the closing booked one, else the interim
  booked one (``ITBD``), the account's booked balance when the report was made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from typing import NamedTuple, cast

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
_CONTAINERS = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}
_REPORT = "052"
_AMOUNT = re.compile(r"^\d{1,18}(?:\.\d{1,5})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OPENING_CODES = ("OPBD", "PRCD")  # opening booked; previous closing booked, the same figure
_CLOSING_CODE = "CLBD"
_INTERIM_CODE = "ITBD"  # interim booked: a report's latest booked balance
_BOOKED = "BOOK"
_NOT_PROVIDED = "NOTPROVIDED"


# --- the paths an entry is read from -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Side:
    """Where a ``TxDtls`` names one party of the payment: its name, account and bank."""

    names: tuple[str, ...]
    iban: str
    bics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _DetailPaths:
    """The paths read from a ``TxDtls``: relative to it, or to its entry when it is the only one."""

    amounts: tuple[str, ...]
    indicator: str
    payer: _Side
    payee: _Side
    end_to_end: str
    bank_reference: str
    unstructured: str
    structured: str
    codes: tuple[str, str, str, str]

    def all(self) -> tuple[str, ...]:
        sides = (path for side in (self.payer, self.payee) for path in (*side.names, side.iban, *side.bics))
        return (
            *self.amounts,
            self.indicator,
            *sides,
            self.end_to_end,
            self.bank_reference,
            self.unstructured,
            self.structured,
            *self.codes,
        )


def _side(base: str, role: str) -> _Side:
    return _Side(
        # v08 wraps the party in Pty, v02 to v07 do not; the ultimate party stands in for a nameless one.
        names=(
            f"{base}RltdPties/{role}/Pty/Nm",
            f"{base}RltdPties/{role}/Nm",
            f"{base}RltdPties/Ultmt{role}/Pty/Nm",
            f"{base}RltdPties/Ultmt{role}/Nm",
        ),
        iban=f"{base}RltdPties/{role}Acct/Id/IBAN",
        # BICFI from v04, BIC in v02 and v03.
        bics=(f"{base}RltdAgts/{role}Agt/FinInstnId/BICFI", f"{base}RltdAgts/{role}Agt/FinInstnId/BIC"),
    )


def _codes(base: str) -> tuple[str, str, str, str]:
    domain = f"{base}BkTxCd/Domn"
    return f"{domain}/Cd", f"{domain}/Fmly/Cd", f"{domain}/Fmly/SubFmlyCd", f"{base}BkTxCd/Prtry/Cd"


def _detail_paths(base: str) -> _DetailPaths:
    return _DetailPaths(
        amounts=(f"{base}Amt", f"{base}AmtDtls/TxAmt/Amt"),  # v04 and later; v02 and v03
        indicator=f"{base}CdtDbtInd",
        payer=_side(base, "Dbtr"),
        payee=_side(base, "Cdtr"),
        end_to_end=f"{base}Refs/EndToEndId",
        bank_reference=f"{base}Refs/AcctSvcrRef",
        unstructured=f"{base}RmtInf/Ustrd",
        structured=f"{base}RmtInf/Strd",
        codes=_codes(base),
    )


_DETAILS = "NtryDtls/TxDtls"
_IN_BATCH = _detail_paths("")  # one TxDtls of several, walked on its own
_IN_ENTRY = _detail_paths(f"{_DETAILS}/")  # an entry's only TxDtls, walked with the entry
_ENTRY_CODES = _codes("")
_DATE_PATHS = {path: (f"{path}/Dt", f"{path}/DtTm") for path in ("BookgDt", "ValDt", "Dt")}
# Every path read from an entry: an entry's walk visits only these elements and those on the way.
_ENTRY_PATHS = (
    "NtryRef",
    "Amt",
    "CdtDbtInd",
    "Sts",
    "Sts/Cd",
    *_DATE_PATHS["BookgDt"],
    *_DATE_PATHS["ValDt"],
    "AcctSvcrRef",
    "AddtlNtryInf",
    *_ENTRY_CODES,
    _DETAILS,
    *_IN_ENTRY.all(),
)


def parse_camt(data: bytes, file: str) -> list[Statement]:
    """Every statement (camt.053), report (camt.052) or notification (camt.054) in the document."""
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
        raise _syntax_error(file, exc, data) from None
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
            f"{message} is not supported: only camt.053 statements, camt.052 account reports and "
            "camt.054 notifications are",
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


def _syntax_error(file: str, exc: etree.XMLSyntaxError, data: bytes) -> StatementError:
    line = exc.position[0] if exc.position else 1
    reason = f"malformed XML: {exc.msg}"
    if line >= data.rstrip().count(b"\n") + 1:
        # The parser failed on the last line it was given: the document is cut short, as a
        # download or an export that stopped half way leaves it, rather than wrong somewhere.
        reason += " (the file ends before the document does: truncated?)"
    return StatementError(file, f"line {line}", reason)


@dataclass
class _Container:
    """A statement, report or notification being read: its transactions and the entry each came from."""

    index: int
    element: etree._Element
    transactions: list[Transaction] = field(default_factory=list)
    wheres: list[str] = field(default_factory=list)
    entry_count: int = 0


class _Node:
    """An element with its descendants indexed by their paths ("RltdPties/Dbtr/Pty/Nm").

    One walk of the subtree answers all the questions we ask of an element; asking lxml for
    each path instead costs a call per step. An entry's walk visits only the paths the
    reader asks for (``paths``); asking for another is a mistake in this module, not in
    the file, and raises ``LookupError``.
    """

    __slots__ = ("element", "first_at", "paths", "repeated")

    def __init__(
        self,
        element: etree._Element,
        first_at: dict[str, etree._Element],
        repeated: dict[str, list[etree._Element]],
        paths: frozenset[str] | None = None,
    ) -> None:
        self.element = element
        self.first_at = first_at
        self.repeated = repeated
        self.paths = paths

    def all(self, path: str) -> list[etree._Element]:
        found = self.repeated.get(path)
        if found is not None:
            return found
        first = self.first_at.get(path)
        if first is None:
            if self.paths is not None and path not in self.paths:
                raise LookupError(f"{path!r} is not among the paths indexed for this element")
            return []
        return [first]

    def first(self, path: str) -> etree._Element | None:
        found = self.first_at.get(path)
        if found is None and self.paths is not None and path not in self.paths:
            raise LookupError(f"{path!r} is not among the paths indexed for this element")
        return found

    def text(self, path: str) -> str | None:
        found = self.first_at.get(path)
        if found is None:
            if self.paths is not None and path not in self.paths:
                raise LookupError(f"{path!r} is not among the paths indexed for this element")
            return None
        text = found.text
        if text is None:
            return None
        return text.strip() or None

    def texts(self, path: str) -> list[str]:
        """The non-blank texts at ``path``, whitespace collapsed."""
        found = []
        for element in self.all(path):
            text = clean_text(element.text)
            if text:
                found.append(text)
        return found


def _index(element: etree._Element, strip: int) -> _Node:
    """Every descendant of the element, by path."""
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


# A tree of the paths to visit: qualified tag → (its path, the tree below it).
_Shape = dict[str, tuple[str, "_Shape"]]


def _shape(prefix: str, paths: Iterable[str]) -> _Shape:
    root: _Shape = {}
    for path in paths:
        level = root
        steps = path.split("/")
        for depth, step in enumerate(steps, start=1):
            found = level.get(prefix + step)
            if found is None:
                found = level[prefix + step] = ("/".join(steps[:depth]), {})
            level = found[1]
    return root


def _paths(shape: _Shape) -> frozenset[str]:
    """Every path of the tree, the elements on the way to a leaf included."""
    return frozenset(path for path, below in shape.values() for path in (path, *_paths(below)))


def _walk(
    element: etree._Element,
    shape: _Shape,
    first_at: dict[str, etree._Element],
    repeated: dict[str, list[etree._Element]],
) -> None:
    # Only the branches that lead to a path we read: most of an entry, but none of its
    # addresses, purposes, charges or related dates. A slice lists the children in one call,
    # cheaper than iterating them (lxml-stubs lack its overload); the grandchildren are walked
    # here too, as a call per element with children costs more than this loop.
    for child in element[:]:  # type: ignore[index]
        found = shape.get(child.tag)  # an unresolved entity's tag is a function: never found
        if found is None:
            continue
        path, below = found
        first = first_at.setdefault(path, child)
        if first is not child:
            repeated.setdefault(path, [first]).append(child)
        if not below:
            continue
        for grandchild in child[:]:  # type: ignore[index]
            found = below.get(grandchild.tag)
            if found is None:
                continue
            path, further = found
            first = first_at.setdefault(path, grandchild)
            if first is not grandchild:
                repeated.setdefault(path, [first]).append(grandchild)
            if further:
                _walk(grandchild, further, first_at, repeated)


class _Reader:
    """Reads one document; holds the namespace so element names are built once."""

    def __init__(self, file: str, namespace: str | None, message: str, container: str) -> None:
        self.file = file
        # None: elements read without their namespace (see read_camt_entries).
        self.prefix = "" if namespace is None else f"{{{namespace}}}"
        self.message = message
        self.container = container
        self.is_report = message.split(".")[1] == _REPORT
        self.entry_shape = _shape(self.prefix, _ENTRY_PATHS)
        self.detail_shape = _shape(self.prefix, _IN_BATCH.all())
        self.entry_paths = _paths(self.entry_shape)
        self.detail_paths = _paths(self.detail_shape)

    def _node(self, element: etree._Element) -> _Node:
        return _index(element, len(self.prefix))

    def _shaped(self, element: etree._Element, shape: _Shape, paths: frozenset[str]) -> _Node:
        first_at: dict[str, etree._Element] = {}
        repeated: dict[str, list[etree._Element]] = {}
        _walk(element, shape, first_at, repeated)
        return _Node(element, first_at, repeated, paths)

    # --- the document ---------------------------------------------------------------------------

    def read(self, data: bytes) -> list[Statement]:
        container_tag = self.prefix + self.container
        entry_tag = self.prefix + "Ntry"
        statements: list[Statement] = []
        current: _Container | None = None
        pending: tuple[etree._Element, _Container] | None = None  # the entry last started, and its container
        # Start events only: for end events lxml intercepts both the start and the end of every
        # element, for start events only the start, a sixth less work for the XML parser. An
        # entry (a container) is complete when the next one starts, or the document ends.
        try:
            for _, element in _iterparse(data, ("start",), (container_tag, entry_tag)):
                if pending is not None:
                    self._read_entry(*pending, entry_tag)
                    pending = None
                if element.tag == container_tag:
                    if current is not None:
                        statements.append(self._finish(current, container_tag))
                    current = _Container(len(statements) + 1, element)
                elif current is None or element.getparent() is not current.element:
                    raise StatementError(
                        self.file, _at("Ntry", element), f"an entry outside any {self.container} element"
                    )
                else:
                    pending = element, current
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(self.file, exc, data) from None
        if pending is not None:
            self._read_entry(*pending, entry_tag)
        if current is not None:
            statements.append(self._finish(current, container_tag))
        if not statements:
            raise StatementError(self.file, "Document", f"no {self.container} element in the {self.message} message")
        return statements

    def _read_entry(self, element: etree._Element, current: _Container, entry_tag: str) -> None:
        current.entry_count += 1
        where = f"{self.container}[{current.index}]/Ntry[{current.entry_count}]"
        transactions = self._entry(element, where)
        current.transactions += transactions
        current.wheres += [where] * len(transactions)
        _drop(element, entry_tag)

    def _finish(self, current: _Container, container_tag: str) -> Statement:
        statement = self._statement(self._node(current.element), current)
        _drop(current.element, container_tag)
        return statement

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
        for position, tx in enumerate(container.transactions):
            if tx.amount.currency != currency:
                # Entries read in worker processes come without their places: the caller reads
                # such a file again in one process for the exact error.
                entry_where = container.wheres[position] if container.wheres else where
                raise StatementError(
                    self.file, f"{entry_where}/Amt", f"amount in {tx.amount.currency}, the account is in {currency}"
                )
        if not self.is_report:
            check_balances(self.file, f"{where}/Bal", opening, closing, (t.amount for t in container.transactions))
        return Statement(
            format=self.message,
            statement_id=statement_id,
            account_iban=account_iban,
            currency=currency,
            opening_balance=opening,
            closing_balance=closing,
            transactions=tuple(container.transactions),
            # Without an IBAN the account's other identification keeps its lines' ids the same
            # whichever report or statement carried them.
            account_number=None if account_iban else node.text("Acct/Id/Othr/Id"),
        )

    def _balances(self, node: _Node, where: str) -> tuple[Balance | None, Balance | None]:
        wanted = (*_OPENING_CODES, _CLOSING_CODE, *((_INTERIM_CODE,) if self.is_report else ()))
        found: dict[str, Balance] = {}
        for index, element in enumerate(node.all("Bal"), start=1):
            at = f"{where}/Bal[{index}]"
            balance = self._node(element)
            code = balance.text("Tp/CdOrPrtry/Cd")
            if code is None or code not in wanted or code in found:
                continue  # available, interim and forward balances say nothing about these lines
            amount = self._amount(balance, at)
            day = self._date(balance, "Dt", at)
            if day is None:
                raise self._error(at, balance, "Dt", "balance without a date")
            found[code] = Balance(day, amount)
        opening = found.get("OPBD") or found.get("PRCD")
        return opening, found.get(_CLOSING_CODE) or found.get(_INTERIM_CODE)

    # --- entries --------------------------------------------------------------------------------

    def _entry(self, element: etree._Element, where: str) -> list[Transaction]:
        entry = self._shaped(element, self.entry_shape, self.entry_paths)
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
        entry_id = entry.text("NtryRef")
        base = _EntryFields(  # in the fields' order: see _EntryFields.transaction
            booking_date,
            value_date,
            amount,
            entry.text("AcctSvcrRef"),  # bank_reference
            self._bank_transaction_code(entry, _ENTRY_CODES),
            entry_id or where,  # entry_reference
            entry_id,
        )
        elements = entry.all(_DETAILS)
        if len(elements) <= 1:
            if elements:
                single = self._details(entry, _IN_ENTRY, where, amount)
            else:
                # Fees, interest and the like come without details; the entry's note is all they say.
                single = _Details(remittance_text=clean_text(entry.text("AddtlNtryInf")) or "")
            return [base.transaction(single, amount)]

        details = [self._shaped(d, self.detail_shape, self.detail_paths) for d in elements]
        located = [(d, f"{where}/{_DETAILS}[{i}]") for i, d in enumerate(details, start=1)]
        amounts = [self._detail_amount(d, at, amount) for d, at in located]
        if any(a is None or a.currency != amount.currency for a in amounts):
            merged = _merge([self._details(d, _IN_BATCH, at, amount) for d, at in located])
            return [base.transaction(merged, amount)]
        split = [cast(Money, a) for a in amounts]
        total = sum((a.amount for a in split), Decimal(0))
        if total != amount.amount:
            raise self._error(
                where, entry, "Amt", f"the batch's TxDtls amounts add up to {total}, the entry is {amount.amount}"
            )
        return [
            base.transaction(self._details(d, _IN_BATCH, at, a), a, f"{base.entry_reference}/TxDtls[{i}]")
            for i, ((d, at), a) in enumerate(zip(located, split, strict=True), start=1)
        ]

    def _detail_amount(self, detail: _Node, where: str, entry_amount: Money) -> Money | None:
        """The amount of one transaction of a batch, signed by its own indicator or the entry's."""
        for path in _IN_BATCH.amounts:
            element = detail.first(path)
            if element is not None:
                break
        else:
            return None
        value = self._decimal(element, where, path)
        indicator = detail.text(_IN_BATCH.indicator)
        if indicator is None:
            negative = entry_amount.amount < 0
        else:
            negative = self._is_debit(indicator, detail, where, _IN_BATCH.indicator)
        return self._money(-value if negative else value, element, where, path)

    def _details(self, node: _Node, paths: _DetailPaths, where: str, amount: Money) -> _Details:
        """What one ``TxDtls`` says; ``where`` is the element ``paths`` are relative to."""
        side = paths.payer if amount.amount >= 0 else paths.payee
        name = None
        for path in side.names:
            name = node.text(path)
            if name is not None:
                break
        end_to_end = node.text(paths.end_to_end)
        if end_to_end is not None and end_to_end.replace(" ", "").upper() == _NOT_PROVIDED:
            end_to_end = None
        lines, reference, reference_type = self._remittance(node, paths)
        text = " ".join(lines)
        # Czech banks put the variable symbol in the end-to-end id ("/VS20260042/SS/KS0308").
        search = f"{text} {end_to_end}" if end_to_end else text
        reference, reference_type = classify_reference(reference, reference_type, search)
        return _Details(  # in the fields' order: see _EntryFields.transaction
            clean_text(name),  # counterparty_name
            self._iban(node, side.iban, where),
            self._bic(node, side.bics, where),
            text,  # remittance_text
            reference,
            reference_type,
            end_to_end,
            node.text(paths.bank_reference),
            self._bank_transaction_code(node, paths.codes),
        )

    def _remittance(self, node: _Node, paths: _DetailPaths) -> tuple[list[str], str | None, str | None]:
        """Unstructured lines, and the first creditor reference with its type.

        Further references, invoice numbers of referred documents and additional
        remittance lines join the text: the matching service reads invoice numbers there.
        """
        lines = node.texts(paths.unstructured)
        reference = reference_type = None
        for element in node.all(paths.structured):
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

    def _bank_transaction_code(self, node: _Node, codes: tuple[str, str, str, str]) -> str | None:
        domain_path, family_path, sub_family_path, proprietary_path = codes
        domain = node.text(domain_path)
        if domain is None:
            return node.text(proprietary_path)
        return "/".join(filter(None, (domain, node.text(family_path), node.text(sub_family_path))))

    # --- values ---------------------------------------------------------------------------------

    def _amount(self, node: _Node, where: str) -> Money:
        """``Amt`` signed by ``CdtDbtInd`` (debit negative), both required."""
        amount = node.first("Amt")
        if amount is None:
            raise self._error(where, node, "Amt", "missing amount")
        value = self._decimal(amount, where, "Amt")
        indicator = node.text("CdtDbtInd")
        if indicator is None:
            raise self._error(where, node, "CdtDbtInd", "missing credit/debit indicator")
        if self._is_debit(indicator, node, where, "CdtDbtInd"):
            value = -value
        return self._money(value, amount, where, "Amt")

    def _decimal(self, element: etree._Element, where: str, path: str) -> Decimal:
        text = (element.text or "").strip()
        if not _AMOUNT.match(text):
            raise StatementError(self.file, _at(f"{where}/{path}", element), f"not an amount: {text!r}")
        return Decimal(text)

    def _money(self, value: Decimal, element: etree._Element, where: str, path: str) -> Money:
        currency = (element.get("Ccy") or "").strip()
        try:
            return make_money(value, currency)
        except ValueError:
            raise StatementError(
                self.file, _at(f"{where}/{path}", element), f"missing or invalid currency Ccy={currency!r}"
            ) from None

    def _is_debit(self, indicator: str, node: _Node, where: str, path: str) -> bool:
        if indicator == "DBIT":
            return True
        if indicator != "CRDT":
            raise self._error(where, node, path, f"credit/debit indicator {indicator!r} is neither CRDT nor DBIT")
        return False

    def _date(self, node: _Node, path: str, where: str) -> date | None:
        """The date of a ``Dt`` or ``DtTm`` child of ``path``; a date-time's own date."""
        for child_path in _DATE_PATHS[path]:
            text = node.text(child_path)
            if text is None:
                continue
            try:
                return _parse_date(text)
            except ValueError:
                raise self._error(where, node, child_path, f"not a date: {text!r}") from None
        return None

    def _iban(self, node: _Node, path: str, where: str) -> str | None:
        text = node.text(path)
        if text is None:
            return None
        try:
            return normalise_iban(text)
        except ValueError as exc:
            raise self._error(where, node, path, str(exc)) from None

    def _bic(self, node: _Node, paths: tuple[str, ...], where: str) -> str | None:
        for path in paths:
            text = node.text(path)
            if text is not None:
                bic = _valid_bic(text)
                if bic is None:
                    raise self._error(where, node, path, f"invalid BIC {text!r}")
                return bic
        return None

    def _error(self, where: str, node: _Node, path: str, reason: str) -> StatementError:
        found = node.first(path)
        return StatementError(self.file, _at(f"{where}/{path}", node.element if found is None else found), reason)


@lru_cache(maxsize=1024)
def _valid_bic(text: str) -> str | None:
    # Like the IBANs, a statement's BICs are a few hundred, repeated.
    bic = text.upper()
    return bic if BIC_PATTERN.match(bic) else None


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


class _Details(NamedTuple):
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


class _EntryFields(NamedTuple):
    """What an entry says for all its transactions; ``TxDtls`` may refine the references."""

    booking_date: date
    value_date: date | None
    amount: Money
    bank_reference: str | None
    bank_transaction_code: str | None
    entry_reference: str
    entry_id: str | None

    def transaction(self, details: _Details, amount: Money, entry_reference: str | None = None) -> Transaction:
        # In the fields' order, each value named like its field: with keyword arguments building
        # a line costs twice as much, and a statement can have a hundred thousand.
        return Transaction(
            self.booking_date,
            self.value_date,
            amount,
            details.counterparty_name,
            details.counterparty_iban,
            details.counterparty_bic,
            details.remittance_text,
            details.structured_reference,
            details.structured_reference_type,
            details.end_to_end_id,
            details.bank_reference or self.bank_reference,
            details.bank_transaction_code or self.bank_transaction_code,
            entry_reference or self.entry_reference,
            self.entry_id,
        )


# --- a document read in parts, by several processes ---------------------------------------------------
#
# Reading the entries is nearly all the work of a large file, and each entry is read on its own: runs of
# entries can be read by other processes while this one reads the rest of the document (its statements'
# ids, accounts and balances). Only a plain document is cut up (UTF-8, no DTD, comments, CDATA sections
# or processing instructions, entries written ``<Ntry>``): there the bytes ``<Ntry>`` and ``</Ntry>``
# can only be an entry's tags. Any other document, and any document the parts' reading finds fault
# with, is for the caller to read whole with :func:`parse_camt`, which says exactly where it is wrong.

_ENTRY_START = b"<Ntry>"
_ENTRY_END = b"</Ntry>"
_JOB_ATTRIBUTE = "opendso-job"
_PLAIN_ENCODINGS = (b"utf-8", b"utf8", b"us-ascii", b"ascii")
_XML_DECLARATION = re.compile(rb"^<\?xml\s[^>]*\?>")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([^\"']*)[\"']")


@dataclass(frozen=True, slots=True)
class CamtEntries:
    """A run of one container's entries, to be read by :func:`read_camt_entries` (in a worker process).

    ``head`` and ``tail`` wrap the entries' XML into a document with the namespaces declared where
    they were written; ``first_entry`` is the number of the container's entries before them.
    """

    file: str
    namespace: str
    message: str
    container: str
    container_index: int
    first_entry: int
    entries: int
    head: bytes
    tail: bytes
    # Whether the message's namespace is the only one in scope, the default one.
    only_default_namespace: bool


@dataclass
class CamtParts:
    """A document cut into its runs of entries and the rest (the skeleton), already read."""

    file: str
    data: bytes
    jobs: list[CamtEntries]
    # Where each job's entries are in ``data``: [start, end).
    spans: list[tuple[int, int]]
    _reader: _Reader
    _containers: list[tuple[_Container, int]]  # each container and the number of its first job

    def job_arguments(self) -> Iterator[tuple[CamtEntries, bytes]]:
        """Each job with its entries' XML, cut from the document only when asked for."""
        for job, (start, end) in zip(self.jobs, self.spans, strict=True):
            yield job, self.data[start:end]

    def finish(self, read: list[list[Transaction]]) -> list[Statement]:
        """The statements, given what :func:`read_camt_entries` answered for each job, in order."""
        statements = []
        ends = [first for _, first in self._containers[1:]] + [len(self.jobs)]
        for (container, first), end in zip(self._containers, ends, strict=True):
            for transactions in read[first:end]:
                container.transactions += transactions
            statements.append(self._reader._statement(self._reader._node(container.element), container))
        return statements


def split_camt(data: bytes, file: str, entries_per_job: int) -> CamtParts | None:
    """The document cut into jobs of at most ``entries_per_job`` entries, its skeleton read; None
    for a document that is not plain (see above) or whose skeleton is not what a statement file's is.

    Raises :class:`StatementError` for what the whole document's reading would refuse too (another
    message, a broken skeleton), though not always in the same words.
    """
    if not _plain_encoding(data):
        return None
    spans = _entry_spans(data)
    if spans is None:
        return None
    namespace, message, container_name = _message(data, file)
    reader = _Reader(file, namespace, message, container_name)
    # Each job's entries give way to one empty entry naming the job: the skeleton's reading finds it in
    # the namespace and the container the entries were in.
    jobs: list[tuple[int, int, int]] = []  # first span, spans, in a run of spans with only blanks between
    run_start = 0
    for index in range(1, len(spans) + 1):
        if (
            index == len(spans)
            or index - run_start >= entries_per_job
            or data[spans[index - 1][1] : spans[index][0]].strip()
        ):
            jobs.append((run_start, index - run_start, len(jobs)))
            run_start = index
    pieces = []
    previous_end = 0
    for first, count, number in jobs:
        pieces.append(data[previous_end : spans[first][0]])
        pieces.append(f'<Ntry {_JOB_ATTRIBUTE}="{number}"/>'.encode())
        previous_end = spans[first + count - 1][1]
    pieces.append(data[previous_end:])
    skeleton = b"".join(pieces)
    if not _is_plain(skeleton):
        return None  # a comment or a CDATA section may hide what looks like an entry's tag

    container_tag = reader.prefix + container_name
    entry_tag = reader.prefix + "Ntry"
    containers: list[tuple[_Container, int]] = []
    found: list[CamtEntries | None] = [None] * len(jobs)
    current: _Container | None = None
    entries_before = seen = 0
    try:
        for _, element in _iterparse(skeleton, ("start",), (container_tag, entry_tag)):
            if element.tag == container_tag:
                current = _Container(len(containers) + 1, element)
                containers.append((current, seen))
                entries_before = 0
                continue
            number_text = element.get(_JOB_ATTRIBUTE)
            if number_text is None or current is None or element.getparent() is not current.element:
                return None  # an entry not cut out, or outside any container: read whole
            number = int(number_text)
            if number != seen:
                return None
            seen += 1
            found[number] = CamtEntries(
                file,
                namespace,
                message,
                container_name,
                current.index,
                entries_before,
                jobs[number][1],
                *_wrapper(element),
                element.nsmap == {None: namespace},
            )
            entries_before += jobs[number][1]
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(file, exc, data) from None
    if not containers:
        raise StatementError(file, "Document", f"no {container_name} element in the {message} message")
    if any(j is None for j in found):
        return None
    return CamtParts(
        file,
        data,
        [cast(CamtEntries, j) for j in found],
        [(spans[first][0], spans[first + count - 1][1]) for first, count, _ in jobs],
        reader,
        containers,
    )


def read_camt_entries(job: CamtEntries, entries: bytes) -> list[Transaction]:
    """The transactions of a run of entries (see :func:`split_camt`), as the whole document's reading
    finds them; :class:`StatementError` for any fault."""
    prefix = f"{job.container}[{job.container_index}]/Ntry["
    if b"<!" in entries or b"<?" in entries:
        # A comment, a CDATA section or a processing instruction: what looked like the entries' tags may
        # not all be.
        raise StatementError(job.file, f"{prefix}{job.first_entry + 1}]", "not a plain run of entries")
    head, tail = job.head, job.tail
    namespace: str | None = job.namespace
    if job.only_default_namespace and b"xmlns" not in entries:
        # Every element of the entries is then in the message's namespace: read without it, their names
        # are shorter strings for lxml to build, and a sixth of the reading is saved.
        head, tail, namespace = b"<Entries>", b"</Entries>", None
    reader = _Reader(job.file, namespace, job.message, job.container)
    # A job is a few megabytes: parsed whole, cheaper than streamed and dropped entry by entry.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(head + entries + tail, parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(job.file, f"{prefix}{job.first_entry + 1}]", f"malformed XML: {exc.msg}") from None
    elements = list(root.iter(reader.prefix + "Ntry"))  # an entry inside an entry too
    if len(elements) != job.entries or len(root) != job.entries:
        raise StatementError(job.file, f"{prefix}{job.first_entry + 1}]", f"{len(elements)} entries, not {job.entries}")
    transactions: list[Transaction] = []
    for number, element in enumerate(elements, start=job.first_entry + 1):
        transactions += reader._entry(element, f"{prefix}{number}]")
    return transactions


def _declaration(data: bytes) -> tuple[int, bytes | None]:
    """Where the document's first element may start, after a UTF-8 BOM and the XML declaration, and the
    encoding that declaration names."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while data[start : start + 1].isspace():
        start += 1
    declaration = _XML_DECLARATION.match(data, start)
    if declaration is None:
        return start, None
    encoding = _ENCODING.search(declaration.group())
    return declaration.end(), None if encoding is None else encoding.group(1)


def _plain_encoding(data: bytes) -> bool:
    encoding = _declaration(data)[1]
    return encoding is None or encoding.lower() in _PLAIN_ENCODINGS


def _is_plain(skeleton: bytes) -> bool:
    """No DTD, comment, CDATA section or processing instruction after the XML declaration."""
    start = _declaration(skeleton)[0]
    return skeleton.find(b"<!", start) < 0 and skeleton.find(b"<?", start) < 0


def _entry_spans(data: bytes) -> list[tuple[int, int]] | None:
    """Where each ``<Ntry>…</Ntry>`` is, in order; None when there is none or one is not closed.

    An entry inside an entry, or an end tag without its start, is found by the parts' reading: a job
    counts its entries, and a stray end tag breaks a part's or the skeleton's XML.
    """
    spans: list[tuple[int, int]] = []
    find = data.find
    end = 0
    while (start := find(_ENTRY_START, end)) >= 0:
        close = find(_ENTRY_END, start)
        if close < 0:
            return None
        end = close + len(_ENTRY_END)
        spans.append((start, end))
    return spans or None


def _wrapper(marker: etree._Element) -> tuple[bytes, bytes]:
    """The start and end tags of an element declaring the namespaces in scope at ``marker``."""
    # In the entries' namespace (the marker's tag is "{namespace}Ntry"), so no declaration is lost.
    # lxml-stubs leave out the None key of a default namespace, which lxml takes.
    wrapper = etree.Element(f"{marker.tag[: -len('Ntry')]}Entries", nsmap=marker.nsmap)  # type: ignore[arg-type]
    wrapper.text = "-"
    xml = etree.tostring(wrapper, encoding="utf-8", xml_declaration=False)
    middle = xml.rindex(b">-</")
    return xml[: middle + 1], xml[middle + 2 :]

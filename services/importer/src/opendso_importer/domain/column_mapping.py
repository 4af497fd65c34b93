# Turkish is written with a dotless i (U+0131), which RUF001 takes for a misspelt i.
# ruff: noqa: RUF001
"""Which column of an uploaded file holds which receivables field ("smart upload").

ERPs name their columns in the user's language and their own words: "N° client",
"Kundennummer", "Cari kod" all hold the customer's account number. We propose a
mapping from known synonyms (exactly, then by near miss), a user confirms or
corrects it, and it is saved under the file's :func:`layout_signature` so the
next export of the same layout imports without asking.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from types import MappingProxyType

CUSTOMER_COLUMNS = (
    "entity",
    "account_number",
    "customer_name",
    "email",
    "language",
    "country",
    "contact_name",
    "customer_group",
    "sector",
    "collector",
    "sales_rep",
    "credit_limit",
    "street",
    "postal_code",
    "city",
    "parent_account",
    "preferred_channel",
)
ITEM_COLUMNS = (
    "item_number",
    "item_type",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "reference",
    "product_group",
    "product",
    "priority",
)
CANONICAL_COLUMNS = CUSTOMER_COLUMNS + ITEM_COLUMNS
REQUIRED_COLUMNS = ("entity", "account_number", "customer_name")
# Required as soon as the file has items (a file may hold customers only).
REQUIRED_ITEM_COLUMNS = ("item_number", "issue_date", "due_date", "amount", "currency")

# Synonyms by field, most specific first (on a tie between two headers for one
# field, the earlier synonym wins). Every canonical name is its own synonym.
# Only words that mean the field in an AR export belong here: these apply
# without confirmation when an upload has no mapping. Ambiguous words (a bare
# "Date", "Debitor" which is a number in some ERPs and a name in others) are
# left to the user.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "entity": (
        # en
        "Entity", "Legal entity", "Company code", "Company", "Business unit", "Company ID",
        # fr
        "Entité", "Entité juridique", "Code société", "Société", "Code entité",
        # de
        "Buchungskreis", "Gesellschaft", "Mandant", "Firmencode",
        # cs, sk
        "Účetní jednotka", "Účtovná jednotka", "Kód společnosti", "Kód spoločnosti",
        # pl
        "Spółka", "Kod spółki",
        # ro
        "Entitate", "Entitate juridică", "Cod companie", "Cod societate",
        # tr
        "Şirket", "Şirket kodu", "Firma kodu",
    ),
    "account_number": (
        # en
        "Account number", "Account no", "Account nr", "Account", "Customer number", "Customer no",
        "Customer nr", "Customer ID", "Customer code", "Customer account", "Client number", "Debtor number",
        "Debtor no", "Debtor account",
        # fr
        "N° client", "No client", "Numéro client", "Numéro de client", "Code client", "Compte client",
        "Numéro de compte client", "N° compte client", "N° compte", "Compte", "Compte tiers", "Code tiers",
        "N° tiers",
        # de
        "Kundennummer", "Kundennr", "Kunden-Nr.", "Kunden-Nummer", "Debitorennummer", "Debitorennr",
        "Debitor-Nr.", "Debitorenkonto", "Kundenkonto", "Konto", "Kontonummer",
        # cs
        "Číslo zákazníka", "Číslo odběratele", "Kód zákazníka", "Kód odběratele", "Číslo partnera",
        # sk
        "Číslo odberateľa", "Kód odberateľa",
        # pl
        "Numer klienta", "Nr klienta", "Kod klienta", "Numer kontrahenta", "Nr kontrahenta", "Kod kontrahenta",
        # ro
        "Nr. client", "Număr client", "Cod client", "Cont client", "Cod partener",
        # tr
        "Müşteri no", "Müşteri numarası", "Müşteri kodu", "Cari kod", "Cari kodu", "Cari hesap kodu",
        "Cari hesap no", "Hesap kodu", "Hesap no",
    ),
    "customer_name": (
        # en
        "Customer name", "Name", "Customer", "Account name", "Company name", "Debtor name", "Client name",
        # fr
        "Raison sociale", "Nom du client", "Nom client", "Nom", "Client", "Intitulé", "Intitulé client",
        "Intitulé du compte",
        # de
        "Kundenname", "Kunde", "Name 1", "Debitorname", "Firmenname", "Firma",
        # cs
        "Název zákazníka", "Název odběratele", "Název", "Zákazník", "Odběratel", "Obchodní jméno",
        "Název firmy",
        # sk
        "Názov zákazníka", "Názov odberateľa", "Názov", "Odberateľ", "Obchodné meno", "Názov firmy",
        # pl
        "Nazwa klienta", "Nazwa kontrahenta", "Nazwa", "Klient", "Kontrahent", "Nabywca", "Odbiorca",
        "Nazwa firmy",
        # ro
        "Denumire client", "Nume client", "Denumire", "Nume", "Partener", "Denumire partener",
        # tr
        "Müşteri adı", "Müşteri unvanı", "Müşteri", "Cari adı", "Cari unvanı", "Cari hesap adı", "Unvan",
        "Ünvan", "Firma adı",
    ),
    "email": (
        # en
        "Email", "E-mail", "Email address", "E-mail address", "Mail",
        # fr
        "Courriel", "Adresse e-mail", "Adresse électronique", "Adresse mail",
        # de
        "E-Mail-Adresse", "Mailadresse",
        # cs, sk
        "E-mailová adresa", "E-mailová adresa zákazníka",
        # pl
        "Adres e-mail", "Adres email",
        # ro
        "Adresă de email", "Adresă e-mail",
        # tr
        "E-posta", "E-posta adresi", "Eposta",
    ),
    "language": (
        # en
        "Language", "Lang", "Language code", "Correspondence language",
        # fr
        "Langue", "Code langue", "Langue de correspondance",
        # de
        "Sprache", "Sprachschlüssel", "Korrespondenzsprache",
        # cs, sk
        "Jazyk", "Kód jazyka", "Jazyk korespondence", "Jazyk korešpondencie",
        # pl
        "Język", "Kod języka", "Język korespondencji",
        # ro
        "Limbă", "Limba", "Cod limbă",
        # tr
        "Dil", "Dil kodu", "Yazışma dili",
    ),
    "country": (
        # en
        "Country", "Country code", "Country key",
        # fr
        "Pays", "Code pays",
        # de
        "Land", "Länderschlüssel", "Länderkennzeichen", "Ländercode",
        # cs
        "Země", "Kód země",
        # sk
        "Krajina", "Kód krajiny",
        # pl
        "Kraj", "Kod kraju",
        # ro
        "Țară", "Cod țară",
        # tr
        "Ülke", "Ülke kodu",
    ),
    "contact_name": (
        # en
        "Contact name", "Contact", "Contact person",
        # fr
        "Nom du contact", "Interlocuteur", "Personne à contacter",
        # de
        "Ansprechpartner", "Kontaktperson", "Kontakt",
        # cs
        "Kontaktní osoba", "Kontakt",
        # sk
        "Kontaktná osoba",
        # pl
        "Osoba kontaktowa", "Kontakt",
        # ro
        "Persoană de contact", "Persoana de contact",
        # tr
        "İlgili kişi", "Yetkili", "Yetkili kişi", "İletişim kişisi",
    ),
    "customer_group": (
        # en
        "Customer group", "Customer category", "Customer segment", "Customer class", "Segment",
        # fr
        "Groupe client", "Groupe de clients", "Catégorie client", "Catégorie de client", "Famille client",
        "Segment client",
        # de
        "Kundengruppe", "Kundenkategorie", "Kundensegment", "Kundenklasse",
        # cs
        "Skupina zákazníků", "Skupina odběratelů", "Kategorie zákazníka", "Skupina zákazníka",
        # sk
        "Skupina zákazníkov", "Skupina odberateľov", "Kategória zákazníka",
        # pl
        "Grupa klientów", "Grupa kontrahentów", "Kategoria klienta", "Grupa klienta",
        # ro
        "Grup client", "Grupă clienți", "Grupa clienti", "Categorie client",
        # tr
        "Müşteri grubu", "Cari grup", "Cari grubu", "Müşteri kategorisi",
    ),
    "sector": (
        # en
        "Sector", "Industry", "Business sector", "Industry sector",
        # fr
        "Secteur", "Secteur d'activité", "Branche d'activité",
        # de
        "Branche", "Sektor", "Wirtschaftszweig", "Industriezweig",
        # cs
        "Odvětví", "Obor", "Obor činnosti",
        # sk
        "Odvetvie",
        # pl
        "Branża", "Sektor działalności",
        # ro
        "Domeniu de activitate", "Industrie", "Sector de activitate",
        # tr
        "Sektör", "Faaliyet alanı", "Endüstri",
    ),
    "collector": (
        # en
        "Collector", "Credit controller", "Collections agent", "Dunning clerk", "Accounting clerk",
        # fr
        "Recouvreur", "Chargé de recouvrement", "Gestionnaire de recouvrement", "Gestionnaire recouvrement",
        # de
        "Sachbearbeiter", "Mahnsachbearbeiter", "Sachbearbeiter Mahnwesen", "Forderungsmanager",
        # cs
        "Vymahač", "Referent pohledávek", "Správce pohledávek",
        # sk
        "Vymáhač", "Referent pohľadávok", "Správca pohľadávok",
        # pl
        "Windykator", "Opiekun windykacji",
        # ro
        "Colector", "Responsabil recuperare", "Agent recuperare creanțe",
        # tr
        "Tahsilat sorumlusu", "Tahsildar", "Tahsilat temsilcisi",
    ),
    "street": (
        "Street", "Address", "Address line 1", "Street address",
        "Adresse", "Rue", "Adresse ligne 1",
        "Straße", "Strasse", "Anschrift",
        "Ulice", "Adresa",
        "Ulica",
        "Ulica i numer", "Adres",
        "Strada", "Adresă",
        "Adres satırı", "Sokak",
    ),
    "postal_code": (
        "Postal code", "Postcode", "ZIP", "ZIP code",
        "Code postal", "CP",
        "PLZ", "Postleitzahl",
        "PSČ",
        "Kod pocztowy",
        "Cod poștal",
        "Posta kodu",
    ),
    "city": (
        "City", "Town",
        "Ville", "Localité",
        "Ort", "Stadt",
        "Město", "Obec",
        "Mesto",
        "Miasto", "Miejscowość",
        "Oraș", "Localitate",
        "Şehir", "İl",
    ),
    "parent_account": (
        "Parent account", "Parent company", "Group account", "Head office account",
        "Maison mère", "Société mère", "Compte groupe",
        "Muttergesellschaft", "Konzernkonto", "Zentrale",
        "Mateřská společnost", "Nadřízený zákazník",
        "Materská spoločnosť",
        "Spółka matka", "Centrala",
        "Societate-mamă", "Cont grup",
        "Ana şirket", "Merkez hesap",
    ),
    "preferred_channel": (
        "Preferred channel", "Contact channel", "Channel",
        "Canal préféré", "Canal",
        "Bevorzugter Kanal", "Kanal",
        "Preferovaný kanál",
        "Preferovaný kanál komunikácie",
        "Preferowany kanał", "Kanał",
        "Canal preferat",
        "Tercih edilen kanal",
    ),
    "sales_rep": (
        # en
        "Sales rep", "Sales representative", "Salesperson", "Sales person", "Salesman", "Account manager",
        # fr
        "Commercial", "Représentant", "Représentant commercial", "Chargé d'affaires", "Vendeur",
        # de
        "Vertreter", "Außendienst", "Außendienstmitarbeiter", "Verkäufer", "Vertriebsmitarbeiter",
        "Kundenbetreuer",
        # cs
        "Obchodník", "Obchodní zástupce", "Prodejce",
        # sk
        "Obchodný zástupca", "Predajca",
        # pl
        "Handlowiec", "Przedstawiciel handlowy", "Opiekun klienta", "Sprzedawca",
        # ro
        "Agent de vânzări", "Agent vânzări", "Reprezentant vânzări", "Agent comercial",
        # tr
        "Satış temsilcisi", "Satış sorumlusu", "Plasiyer",
    ),
    "credit_limit": (
        # en
        "Credit limit", "Credit line",
        # fr
        "Limite de crédit", "Plafond de crédit", "Encours autorisé", "Encours maximum",
        # de
        "Kreditlimit", "Kreditlinie", "Kreditrahmen",
        # cs
        "Úvěrový limit", "Kreditní limit",
        # sk
        "Úverový limit", "Kreditný limit",
        # pl
        "Limit kredytowy", "Limit kupiecki",
        # ro
        "Limită de credit", "Plafon de credit",
        # tr
        "Kredi limiti", "Risk limiti", "Cari limit",
    ),
    "item_number": (
        # en
        "Item number", "Item no", "Invoice number", "Invoice no", "Invoice nr", "Invoice", "Document number",
        "Document no", "Document",
        # fr
        "N° facture", "No facture", "Numéro de facture", "Numéro facture", "Facture", "N° pièce",
        "Numéro de pièce", "Pièce", "N° document",
        # de
        "Rechnungsnummer", "Rechnungsnr", "Rechnungs-Nr.", "Rechnung", "Belegnummer", "Belegnr", "Beleg-Nr.",
        "Beleg", "Dokumentnummer",
        # cs
        "Číslo faktury", "Faktura", "Číslo dokladu", "Doklad",
        # sk
        "Číslo faktúry", "Faktúra",
        # pl
        "Numer faktury", "Nr faktury", "Numer dokumentu", "Nr dokumentu", "Dokument",
        # ro
        "Număr factură", "Nr. factură", "Factură", "Număr document", "Nr. document",
        # tr
        "Fatura no", "Fatura numarası", "Fatura", "Belge no", "Belge numarası", "Evrak no",
    ),
    "item_type": (
        # en
        "Item type", "Type", "Document type", "Doc type", "Item kind", "Invoice type",
        # fr
        "Type de pièce", "Type de document", "Type pièce", "Nature de pièce",
        # de
        "Belegart", "Belegtyp", "Dokumentart", "Typ",
        # cs
        "Typ dokladu", "Druh dokladu",
        # pl
        "Typ dokumentu", "Rodzaj dokumentu",
        # ro
        "Tip document", "Tip",
        # tr
        "Belge tipi", "Belge türü", "Evrak tipi", "Fatura tipi", "Tür",
    ),
    "issue_date": (
        # en
        "Issue date", "Invoice date", "Document date", "Issued", "Date issued", "Billing date",
        # fr
        "Date facture", "Date de facture", "Date de facturation", "Date d'émission", "Date pièce",
        "Date de pièce", "Date document",
        # de
        "Rechnungsdatum", "Belegdatum", "Ausstellungsdatum", "Fakturadatum",
        # cs
        "Datum vystavení", "Datum faktury", "Datum dokladu", "Vystaveno",
        # sk
        "Dátum vystavenia", "Dátum faktúry", "Dátum dokladu",
        # pl
        "Data wystawienia", "Data faktury", "Data dokumentu",
        # ro
        "Data facturii", "Dată factură", "Data factură", "Data emiterii", "Data documentului",
        # tr
        "Fatura tarihi", "Belge tarihi", "Düzenleme tarihi", "Evrak tarihi",
    ),
    "due_date": (
        # en
        "Due date", "Due", "Due on", "Payment due date", "Net due date", "Maturity date",
        # fr
        "Date d'échéance", "Échéance", "Date échéance",
        # de
        "Fälligkeitsdatum", "Fälligkeit", "Fällig am", "Nettofälligkeit", "Fälligkeitstermin",
        # cs
        "Datum splatnosti", "Splatnost", "Splatno",
        # sk
        "Dátum splatnosti", "Splatnosť",
        # pl
        "Termin płatności", "Data płatności", "Termin zapłaty", "Data wymagalności",
        # ro
        "Data scadenței", "Scadență", "Dată scadentă", "Data scadentă",
        # tr
        "Vade tarihi", "Vade",
    ),
    "amount": (
        # en
        "Amount", "Invoice amount", "Original amount", "Gross amount", "Total amount", "Amount incl. VAT",
        "Document amount",
        # fr
        "Montant", "Montant TTC", "Montant facture", "Montant initial", "Montant d'origine", "Total TTC",
        "Montant de la facture",
        # de
        "Betrag", "Rechnungsbetrag", "Bruttobetrag", "Betrag brutto", "Ursprungsbetrag", "Gesamtbetrag",
        "Belegbetrag",
        # cs
        "Částka", "Částka s DPH", "Celkem s DPH", "Fakturovaná částka", "Původní částka",
        # sk
        "Suma", "Suma s DPH", "Čiastka", "Fakturovaná suma", "Pôvodná suma", "Celkom s DPH",
        # pl
        "Kwota", "Kwota brutto", "Wartość brutto", "Kwota faktury", "Brutto",
        # ro
        "Sumă", "Valoare", "Valoare factură", "Total factură", "Sumă inițială", "Valoare totală",
        # tr
        "Tutar", "Fatura tutarı", "Toplam tutar", "Brüt tutar", "Belge tutarı",
    ),
    "open_amount": (
        # en
        "Open amount", "Amount open", "Balance", "Open balance", "Outstanding", "Outstanding amount",
        "Amount due", "Balance due", "Remaining amount", "Residual amount", "Amount outstanding",
        # fr
        "Solde", "Reste dû", "Restant dû", "Montant restant dû", "Montant restant", "Solde restant",
        "Montant ouvert", "Reste à payer",
        # de
        "Offener Betrag", "Offen", "Restbetrag", "Saldo", "Restsaldo", "Offener Saldo",
        # cs
        "Zůstatek", "Zbývá uhradit", "Neuhrazeno", "Zbývající částka", "K úhradě",
        # sk
        "Zostatok", "Zostáva uhradiť", "Neuhradené", "Na úhradu",
        # pl
        "Pozostało do zapłaty", "Do zapłaty", "Pozostała kwota", "Kwota pozostała", "Kwota do zapłaty",
        # ro
        "Sold", "Rest de plată", "Sumă restantă", "Sold restant", "Rest",
        # tr
        "Kalan tutar", "Kalan", "Bakiye", "Kalan bakiye", "Açık tutar",
    ),
    "currency": (
        # en
        "Currency", "Currency code", "Ccy", "Curr",
        # fr
        "Devise", "Code devise", "Monnaie",
        # de
        "Währung", "Währungsschlüssel", "Währungscode",
        # cs, sk
        "Měna", "Mena", "Kód měny", "Kód meny",
        # pl
        "Waluta", "Kod waluty",
        # ro
        "Monedă", "Valută", "Cod monedă",
        # tr
        "Para birimi", "Döviz", "Döviz cinsi", "Döviz kodu",
    ),
    "reference": (
        # en
        "Reference", "Ref", "Your reference", "Payment reference", "Customer order number", "PO number",
        # fr
        "Référence", "Réf", "Votre référence", "Référence de paiement", "N° de commande client",
        # de
        "Referenz", "Ihre Referenz", "Ihr Zeichen", "Zahlungsreferenz",
        # cs
        "Variabilní symbol", "Vaše značka", "Reference platby",
        # sk
        "Variabilný symbol", "Referencia", "Vaša značka",
        # pl
        "Referencja", "Numer referencyjny", "Nr referencyjny", "Tytuł płatności",
        # ro
        "Referință", "Referință plată",
        # tr
        "Referans", "Referans no",
    ),
    "product_group": (
        # en
        "Product group", "Product family", "Product line", "Product category",
        # fr
        "Famille de produits", "Famille produit", "Groupe de produits", "Gamme", "Gamme de produits",
        # de
        "Produktgruppe", "Warengruppe", "Artikelgruppe", "Produktfamilie", "Sparte",
        # cs
        "Skupina produktů", "Produktová skupina", "Skupina zboží",
        # sk
        "Skupina produktov", "Skupina tovaru",
        # pl
        "Grupa produktów", "Grupa towarowa", "Kategoria produktu",
        # ro
        "Grupă produse", "Grupa de produse", "Familie produse", "Categorie produs",
        # tr
        "Ürün grubu", "Ürün ailesi", "Stok grubu",
    ),
    "product": (
        # en
        "Product", "Product code", "Article", "SKU",
        # fr
        "Produit", "Code produit", "Code article",
        # de
        "Produkt", "Artikel", "Artikelnummer", "Material",
        # cs
        "Výrobek", "Zboží", "Kód produktu",
        # sk
        "Výrobok", "Tovar",
        # pl
        "Towar", "Artykuł", "Kod produktu",
        # ro
        "Produs", "Articol", "Cod produs",
        # tr
        "Ürün", "Ürün kodu", "Stok kodu", "Malzeme",
    ),
    "priority": (
        # en
        "Priority", "Prio",
        # fr
        "Priorité",
        # de
        "Priorität", "Dringlichkeit",
        # cs, sk
        "Priorita",
        # pl
        "Priorytet",
        # ro
        "Prioritate",
        # tr
        "Öncelik",
    ),
}  # fmt: skip

# Letters that Unicode does not decompose into a base letter plus accent, but
# that exports as often write plain ("Platnosc", "Musteri adi").
_UNACCENTED = str.maketrans({"ı": "i", "ł": "l", "đ": "d", "ø": "o", "ħ": "h"})


def normalise_header(text: str) -> str:
    """Fold case, accents, spaces and punctuation: "Due_Date", "due date", "Dúe-Date" are equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNACCENTED))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _words(text: str) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNACCENTED))
    folded = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return tuple(folded.split())


def _index_synonyms() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in CANONICAL_COLUMNS:
        for synonym in (name, *SYNONYMS[name]):
            key = normalise_header(synonym)
            if index.setdefault(key, name) != name:
                raise AssertionError(f"synonym {synonym!r} of {name} already means {index[key]}")
    return index


_BY_SYNONYM = _index_synonyms()


def canonical_field(header: str) -> str | None:
    """The field a header means by an exact synonym (after folding), or None."""
    return _BY_SYNONYM.get(normalise_header(header))


@dataclass(frozen=True)
class ColumnMapping:
    """Where each field comes from: a column of the file, or one constant for every row.

    ``columns`` maps a canonical field to a header exactly as written in the
    file; ``constant`` maps a field the file has no column for to its value
    (``entity="FR01"`` for a single-company export). Both are copied and
    read-only, so a mapping can be shared and saved safely.
    """

    columns: Mapping[str, str]
    constant: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        object.__setattr__(self, "constant", MappingProxyType(dict(self.constant)))


@dataclass(frozen=True)
class MappingProposal:
    """A mapping guessed from the headers, for a user to confirm.

    ``confidence`` is 1.0 for a header that is a known synonym of its field and
    lower for a near miss; ``missing_required`` lists required fields that no
    header matched (often ``entity``, to be given as a constant).
    """

    mapping: ColumnMapping
    unmapped_headers: tuple[str, ...]
    missing_required: tuple[str, ...]
    confidence: Mapping[str, float]


@dataclass(frozen=True)
class MappingProblem:
    """Why a mapping cannot be applied to a file; ``field`` and ``header`` when the problem has them."""

    field: str | None
    header: str | None
    message: str


def layout_signature(headers: Sequence[str]) -> str:
    """A stable key for a file layout, to find the mapping saved for it.

    Built from the folded, non-empty headers in sorted order: a mapping goes by
    header names, so an export whose columns were reordered, re-cased or had
    empty columns added still matches the profile saved for it.
    """
    names = sorted(n for n in (normalise_header(h) for h in headers) if n)
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def missing_required(present: Collection[str]) -> tuple[str, ...]:
    """The required fields absent from ``present`` (fields mapped or given a constant).

    Item fields are required only for a file that has items: ``item_number``
    or any other item field.
    """
    missing = [name for name in REQUIRED_COLUMNS if name not in present]
    if any(name in present for name in ITEM_COLUMNS):
        missing += [name for name in REQUIRED_ITEM_COLUMNS if name not in present]
    return tuple(missing)


# A near miss must be this similar to a synonym (difflib's ratio): "Open amt" for "Open amount"
# passes, "Currency rate" for "Currency" (0.80) does not; below, guesses are wrong more often than right.
FUZZY_THRESHOLD = 0.82
# A near miss never reaches the certainty of a known synonym.
_FUZZY_CEILING = 0.95
_FUZZY_MIN_LENGTH = 4
# A synonym plus the currency the column is in ("Amount (EUR)", "Částka CZK") is the synonym.
_CURRENCY_SCORE = 0.9
# ISO codes, and the local names of a few: Kč, zł, lei, TL.
_CURRENCY_WORDS = frozenset(
    {"eur", "usd", "gbp", "chf", "czk", "pln", "ron", "try", "huf", "bgn", "rsd", "sek", "nok", "dkk", "jpy"}
    | {"kc", "zl", "lei", "tl"}
)


@dataclass(frozen=True)
class _Synonym:
    field: str
    rank: int
    folded: str
    sorted_words: str


def _synonym_table() -> tuple[_Synonym, ...]:
    table: list[_Synonym] = []
    for name in CANONICAL_COLUMNS:
        for rank, synonym in enumerate((name, *SYNONYMS[name])):
            words = _words(synonym.replace("_", " "))
            table.append(_Synonym(name, rank, normalise_header(synonym), "".join(sorted(words))))
    return tuple(table)


_SYNONYM_TABLE = _synonym_table()
# Reversed, so that a synonym listed twice for a field (by two languages) keeps its first rank.
_RANK = {(s.field, s.folded): s.rank for s in reversed(_SYNONYM_TABLE)}


def propose_mapping(headers: Sequence[str]) -> MappingProposal:
    """Guess which header holds which field.

    A header that is a known synonym maps with confidence 1.0; otherwise the
    closest synonym at least :data:`FUZZY_THRESHOLD` similar (typos,
    abbreviations, words in another order). A header maps to at most one
    field and a field to at most one header, the best score winning (then the
    more specific synonym, then the leftmost column). Headers that appear
    twice are left out: a mapping by name could not tell them apart.
    """
    counts = Counter(h.strip() for h in headers)
    candidates: list[tuple[float, int, int, int]] = []  # (score, synonym rank, header index, field index)
    field_index = {name: i for i, name in enumerate(CANONICAL_COLUMNS)}
    for position, raw in enumerate(headers):
        header = raw.strip()
        folded = normalise_header(header)
        if not folded or counts[header] > 1:
            continue
        exact = _BY_SYNONYM.get(folded)
        if exact is not None:
            candidates.append((1.0, _RANK[(exact, folded)], position, field_index[exact]))
            continue
        for name, score in _near_misses(header, folded).items():
            candidates.append((score, 0, position, field_index[name]))

    columns: dict[str, str] = {}
    confidence: dict[str, float] = {}
    taken: set[int] = set()
    for score, _, position, index in sorted(candidates, key=lambda c: (-c[0], c[1], c[2], c[3])):
        name = CANONICAL_COLUMNS[index]
        if position in taken or name in columns:
            continue
        taken.add(position)
        columns[name] = headers[position].strip()
        confidence[name] = round(score, 2)

    ordered = {name: columns[name] for name in CANONICAL_COLUMNS if name in columns}
    return MappingProposal(
        mapping=ColumnMapping(ordered),
        unmapped_headers=tuple(h.strip() for i, h in enumerate(headers) if h.strip() and i not in taken),
        missing_required=missing_required(ordered),
        confidence=MappingProxyType({name: confidence[name] for name in ordered}),
    )


def _near_misses(header: str, folded: str) -> dict[str, float]:
    """Best fuzzy score per field above the threshold, for a header with no exact synonym."""
    if len(folded) < _FUZZY_MIN_LENGTH:
        return {}
    words = _words(header)
    sorted_words = "".join(sorted(words))
    best: dict[str, float] = {}
    without_currency = [w for w in words if w not in _CURRENCY_WORDS]
    if 0 < len(without_currency) < len(words):
        known = _BY_SYNONYM.get("".join(without_currency))
        if known is not None:
            best[known] = _CURRENCY_SCORE
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq1(folded)
    for synonym in _SYNONYM_TABLE:
        if len(synonym.folded) < _FUZZY_MIN_LENGTH:
            continue
        if sorted_words == synonym.sorted_words:
            score = _FUZZY_CEILING  # the same words in another order: "Date due"
        else:
            matcher.set_seq2(synonym.folded)
            if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
                continue
            score = min(matcher.ratio(), _FUZZY_CEILING)
        if score >= FUZZY_THRESHOLD and score > best.get(synonym.field, 0.0):
            best[synonym.field] = score
    return best


def validate_mapping(mapping: ColumnMapping, headers: Sequence[str]) -> list[str]:
    """What stops ``mapping`` from being applied to a file with ``headers``; empty when nothing does."""
    return [problem.message for problem in check_mapping(mapping, headers)]


def check_mapping(mapping: ColumnMapping, headers: Sequence[str]) -> list[MappingProblem]:
    """:func:`validate_mapping` with the field and header each problem is about.

    Problems: an unknown field, a header not in the file (or in it twice), one
    header mapped to two fields, a field both mapped and constant, an empty
    constant, a required field neither mapped nor constant.
    """
    problems: list[MappingProblem] = []
    known = set(CANONICAL_COLUMNS)
    for name in _unknown(mapping.columns, known):
        problems.append(MappingProblem(name, mapping.columns[name], f"unknown field '{name}'"))
    for name in _unknown(mapping.constant, known):
        problems.append(MappingProblem(name, None, f"unknown field '{name}' (constant)"))

    located = locate_columns(mapping, headers)
    by_header: dict[str, list[str]] = {}
    for name, header in mapping.columns.items():
        if name not in known:
            continue
        by_header.setdefault(header, []).append(name)
        if name not in located:
            count = sum(1 for h in headers if h.strip() == header.strip())
            if count > 1:
                message = f"header '{header}' (for {name}) appears {count} times in the file"
            else:
                message = f"header '{header}' (for {name}) is not in the file"
            problems.append(MappingProblem(name, header, message))
    for header, names in by_header.items():
        if len(names) > 1:
            problems.append(
                MappingProblem(names[1], header, f"header '{header}' is mapped to several fields: {', '.join(names)}")
            )
    for name, value in mapping.constant.items():
        if name not in known:
            continue
        if name in mapping.columns:
            problems.append(
                MappingProblem(name, mapping.columns[name], f"{name} is both mapped to a column and a constant")
            )
        if not value.strip():
            problems.append(MappingProblem(name, None, f"the constant for {name} is empty"))

    present = {n for n in (*mapping.columns, *mapping.constant) if n in known}
    for name in missing_required(present):
        problems.append(MappingProblem(name, None, f"required field '{name}' is neither mapped nor a constant"))
    return problems


def _unknown(fields: Iterable[str], known: set[str]) -> list[str]:
    return [name for name in fields if name not in known]


_SPACES = re.compile(r"\s+")


def locate_columns(mapping: ColumnMapping, headers: Sequence[str]) -> dict[str, int]:
    """Field → index of its column in ``headers``, for the mapped fields found once in the file.

    A header is found by its exact text (surrounding spaces aside), else by its
    folded form, so a saved mapping still applies to a re-cased export; a
    header present twice is found nowhere.
    """
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        exact.setdefault(_SPACES.sub(" ", header.strip()), []).append(index)
        folded.setdefault(normalise_header(header), []).append(index)
    located: dict[str, int] = {}
    for name, header in mapping.columns.items():
        matches = exact.get(_SPACES.sub(" ", header.strip())) or folded.get(normalise_header(header)) or []
        if len(matches) == 1 and normalise_header(header):
            located[name] = matches[0]
    return located

"""The e-mail templates a new tenant starts with, in English, French and German.

Three steps of increasing firmness: a friendly reminder just after the due
date, a first reminder, and a second reminder that mentions late-payment
interest and the fixed recovery compensation. Tenants copy and adapt them.
"""

from __future__ import annotations

from opendso_messaging.domain.templates import Template, choose_template

_EMAIL = "email"

# (code, language) -> (subject, body)
_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("friendly_reminder", "en"): (
        "Friendly reminder: open invoices, account #AccountNumber",
        """\
Dear #ContactName,

We hope all is well. This is a courtesy note: the following invoices for #CustomerName, \
amounting to #TotalDue, fall due shortly:

#ItemsTable

If you have already arranged the payment, please disregard this message, and thank you. \
Otherwise, we would be grateful if you could make sure it reaches us by the due date.

You can view your account statement, download your invoices or let us know about a payment \
at any time here: #PortalLink

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("first_reminder", "en"): (
        "Reminder: overdue invoices, account #AccountNumber",
        """\
Dear #ContactName,

Despite our previous reminder, the following invoices for #CustomerName remain unpaid. \
The overdue amount is #TotalOverdue, and the oldest invoice was due on #OldestDueDate.

#ItemsTable

We kindly ask you to settle this amount within the next few days. If there is a problem \
with any of these invoices, please let us know so that we can resolve it quickly.

Your account statement is available here, where you can also tell us about a payment \
or a dispute: #PortalLink

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("second_reminder", "en"): (
        "Second reminder: payment overdue, account #AccountNumber",
        """\
Dear #ContactName,

Despite our earlier reminders, we have not yet received payment of the overdue amount \
of #TotalOverdue owed by #CustomerName for the following invoices:

#ItemsTable

We ask you to make this payment within eight days. Please note that, under our terms \
of sale, late payment may incur interest and a fixed compensation for recovery costs.

If you have already paid, or if you dispute any of these invoices, please tell us straight \
away through your account page: #PortalLink

Yours sincerely,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("friendly_reminder", "fr"): (
        "Rappel amical : factures arrivant à échéance, compte #AccountNumber",
        """\
Bonjour #ContactName,

Nous nous permettons de vous rappeler que les factures suivantes de #CustomerName, d'un \
montant total de #TotalDue, arrivent prochainement à échéance :

#ItemsTable

Si vous avez déjà programmé le règlement, nous vous en remercions et vous prions de ne pas \
tenir compte de ce message. Dans le cas contraire, nous vous serions reconnaissants de bien \
vouloir veiller à ce qu'il nous parvienne à l'échéance.

Vous pouvez à tout moment consulter votre relevé de compte, télécharger vos factures ou nous \
signaler un paiement ici : #PortalLink

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("first_reminder", "fr"): (
        "Relance : factures échues, compte #AccountNumber",
        """\
Bonjour #ContactName,

Malgré notre précédent rappel, les factures ci-dessous de #CustomerName restent impayées. \
Le montant échu s'élève à #TotalOverdue ; la plus ancienne facture était payable \
le #OldestDueDate.

#ItemsTable

Nous vous remercions de bien vouloir régulariser cette situation dans les prochains jours. \
Si l'une de ces factures pose problème, merci de nous en informer afin que nous puissions \
la traiter rapidement.

Votre relevé de compte est disponible à l'adresse suivante, où vous pouvez également nous \
signaler un paiement ou un litige : #PortalLink

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("second_reminder", "fr"): (
        "Deuxième relance : retard de paiement, compte #AccountNumber",
        """\
Madame, Monsieur,

Malgré nos précédentes relances, nous n'avons toujours pas reçu le règlement de la somme \
de #TotalOverdue due par #CustomerName au titre des factures suivantes :

#ItemsTable

Nous vous demandons de bien vouloir procéder au paiement sous huit jours. Nous vous \
rappelons que, conformément à nos conditions générales de vente, tout retard de paiement \
peut donner lieu à des pénalités de retard ainsi qu'à une indemnité forfaitaire pour frais \
de recouvrement.

Si vous avez déjà effectué ce paiement ou si vous contestez l'une de ces factures, merci \
de nous en informer sans délai depuis votre espace client : #PortalLink

Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("friendly_reminder", "de"): (
        "Freundliche Zahlungserinnerung, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

wir möchten Sie freundlich daran erinnern, dass die folgenden Rechnungen von \
#CustomerName über insgesamt #TotalDue in Kürze fällig werden:

#ItemsTable

Sollten Sie die Zahlung bereits veranlasst haben, betrachten Sie diese Nachricht bitte als \
gegenstandslos. Andernfalls bitten wir Sie, den Betrag bis zum Fälligkeitsdatum zu begleichen.

Ihren Kontoauszug und Ihre Rechnungen finden Sie jederzeit hier; dort können Sie uns auch \
eine Zahlung mitteilen: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("first_reminder", "de"): (
        "Erste Mahnung: überfällige Rechnungen, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

trotz unserer Zahlungserinnerung sind die folgenden Rechnungen von #CustomerName noch \
nicht beglichen. Der überfällige Betrag beläuft sich auf #TotalOverdue; die älteste \
Rechnung war am #OldestDueDate fällig.

#ItemsTable

Wir bitten Sie, den Betrag innerhalb der nächsten Tage zu überweisen. Falls es bei einer \
dieser Rechnungen Unstimmigkeiten gibt, teilen Sie uns dies bitte mit, damit wir sie rasch \
klären können.

Ihren Kontoauszug finden Sie hier; dort können Sie uns auch eine Zahlung oder einen \
Einwand mitteilen: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("second_reminder", "de"): (
        "Zweite Mahnung: Zahlungsverzug, Kundenkonto #AccountNumber",
        """\
Sehr geehrte Damen und Herren,

trotz unserer bisherigen Erinnerungen ist der überfällige Betrag von #TotalOverdue \
für #CustomerName bei uns noch nicht eingegangen. Es handelt sich um folgende Rechnungen:

#ItemsTable

Wir bitten Sie, den offenen Betrag innerhalb von acht Tagen zu begleichen. Bitte beachten \
Sie, dass bei Zahlungsverzug Verzugszinsen sowie eine Verzugspauschale anfallen können.

Sollten Sie die Zahlung bereits geleistet haben oder mit einer der Rechnungen nicht \
einverstanden sein, teilen Sie uns dies bitte umgehend über Ihr Kundenkonto mit: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
}


def builtin_templates() -> list[Template]:
    """Every built-in e-mail template, one per code and language."""
    return [
        Template(code=code, channel=_EMAIL, language=language, subject=subject, body=body)
        for (code, language), (subject, body) in _TEXTS.items()
    ]


def find_template(code: str, language: str, fallback: str = "en") -> Template:
    """The built-in template for ``code`` in ``language``, falling back to ``fallback`` (English).

    Raises ``KeyError`` naming the code when no built-in template has it.
    """
    return choose_template(builtin_templates(), code, language, fallback)

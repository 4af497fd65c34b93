"""The message templates a new tenant starts with, in English, French and German.

One code per message the built-in scenarios and item statuses send; tenants
copy and adapt them.

- ``friendly_reminder``: a courtesy note shortly before the due date.
- ``gentle_reminder``: a light "have we missed your payment?" after it.
- ``first_reminder`` and ``second_reminder``: the standard reminders, the
  second mentioning late-payment interest and the recovery compensation.
- ``overdue_notice`` and ``firm_reminder``: the firm scenario's reminders; the
  second announces the formal notice.
- ``formal_notice_letter``: the formal notice to pay, a dated letter giving
  eight days; ``formal_notice_email`` is its copy by e-mail.
- ``key_account_reminder`` and ``key_account_follow_up``: personal notes a
  collector validates before they go to a key account.
- ``dispute_acknowledgement``, ``promise_to_pay_confirmation`` and
  ``payment_plan_confirmation``: the confirmations a status sends when a
  collector qualifies items (dispute, promise to pay, payment plan); each says
  reminders for the items are paused. No hashtag prints a promised day or
  instalments, so the texts refer to them without dates.

No text quotes ``#LatePenalty`` or ``#RecoveryCost``: the SendMessage command
carries no penalty amounts yet, so they would print as zero.
"""

from __future__ import annotations

from opendso_messaging.domain.templates import Template, choose_template

_EMAIL = "email"
_LETTER = "letter"

# Codes are unique across channels: a scenario step names a template by code alone.
_CHANNELS: dict[str, str] = {
    "friendly_reminder": _EMAIL,
    "gentle_reminder": _EMAIL,
    "first_reminder": _EMAIL,
    "second_reminder": _EMAIL,
    "overdue_notice": _EMAIL,
    "firm_reminder": _EMAIL,
    "formal_notice_letter": _LETTER,
    "formal_notice_email": _EMAIL,
    "key_account_reminder": _EMAIL,
    "key_account_follow_up": _EMAIL,
    "dispute_acknowledgement": _EMAIL,
    "promise_to_pay_confirmation": _EMAIL,
    "payment_plan_confirmation": _EMAIL,
}

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
    # --- gentle_reminder: a week after the due date, for customers who usually pay on time.
    ("gentle_reminder", "en"): (
        "A quick note about your account #AccountNumber",
        """\
Dear #ContactName,

The following invoices for #CustomerName have recently passed their due date, and we have \
not yet received payment for them. The amount outstanding is #TotalOverdue.

#ItemsTable

It may simply have slipped through, or your payment may already be on its way; if so, \
thank you, and please disregard this message. If something is holding it up, such as a \
missing purchase order number or a question about an invoice, just let us know and we will \
sort it out.

Your account statement and copies of your invoices are available here, where you can also \
tell us about a payment: #PortalLink

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("gentle_reminder", "fr"): (
        "Petit rappel concernant votre compte #AccountNumber",
        """\
Bonjour #ContactName,

Sauf erreur de notre part, les factures suivantes de #CustomerName sont arrivées à échéance \
sans que nous ayons encore reçu leur règlement. Le montant restant dû s'élève \
à #TotalOverdue.

#ItemsTable

Il s'agit peut-être d'un simple oubli, ou votre paiement est déjà en route ; dans ce cas, \
merci, et ne tenez pas compte de ce message. Si quelque chose bloque le règlement, par \
exemple un numéro de commande manquant ou une question sur une facture, n'hésitez pas \
à nous le dire : nous ferons le nécessaire.

Vous trouverez votre relevé de compte et vos factures à l'adresse suivante, où vous pouvez \
aussi nous signaler un paiement : #PortalLink

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("gentle_reminder", "de"): (
        "Kurze Erinnerung zu Ihrem Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

die folgenden Rechnungen von #CustomerName sind inzwischen fällig, ein Zahlungseingang ist \
bei uns aber noch nicht verbucht. Der offene Betrag beläuft sich auf #TotalOverdue.

#ItemsTable

Vielleicht ist die Zahlung einfach untergegangen oder bereits unterwegs. In diesem Fall \
danken wir Ihnen und bitten Sie, diese Nachricht als gegenstandslos zu betrachten. Falls etwas der \
Zahlung im Weg steht, etwa eine fehlende Bestellnummer oder eine Frage zu einer Rechnung, \
geben Sie uns bitte kurz Bescheid; wir kümmern uns gern darum.

Ihren Kontoauszug und Ihre Rechnungen finden Sie jederzeit hier; dort können Sie uns auch \
eine Zahlung mitteilen: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- overdue_notice: the firm scenario's first message, the day after the due date.
    ("overdue_notice", "en"): (
        "Payment overdue: account #AccountNumber",
        """\
Dear #ContactName,

The following invoices for #CustomerName are now past their due date and remain unpaid. \
The overdue amount is #TotalOverdue.

#ItemsTable

We ask you to arrange payment without delay. If you have already paid, please disregard \
this message. If you believe any of these invoices is incorrect, please tell us now, so \
that we can resolve it without holding up payment of the others.

Your account statement is available here, where you can also report a payment or \
a dispute: #PortalLink

Yours sincerely,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("overdue_notice", "fr"): (
        "Retard de paiement : compte #AccountNumber",
        """\
Madame, Monsieur,

Les factures suivantes de #CustomerName ont dépassé leur date d'échéance et restent \
impayées à ce jour. Le montant échu s'élève à #TotalOverdue.

#ItemsTable

Nous vous demandons de bien vouloir procéder à leur règlement sans délai. Si celui-ci a \
déjà été effectué, merci de ne pas tenir compte de ce message. Si vous estimez que l'une \
de ces factures est erronée, merci de nous le signaler dès à présent, afin que nous \
puissions la régulariser sans retarder le paiement des autres.

Votre relevé de compte est disponible à l'adresse suivante, où vous pouvez également nous \
signaler un paiement ou un litige : #PortalLink

Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("overdue_notice", "de"): (
        "Zahlungsaufforderung: überfällige Rechnungen, Kundenkonto #AccountNumber",
        """\
Sehr geehrte Damen und Herren,

die folgenden Rechnungen von #CustomerName haben ihr Fälligkeitsdatum überschritten und \
sind noch nicht bezahlt. Der überfällige Betrag beläuft sich auf #TotalOverdue.

#ItemsTable

Wir bitten Sie, den Betrag umgehend zu überweisen. Sollten Sie bereits gezahlt haben, \
betrachten Sie diese Nachricht bitte als gegenstandslos. Halten Sie eine dieser Rechnungen \
für fehlerhaft, teilen Sie uns dies bitte sofort mit, damit wir sie klären können, ohne \
dass sich die Zahlung der übrigen verzögert.

Ihren Kontoauszug finden Sie hier; dort können Sie uns auch eine Zahlung oder einen \
Einwand mitteilen: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- firm_reminder: ten days after the due date; announces the formal notice.
    ("firm_reminder", "en"): (
        "Second reminder before formal notice, account #AccountNumber",
        """\
Dear #ContactName,

Despite our reminder, the overdue amount of #TotalOverdue owed by #CustomerName for the \
following invoices has still not been paid:

#ItemsTable

Please note that, under our terms of sale and the applicable law, late payment entitles \
us to late-payment interest and to a fixed compensation for recovery costs for each \
invoice paid late. We reserve the right to claim them.

We ask you to pay the full amount within eight days. If we have not received payment by \
then, we will send you a formal notice to pay, after which the matter may be handed over \
for recovery.

If you have already paid, or if you dispute any of these invoices, please let us know \
straight away through your account page: #PortalLink

Yours sincerely,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("firm_reminder", "fr"): (
        "Deuxième relance avant mise en demeure, compte #AccountNumber",
        """\
Madame, Monsieur,

Malgré notre précédente relance, la somme de #TotalOverdue due par #CustomerName au titre \
des factures ci-dessous n'est toujours pas réglée :

#ItemsTable

Nous vous rappelons que, conformément à nos conditions générales de vente et aux \
dispositions légales applicables, tout retard de paiement donne lieu à des pénalités de \
retard ainsi qu'à une indemnité forfaitaire pour frais de recouvrement par facture. Nous \
nous réservons le droit de vous les réclamer.

Nous vous demandons de régler l'intégralité de cette somme sous huit jours. À défaut, nous \
vous adresserons une mise en demeure de payer, qui pourra être suivie d'une procédure de \
recouvrement.

Si vous avez déjà effectué ce paiement ou si vous contestez l'une de ces factures, merci \
de nous en informer sans délai depuis votre espace client : #PortalLink

Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("firm_reminder", "de"): (
        "Zweite Mahnung, Kundenkonto #AccountNumber",
        """\
Sehr geehrte Damen und Herren,

trotz unserer Zahlungsaufforderung ist der überfällige Betrag von #TotalOverdue für \
#CustomerName noch immer nicht bei uns eingegangen. Es handelt sich um folgende Rechnungen:

#ItemsTable

Bitte beachten Sie, dass bei Zahlungsverzug nach unseren Allgemeinen Geschäftsbedingungen \
und den gesetzlichen Bestimmungen Verzugszinsen sowie je Rechnung eine Verzugspauschale \
anfallen. Wir behalten uns vor, diese geltend zu machen.

Wir bitten Sie, den gesamten Betrag innerhalb von acht Tagen zu begleichen. Geht die \
Zahlung bis dahin nicht ein, erhalten Sie von uns eine letzte Mahnung mit Fristsetzung; \
danach kann die Forderung zur Beitreibung abgegeben werden.

Sollten Sie bereits gezahlt haben oder mit einer der Rechnungen nicht einverstanden sein, \
teilen Sie uns dies bitte umgehend über Ihr Kundenkonto mit: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- formal_notice_letter: the formal notice itself. Dated, because its eight days
    # run from that date; no deadline hashtag exists to print the last day.
    ("formal_notice_letter", "en"): (
        "Formal notice to pay, account #AccountNumber",
        """\
#Today

For the attention of #ContactName

Dear Sir or Madam,

Despite our reminders, #CustomerName has not paid the following invoices, which are \
overdue:

#ItemsTable

The overdue amount is #TotalOverdue.

We hereby give you formal notice to pay this amount in full within eight days of the date \
of this letter.

If payment has not reached us by the end of that period, we will, without further notice, \
refer the matter to our lawyers or to a debt collection agency for recovery, through the \
courts if necessary. Late-payment interest, the fixed compensation for recovery costs and \
the costs of recovery may then be claimed from you in addition to the amount owed.

If you have already paid, or if you dispute any of these invoices, please inform us \
before that period ends. Your account statement is available at: #PortalLink

Yours faithfully,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("formal_notice_letter", "fr"): (
        "Mise en demeure de payer, compte #AccountNumber",
        """\
Le #Today

À l'attention de #ContactName

Madame, Monsieur,

Malgré nos relances, #CustomerName ne nous a toujours pas réglé les factures suivantes, \
arrivées à échéance :

#ItemsTable

Le montant restant dû s'élève à #TotalOverdue.

Par la présente, nous vous mettons en demeure de nous régler l'intégralité de cette somme \
dans un délai de huit jours à compter de la date du présent courrier.

À défaut de règlement dans ce délai, nous confierons, sans autre avis, le recouvrement \
de cette créance à notre avocat ou à une société de recouvrement, le cas échéant par voie \
judiciaire. Les pénalités de retard, l'indemnité forfaitaire pour frais de recouvrement \
ainsi que les frais de recouvrement engagés pourront alors vous être réclamés en sus \
du principal.

Si vous avez déjà procédé au règlement ou si vous contestez l'une de ces factures, merci \
de nous en informer avant l'expiration de ce délai. Votre relevé de compte est consultable \
à l'adresse suivante : #PortalLink

Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("formal_notice_letter", "de"): (
        "Letzte Mahnung mit Fristsetzung, Kundenkonto #AccountNumber",
        """\
#Today

z. Hd. #ContactName

Sehr geehrte Damen und Herren,

trotz unserer Mahnungen hat #CustomerName die folgenden fälligen Rechnungen bis heute \
nicht beglichen:

#ItemsTable

Der überfällige Betrag beläuft sich auf #TotalOverdue.

Wir fordern Sie hiermit letztmalig auf, diesen Betrag innerhalb von acht Tagen ab dem \
Datum dieses Schreibens vollständig zu zahlen.

Geht die Zahlung nicht fristgerecht bei uns ein, werden wir die Forderung ohne weitere \
Ankündigung unserem Rechtsanwalt oder einem Inkassounternehmen zur Beitreibung übergeben, \
gegebenenfalls auch auf gerichtlichem Weg. Neben der Hauptforderung können Ihnen dann Verzugszinsen, \
die Verzugspauschale und die entstandenen Beitreibungskosten in Rechnung gestellt werden.

Haben Sie bereits gezahlt oder bestreiten Sie eine dieser Rechnungen, teilen Sie uns dies \
bitte vor Ablauf der Frist mit. Ihren Kontoauszug finden Sie unter: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- formal_notice_email: the copy, sent the day after the letter. Its deadline
    # refers to the letter's date so that the debtor is given one deadline, not two.
    ("formal_notice_email", "en"): (
        "Formal notice to pay, account #AccountNumber",
        """\
Dear #ContactName,

We have sent #CustomerName a formal notice to pay by post concerning the following \
invoices, which remain unpaid despite our reminders. We are also sending it to you by \
e-mail so that it reaches you without delay.

#ItemsTable

The overdue amount is #TotalOverdue. We hereby give you formal notice to pay this amount \
in full within eight days of the date of our letter.

If payment has not reached us by the end of that period, we will, without further notice, \
refer the matter to our lawyers or to a debt collection agency for recovery, through the \
courts if necessary. Late-payment interest, the fixed compensation for recovery costs and \
the costs of recovery may then be claimed from you in addition to the amount owed.

If you have already paid, or if you dispute any of these invoices, please inform us \
before that period ends through your account page: #PortalLink

Yours sincerely,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("formal_notice_email", "fr"): (
        "Mise en demeure de payer, compte #AccountNumber",
        """\
Madame, Monsieur,

Nous avons adressé par courrier à #CustomerName une mise en demeure de payer les factures \
ci-dessous, qui restent impayées malgré nos relances. Nous vous la transmettons également \
par e-mail afin qu'elle vous parvienne sans délai.

#ItemsTable

Le montant restant dû s'élève à #TotalOverdue. Par la présente, nous vous mettons \
en demeure de nous régler l'intégralité de cette somme dans un délai de huit jours \
à compter de la date de notre courrier.

À défaut de règlement dans ce délai, nous confierons, sans autre avis, le recouvrement \
de cette créance à notre avocat ou à une société de recouvrement, le cas échéant par voie \
judiciaire. Les pénalités de retard, l'indemnité forfaitaire pour frais de recouvrement \
ainsi que les frais de recouvrement engagés pourront alors vous être réclamés en sus \
du principal.

Si vous avez déjà procédé au règlement ou si vous contestez l'une de ces factures, merci \
de nous en informer avant l'expiration de ce délai depuis votre espace client : #PortalLink

Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("formal_notice_email", "de"): (
        "Letzte Mahnung mit Fristsetzung, Kundenkonto #AccountNumber",
        """\
Sehr geehrte Damen und Herren,

wir haben #CustomerName per Post eine letzte Mahnung mit Fristsetzung zu den folgenden \
Rechnungen zugesandt, die trotz unserer Mahnungen noch offen sind. Damit sie Sie ohne \
Verzögerung erreicht, erhalten Sie sie zusätzlich per E-Mail.

#ItemsTable

Der überfällige Betrag beläuft sich auf #TotalOverdue. Wir fordern Sie hiermit letztmalig \
auf, diesen Betrag innerhalb von acht Tagen ab dem Datum unseres Schreibens vollständig \
zu zahlen.

Geht die Zahlung nicht fristgerecht bei uns ein, werden wir die Forderung ohne weitere \
Ankündigung unserem Rechtsanwalt oder einem Inkassounternehmen zur Beitreibung übergeben, \
gegebenenfalls auch auf gerichtlichem Weg. Neben der Hauptforderung können Ihnen dann Verzugszinsen, \
die Verzugspauschale und die entstandenen Beitreibungskosten in Rechnung gestellt werden.

Haben Sie bereits gezahlt oder bestreiten Sie eine dieser Rechnungen, teilen Sie uns dies \
bitte vor Ablauf der Frist über Ihr Kundenkonto mit: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- key_account_reminder and key_account_follow_up: written in the collector's own
    # voice, since a collector reads and sends each one to a customer they know.
    ("key_account_reminder", "en"): (
        "Open invoices on your account #AccountNumber",
        """\
Dear #ContactName,

I am getting in touch personally about the following invoices for #CustomerName, which \
are now past their due date. The overdue amount is #TotalOverdue.

#ItemsTable

Could you let me know when we can expect payment? If something is holding it up on your \
side, such as an internal approval, a missing purchase order number or a question about \
one of the invoices, tell me and I will make sure it is dealt with quickly.

You can also see the full account statement, and tell us about a payment, here: \
#PortalLink

Thank you in advance, and best regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("key_account_reminder", "fr"): (
        "Factures en attente de règlement, compte #AccountNumber",
        """\
Bonjour #ContactName,

Je me permets de vous contacter personnellement au sujet des factures suivantes \
de #CustomerName, dont l'échéance est aujourd'hui dépassée. Le montant échu s'élève \
à #TotalOverdue.

#ItemsTable

Pourriez-vous m'indiquer à quelle date nous pouvons attendre le règlement ? Si quelque \
chose le retarde de votre côté, qu'il s'agisse d'une validation interne, d'un numéro de \
commande manquant ou d'une question sur l'une des factures, dites-le-moi et je veillerai \
à ce que ce soit traité rapidement.

Vous pouvez également consulter le relevé complet de votre compte et nous signaler un \
paiement ici : #PortalLink

Je vous remercie par avance.

Bien cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("key_account_reminder", "de"): (
        "Offene Rechnungen auf Ihrem Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

ich wende mich persönlich an Sie wegen der folgenden Rechnungen von #CustomerName, deren \
Fälligkeit inzwischen überschritten ist. Der überfällige Betrag beläuft sich \
auf #TotalOverdue.

#ItemsTable

Können Sie mir sagen, wann wir mit der Zahlung rechnen dürfen? Falls auf Ihrer Seite \
etwas die Zahlung aufhält, etwa eine interne Freigabe, eine fehlende Bestellnummer oder \
eine Frage zu einer Rechnung, geben Sie mir bitte Bescheid; ich sorge dann dafür, dass \
es schnell geklärt wird.

Den vollständigen Kontoauszug finden Sie hier; dort können Sie uns auch eine Zahlung \
mitteilen: #PortalLink

Vielen Dank und freundliche Grüße

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("key_account_follow_up", "en"): (
        "Follow-up: overdue invoices on account #AccountNumber",
        """\
Dear #ContactName,

I wrote to you recently about the invoices below, and I see that they are still open. \
The overdue amount for #CustomerName now stands at #TotalOverdue.

#ItemsTable

I would be grateful if you could confirm a payment date by return, or put me in touch \
with the right person in your accounts payable team. If it would help to talk it \
through, I will gladly arrange a call at a time that suits you.

Your account statement is available here: #PortalLink

Best regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("key_account_follow_up", "fr"): (
        "Suivi : factures échues, compte #AccountNumber",
        """\
Bonjour #ContactName,

Je reviens vers vous concernant les factures ci-dessous, au sujet desquelles je vous ai \
écrit récemment et qui restent à ce jour impayées. Le montant échu de #CustomerName \
s'élève désormais à #TotalOverdue.

#ItemsTable

Merci de bien vouloir me confirmer une date de règlement par retour, ou de me mettre en \
relation avec la personne qui suit ces paiements dans votre service comptable. Si vous \
préférez en parler de vive voix, je vous propose volontiers un rendez-vous téléphonique \
au moment qui vous convient.

Le relevé de votre compte est disponible ici : #PortalLink

Bien cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("key_account_follow_up", "de"): (
        "Nachfrage: überfällige Rechnungen, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

ich hatte Ihnen kürzlich wegen der unten aufgeführten Rechnungen geschrieben; sie sind \
leider noch immer offen. Der überfällige Betrag von #CustomerName beläuft sich inzwischen \
auf #TotalOverdue.

#ItemsTable

Ich wäre Ihnen dankbar, wenn Sie mir kurzfristig einen Zahlungstermin bestätigen oder \
mir die zuständige Ansprechperson in Ihrer Kreditorenbuchhaltung nennen könnten. Wenn \
Sie die Angelegenheit lieber telefonisch besprechen möchten, vereinbare ich gern einen \
Termin mit Ihnen.

Ihren Kontoauszug finden Sie hier: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- Confirmations a status sends when a collector qualifies items (the scenario service's status
    # catalogue names them). They speak of #TotalDue: the items need not be overdue.
    ("dispute_acknowledgement", "en"): (
        "We have received your dispute, account #AccountNumber",
        """\
Dear #ContactName,

Thank you for letting us know. We confirm that we have received your dispute concerning \
the following invoices for #CustomerName, amounting to #TotalDue:

#ItemsTable

We are looking into it with the departments concerned and will come back to you as soon \
as we can. Meanwhile, we have paused our reminders for these invoices. Any other invoices \
on your account remain payable on their usual terms.

If you have documents that support your dispute, such as a delivery note, photographs or \
correspondence, you are welcome to send them in reply to this message. Your account \
statement remains available here: #PortalLink

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("dispute_acknowledgement", "fr"): (
        "Accusé de réception de votre contestation, compte #AccountNumber",
        """\
Bonjour #ContactName,

Nous vous remercions de nous avoir fait part de votre contestation, que nous avons bien \
reçue. Elle concerne les factures suivantes de #CustomerName, d'un montant total \
de #TotalDue :

#ItemsTable

Nous l'examinons avec les services concernés et reviendrons vers vous dans les meilleurs \
délais. Dans l'intervalle, nous avons suspendu nos relances pour ces factures. Vos autres \
factures éventuelles restent payables à leur échéance habituelle.

Si vous disposez de pièces à l'appui de votre réclamation, par exemple un bon de livraison, \
des photographies ou des échanges de courriers, vous pouvez nous les adresser en réponse \
à ce message. Votre relevé de compte reste consultable ici : #PortalLink

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("dispute_acknowledgement", "de"): (
        "Eingangsbestätigung Ihrer Reklamation, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

vielen Dank für Ihre Nachricht. Wir bestätigen den Eingang Ihrer Reklamation zu den \
folgenden Rechnungen von #CustomerName über insgesamt #TotalDue:

#ItemsTable

Wir prüfen den Sachverhalt mit den zuständigen Abteilungen und melden uns so bald wie \
möglich bei Ihnen. Bis zur Klärung haben wir unsere Zahlungserinnerungen für diese \
Rechnungen ausgesetzt. Ihre übrigen Rechnungen bleiben wie gewohnt zum jeweiligen \
Fälligkeitsdatum zahlbar.

Unterlagen, die Ihre Reklamation belegen, etwa einen Lieferschein, Fotos oder \
Schriftverkehr, können Sie uns gern als Antwort auf diese Nachricht zusenden. Ihren \
Kontoauszug finden Sie weiterhin hier: #PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- promise_to_pay_confirmation: the promised day is not a hashtag, so the text speaks of
    # "the date you gave us" rather than printing it.
    ("promise_to_pay_confirmation", "en"): (
        "Thank you: your payment commitment, account #AccountNumber",
        """\
Dear #ContactName,

Thank you for getting back to us. We have noted your promise to pay the following \
invoices for #CustomerName, amounting to #TotalDue:

#ItemsTable

We have paused our reminders for these invoices until the payment date you gave us. \
Should the payment be delayed, or should you need to change that date, please let us \
know before it.

Your account statement is available here, where you can also tell us about a payment: \
#PortalLink

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("promise_to_pay_confirmation", "fr"): (
        "Confirmation de votre engagement de paiement, compte #AccountNumber",
        """\
Bonjour #ContactName,

Nous vous remercions de votre retour. Nous avons bien pris note de votre engagement \
de régler les factures suivantes de #CustomerName, d'un montant total de #TotalDue :

#ItemsTable

Nous suspendons nos relances pour ces factures jusqu'à la date de paiement que vous nous \
avez indiquée. Si le règlement devait prendre du retard ou si vous deviez modifier cette \
date, merci de nous en informer avant celle-ci.

Votre relevé de compte est disponible ici, où vous pouvez également nous signaler \
un paiement : #PortalLink

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("promise_to_pay_confirmation", "de"): (
        "Bestätigung Ihrer Zahlungszusage, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

vielen Dank für Ihre Rückmeldung. Wir haben Ihre Zusage vermerkt, die folgenden \
Rechnungen von #CustomerName über insgesamt #TotalDue zu begleichen:

#ItemsTable

Bis zu dem von Ihnen genannten Zahlungstermin senden wir Ihnen für diese Rechnungen \
keine Zahlungserinnerungen. Sollte sich die Zahlung verzögern oder der Termin ändern, \
geben Sie uns bitte vorher Bescheid.

Ihren Kontoauszug finden Sie hier; dort können Sie uns auch eine Zahlung mitteilen: \
#PortalLink

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    # --- payment_plan_confirmation: no hashtag prints the instalments, so the text points to
    # the account page, where the plan's schedule is shown.
    ("payment_plan_confirmation", "en"): (
        "Confirmation of your payment plan, account #AccountNumber",
        """\
Dear #ContactName,

Thank you for agreeing a payment schedule with us. This message confirms the payment \
plan for the following invoices of #CustomerName, amounting to #TotalDue:

#ItemsTable

The dates and amounts of the agreed instalments will shortly appear on your account \
page: #PortalLink

As long as each instalment is paid on its date, you will receive no reminder for these \
invoices. If you foresee any difficulty with an instalment, please contact us before it \
falls due, so that we can find a solution together.

Kind regards,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("payment_plan_confirmation", "fr"): (
        "Confirmation de votre échéancier de paiement, compte #AccountNumber",
        """\
Bonjour #ContactName,

Nous vous remercions d'avoir convenu avec nous d'un échéancier de paiement. Nous vous \
confirmons sa mise en place pour les factures suivantes de #CustomerName, d'un montant \
total de #TotalDue :

#ItemsTable

Les dates et montants des échéances convenues figureront prochainement dans votre espace \
client : #PortalLink

Tant que chaque échéance est réglée à sa date, vous ne recevrez aucune relance pour ces \
factures. Si vous prévoyez une difficulté pour l'une d'elles, merci de nous contacter \
avant sa date afin que nous puissions trouver ensemble une solution.

Cordialement,

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
    ("payment_plan_confirmation", "de"): (
        "Bestätigung Ihrer Ratenzahlungsvereinbarung, Kundenkonto #AccountNumber",
        """\
Guten Tag #ContactName,

vielen Dank, dass Sie mit uns eine Ratenzahlung vereinbart haben. Hiermit bestätigen \
wir die Ratenzahlungsvereinbarung für die folgenden Rechnungen von #CustomerName über \
insgesamt #TotalDue:

#ItemsTable

Die Termine und Beträge der vereinbarten Raten finden Sie in Kürze in Ihrem \
Kundenkonto: #PortalLink

Solange jede Rate pünktlich bezahlt wird, erhalten Sie zu diesen Rechnungen keine \
Zahlungserinnerung. Sollten Sie absehen, dass Sie eine Rate nicht fristgerecht zahlen \
können, sprechen Sie uns bitte vor dem Fälligkeitstermin an, damit wir gemeinsam eine \
Lösung finden.

Mit freundlichen Grüßen

#CollectorName
#CompanyName
#CollectorEmail
""",
    ),
}


def builtin_templates() -> list[Template]:
    """Every built-in template, one per code and language."""
    return [
        Template(code=code, channel=_CHANNELS[code], language=language, subject=subject, body=body)
        for (code, language), (subject, body) in _TEXTS.items()
    ]


def find_template(code: str, language: str, fallback: str = "en") -> Template:
    """The built-in template for ``code`` in ``language``, falling back to ``fallback`` (English).

    Raises ``KeyError`` naming the code when no built-in template has it.
    """
    return choose_template(builtin_templates(), code, language, fallback)

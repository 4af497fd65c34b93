"""What a template must be to be saved, and which template a message uses.

Saving checks everything at once and lists every problem with its line and
column, so the editor can mark them all: unknown hashtags (with the closest
known one), an e-mail without a subject, a body too long for its channel, and
constructs that are not template syntax (``{{name}}``, ``${name}``, HTML tags),
which would otherwise reach the debtor as written.

A message uses the stored template of its code in the reader's language, else
in the base language, else in English (``choose_template``); the built-in
texts fill in where nothing is stored, so a tenant's edit always wins and a
code nobody edited still goes out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from opendso_messaging.domain.builtin_templates import builtin_templates
from opendso_messaging.domain.templates import (
    KNOWN_HASHTAGS,
    Template,
    TemplateProblem,
    check_hashtags,
    choose_template,
)

# Longest body a channel carries. SMS: Twilio refuses a body over 1,600 characters (10 segments);
# WhatsApp caps a message at 4,096; a voice call reads the text, and past ~3,000 characters nobody listens.
# E-mail and letters have no hard cap: the limits only stop a pasted document from becoming a template.
BODY_LIMITS: dict[str, int] = {
    "email": 100_000,
    "letter": 20_000,
    "sms": 1_600,
    "whatsapp": 4_096,
    "voice": 3_000,
}
# msg_messages.subject holds 500 characters rendered; a 200-character template leaves room for the values.
SUBJECT_LIMIT = 200
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")

# Placeholder syntaxes of other tools, and HTML tags: templates are plain text with hashtags.
_HTML_TAGS = "a|b|i|u|p|br|hr|div|span|strong|em|table|thead|tbody|tr|td|th|ul|ol|li|h[1-6]|img|font|html|body"
_CONSTRUCT = re.compile(rf"\{{\{{|\{{%|\$\{{|</?(?:{_HTML_TAGS})(?:\s[^<>\n]*)?/?>", re.IGNORECASE)
_CLOSERS = {"{{": "}}", "{%": "%}", "${": "}"}
_SHOWN = 40


@dataclass(frozen=True)
class CheckedTemplate:
    """The outcome of checking a template: it may be saved when ``problems`` is empty."""

    problems: tuple[TemplateProblem, ...]
    custom_fields: tuple[str, ...]


def check_for_save(template: Template, channels_of_code: Mapping[str, str] | None = None) -> CheckedTemplate:
    """Every problem of ``template``, in field order then position, and the custom fields it uses.

    ``channels_of_code`` maps the other stored languages of the same code to their channel: a code has
    one channel, because a scenario step names a template by its code.
    """
    problems: list[TemplateProblem] = []
    if not CODE_PATTERN.fullmatch(template.code):
        problems.append(_whole("code", "use 1 to 100 lower-case letters, digits and underscores, e.g. first_reminder"))
    if template.channel not in BODY_LIMITS:
        known = ", ".join(sorted(BODY_LIMITS))
        problems.append(_whole("channel", f"unknown channel {template.channel!r} (known: {known})"))
    else:
        others = {lang: ch for lang, ch in (channels_of_code or {}).items() if ch != template.channel}
        if others:
            where = ", ".join(f"{ch} in {lang}" for lang, ch in sorted(others.items()))
            problems.append(
                _whole("channel", f"{template.code!r} is already a template for {where}; a code has one channel")
            )
    if not _is_locale(template.language):
        problems.append(_whole("language", f"{template.language!r} is not a language such as fr, de or fr_CH"))
    problems += _subject_problems(template)
    problems += _attachment_problems(template)
    problems += _length_problems(template)
    hashtag_problems, custom_fields = check_hashtags(template)
    problems += hashtag_problems
    for field_name, text in (("subject", template.subject), ("body", template.body)):
        problems += _construct_problems(field_name, text.replace("\r\n", "\n").replace("\r", "\n"))
    order = {"code": 0, "channel": 1, "language": 2, "attach_statement": 3, "attach_invoices": 3}
    order |= {"subject": 4, "body": 5}
    problems.sort(key=lambda p: (order.get(p.field, 9), p.line, p.column))
    return CheckedTemplate(tuple(problems), custom_fields)


def _attachment_problems(template: Template) -> list[TemplateProblem]:
    # Only an e-mail carries files; a letter or an SMS asked to would silently go without them.
    if template.channel == "email":
        return []
    return [
        _whole(name, f"only an e-mail template can attach files, not a {template.channel!r} one")
        for name, asked in (
            ("attach_statement", template.attach_statement),
            ("attach_invoices", template.attach_invoices),
        )
        if asked
    ]


def _whole(field_name: str, reason: str) -> TemplateProblem:
    return TemplateProblem(field_name, "", 0, 0, reason)


def _is_locale(language: str) -> bool:
    try:
        Locale.parse(language.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


def _subject_problems(template: Template) -> list[TemplateProblem]:
    subject = template.subject
    problems = []
    if template.channel == "email" and not subject.strip():
        problems.append(_whole("subject", "an e-mail needs a subject"))
    newline = min((i for i in (subject.find("\n"), subject.find("\r")) if i >= 0), default=-1)
    if newline >= 0:
        problems.append(TemplateProblem("subject", "", 1, newline + 1, "a subject is one line"))
    if len(subject) > SUBJECT_LIMIT:
        problems.append(
            TemplateProblem(
                "subject", "", 1, SUBJECT_LIMIT + 1, f"{len(subject)} characters, over the limit of {SUBJECT_LIMIT}"
            )
        )
    return problems


def _length_problems(template: Template) -> list[TemplateProblem]:
    limit = BODY_LIMITS.get(template.channel)
    body = template.body.replace("\r\n", "\n").replace("\r", "\n")
    if limit is None or len(body) <= limit:
        return []
    # Point at the first character past the limit, where the editor should show the cut.
    line, column = _line_and_column(body, limit)
    return [
        TemplateProblem(
            "body", "", line, column, f"{len(body)} characters, over the {template.channel} limit of {limit}"
        )
    ]


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _construct_problems(field_name: str, text: str) -> list[TemplateProblem]:
    problems = []
    position = 0
    while (match := _CONSTRUCT.search(text, position)) is not None:
        opener = match.group(0)
        line, column = _line_and_column(text, match.start())
        closer = _CLOSERS.get(opener)
        if closer is None:
            problems.append(
                TemplateProblem(
                    field_name, "", line, column, "HTML is not interpreted: it would show as written", opener[:_SHOWN]
                )
            )
            position = match.end()
            continue
        end = text.find(closer, match.end())
        if end < 0 or "\n" in text[match.end() : end]:
            reason = f"unbalanced {opener}: no closing {closer} on the same line; templates use #hashtags"
            problems.append(TemplateProblem(field_name, "", line, column, reason, opener))
            position = match.end()
            continue
        construct = text[match.start() : end + len(closer)]
        reason = "not template syntax: it would show as written; templates use #hashtags"
        hint = _hashtag_for(text[match.end() : end])
        if hint:
            reason = f"{reason} (write {hint})"
        problems.append(TemplateProblem(field_name, "", line, column, reason, construct[:_SHOWN]))
        position = end + len(closer)
    return problems


def _hashtag_for(inside: str) -> str:
    # "{{ customer_name }}" was surely meant as #CustomerName.
    wanted = re.sub(r"[^a-z0-9]", "", inside.lower())
    by_key = {name.lower(): name for name in KNOWN_HASHTAGS}
    close = difflib.get_close_matches(wanted, list(by_key), n=1, cutoff=0.75) if wanted else []
    return f"#{by_key[close[0]]}" if close else ""


def builtin_for(code: str, language: str) -> Template | None:
    """The shipped template with exactly this code and language, if any."""
    key = language.replace("-", "_").lower()
    for template in builtin_templates():
        if template.code == code and template.language.replace("-", "_").lower() == key:
            return template
    return None


def effective_template(stored: Iterable[Template], code: str, language: str, fallback: str = "en") -> Template:
    """The template a message with ``code`` in ``language`` uses: stored (not deleted) ones over built-ins.

    The same fallback as ``choose_template`` (the language, its base language, then ``fallback``) over the
    union of both, a stored template replacing the built-in one of its language. Raises ``KeyError``
    naming the code when neither has it in any of those languages.
    """
    by_language = {t.language.replace("-", "_").lower(): t for t in builtin_templates() if t.code == code}
    by_language.update({t.language.replace("-", "_").lower(): t for t in stored if t.code == code})
    return choose_template(by_language.values(), code, language, fallback)

"""Scenarios as plain dicts and JSON, the way they are stored and edited, with the checks a definition must
pass before it is saved.

Pure: no I/O. A definition is read whole and every problem is reported at once, each naming the scenario,
the step (by position and code) and the field, so a credit manager can fix an edited scenario in one go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .model import Anchor, Channel, Scenario, ScenarioError, Step

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,49}$"
"""Scenario and step codes: they travel in URLs and task keys, and their columns hold 50 characters."""
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$"
"""A customer's language as the ledger spells it ("fr", "de", "pt-BR"); "" means any language."""
MAX_NAME = 200
MAX_TEMPLATE = 100
MAX_STEPS = 50
# Beyond these a step is a typing error rather than a plan: a reminder ten years late chases nothing.
MIN_OFFSET_DAYS = -365
MAX_OFFSET_DAYS = 3650
MAX_MINIMUM_AMOUNT = Decimal("1000000000000")
# A collector makes the call and does the internal task: the engine has nothing to send for them.
COLLECTOR_CHANNELS = frozenset({Channel.PHONE_CALL, Channel.INTERNAL_TASK})

_CODE = re.compile(CODE_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_DECIMAL = re.compile(r"^\d{1,13}(\.\d{1,6})?$")
_SCENARIO_KEYS = frozenset({"code", "name", "language", "minimum_amount", "steps"})
_STEP_KEYS = frozenset(
    {"code", "offset_days", "anchor", "channel", "template", "automatic", "also", "product_group", "minimum_amount"}
)


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a definition, and where."""

    scenario: str
    field: str
    """The field's name ("steps" for the list itself)."""
    message: str
    step_index: int | None = None
    step_code: str | None = None

    def __str__(self) -> str:
        where = f"scenario {self.scenario!r}"
        if self.step_index is not None:
            where += f", steps[{self.step_index}]"
            if self.step_code:
                where += f" ({self.step_code!r})"
        return f"{where}, {self.field}: {self.message}"


class ScenarioDefinitionError(ScenarioError):
    """A definition that cannot be saved; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ScenarioDefinition:
    """A scenario with what is stored beside it: the language its templates are written for."""

    scenario: Scenario
    language: str = ""
    """"" when the scenario suits customers of any language."""


def scenario_to_dict(scenario: Scenario, language: str = "") -> dict[str, Any]:
    """A JSON-ready dict; ``scenario_from_dict`` reads it back to an equal scenario."""
    return {
        "code": scenario.code,
        "name": scenario.name,
        "language": language,
        # A string: a JSON number would go through a binary float.
        "minimum_amount": str(scenario.minimum_amount),
        "steps": [_step_to_dict(step) for step in scenario.steps],
    }


def _step_to_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": step.code,
        "offset_days": step.offset_days,
        "anchor": str(step.anchor),
        "channel": str(step.channel),
        "template": step.template,
        "automatic": step.automatic,
    }
    # The options only when used: a plain step reads (and is stored) as it always was.
    if step.also:
        data["also"] = [{"channel": str(channel), "template": template} for channel, template in step.also]
    if step.product_group is not None:
        data["product_group"] = step.product_group
    if step.minimum_amount is not None:
        data["minimum_amount"] = str(step.minimum_amount)
    return data


def scenario_to_json(scenario: Scenario, language: str = "") -> str:
    return json.dumps(scenario_to_dict(scenario, language), ensure_ascii=False, sort_keys=True)


def scenario_from_json(text: str) -> ScenarioDefinition:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ScenarioDefinitionError([DefinitionProblem("?", "definition", f"is not JSON: {exc}")]) from None
    return scenario_from_dict(data)


class _Problems:
    """Collects the problems of one definition, each labelled with its scenario."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.found: list[DefinitionProblem] = []

    def add(self, field: str, message: str, index: int | None = None, step_code: str | None = None) -> None:
        self.found.append(DefinitionProblem(self.scenario, field, message, index, step_code))


def scenario_from_dict(data: object) -> ScenarioDefinition:
    """The definition a dict describes; ``ScenarioDefinitionError`` lists every problem in it."""
    if not isinstance(data, Mapping):
        raise ScenarioDefinitionError([DefinitionProblem("?", "definition", "must be an object")])
    raw_code = data.get("code")
    problems = _Problems(raw_code if isinstance(raw_code, str) and raw_code else "?")

    for key in sorted(set(data) - _SCENARIO_KEYS, key=str):
        problems.add(str(key), f"unknown field (known: {', '.join(sorted(_SCENARIO_KEYS))})")
    code = _code(data.get("code"), problems)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", "is required")
        name = ""
    elif len(name) > MAX_NAME:
        problems.add("name", f"is longer than {MAX_NAME} characters")
    language = data.get("language") or ""
    if not isinstance(language, str) or (language and not _LANGUAGE.fullmatch(language)):
        problems.add("language", f'{language!r} is not a language code such as "fr" or "pt-BR" ("" for any language)')
        language = ""
    minimum = _minimum_amount(data.get("minimum_amount", "0"), problems)

    raw_steps = data.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.add("steps", "needs at least one step")
        raw_steps = []
    elif len(raw_steps) > MAX_STEPS:
        problems.add("steps", f"has {len(raw_steps)} steps; at most {MAX_STEPS}")
    seen: dict[str, int] = {}
    previous_on_due: Step | None = None
    for index, raw in enumerate(raw_steps):
        step = _step(index, raw, problems)
        if step is None:
            continue
        if step.code in seen:
            problems.add("code", f"is already the code of steps[{seen[step.code]}]", index, step.code)
        seen.setdefault(step.code, index)
        if index == 0 and step.anchor is Anchor.LAST_ACTION:
            problems.add(
                "anchor", "the first step cannot count from the last action: none comes before it", 0, step.code
            )
        if step.anchor is Anchor.LAST_ACTION and step.offset_days < 0:
            problems.add("offset_days", "a step counted from the last action cannot come before it", index, step.code)
        if step.anchor is Anchor.DUE_DATE:
            # The engine plans the latest step reached by position: due-date days must grow with it.
            if previous_on_due is not None and step.offset_days <= previous_on_due.offset_days:
                problems.add(
                    "offset_days",
                    f"day {step.offset_days} must come after day {previous_on_due.offset_days} "
                    f"of step {previous_on_due.code!r}",
                    index,
                    step.code,
                )
            previous_on_due = step
        steps.append(step)

    if problems.found or code is None:
        raise ScenarioDefinitionError(problems.found)
    try:
        scenario = Scenario(code=code, name=name.strip(), steps=tuple(steps), minimum_amount=minimum)
    except ScenarioError as exc:
        # The model's own checks, should they ever be stricter than the ones above.
        raise ScenarioDefinitionError([DefinitionProblem(code, "definition", str(exc))]) from None
    return ScenarioDefinition(scenario=scenario, language=language)


def _code(value: object, problems: _Problems, index: int | None = None) -> str | None:
    if not isinstance(value, str) or not value:
        problems.add("code", "is required", index)
        return None
    if not _CODE.fullmatch(value):
        problems.add(
            "code", f"{value!r} must be 1 to 50 letters, digits, '_' or '-', starting with a letter or digit", index
        )
        return None
    return value


def _minimum_amount(value: object, problems: _Problems) -> Decimal:
    if isinstance(value, bool | float):
        problems.add(
            "minimum_amount", 'give it as a decimal string such as "50.00", not a JSON number (floats lose cents)'
        )
        return Decimal(0)
    if isinstance(value, int):
        value = str(value)
    if value is None or value == "":
        return Decimal(0)
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        problems.add("minimum_amount", f'{value!r} is not an amount such as "50.00" (zero or more, at most 6 decimals)')
        return Decimal(0)
    amount = Decimal(value)
    if amount > MAX_MINIMUM_AMOUNT:
        problems.add("minimum_amount", f"{value} is beyond {MAX_MINIMUM_AMOUNT}")
    return amount


def _step(index: int, raw: object, problems: _Problems) -> Step | None:
    """The step at ``index``, or None after reporting what is wrong with it."""
    if not isinstance(raw, Mapping):
        problems.add("step", "must be an object", index)
        return None
    before = len(problems.found)
    raw_code = raw.get("code")
    step_code = raw_code if isinstance(raw_code, str) and raw_code else None

    def report(field: str, message: str) -> None:
        problems.add(field, message, index, step_code)

    for key in sorted(set(raw) - _STEP_KEYS, key=str):
        report(str(key), f"unknown field (known: {', '.join(sorted(_STEP_KEYS))})")
    code = _code(raw_code, problems, index)
    offset = raw.get("offset_days")
    if isinstance(offset, bool) or not isinstance(offset, int):
        report("offset_days", f"{offset!r} is not a whole number of days")
        offset = 0
    elif not MIN_OFFSET_DAYS <= offset <= MAX_OFFSET_DAYS:
        report("offset_days", f"{offset} is outside {MIN_OFFSET_DAYS}..{MAX_OFFSET_DAYS}")
    anchor: Anchor | None = None
    try:
        anchor = Anchor(raw.get("anchor") or Anchor.DUE_DATE.value)
    except ValueError:
        report("anchor", f"{raw.get('anchor')!r} is not one of {', '.join(a.value for a in Anchor)}")
    channel: Channel | None = None
    try:
        channel = Channel(str(raw.get("channel")))
    except ValueError:
        report("channel", f"{raw.get('channel')!r} is not one of {', '.join(c.value for c in Channel)}")
    template = raw.get("template")
    if not isinstance(template, str) or not template.strip():
        report("template", "is required (the message template's code, or the kind of task)")
        template = ""
    elif template != template.strip() or len(template) > MAX_TEMPLATE:
        report("template", f"{template!r} must have no surrounding spaces and at most {MAX_TEMPLATE} characters")
    automatic = raw.get("automatic")
    if not isinstance(automatic, bool):
        report("automatic", f"{automatic!r} is not true or false")
        automatic = False
    elif automatic and channel in COLLECTOR_CHANNELS:
        report("automatic", f"a {channel} step is performed by a collector: it cannot be automatic")
    also = _also(raw.get("also"), channel, report)
    group = raw.get("product_group")
    if group is not None and (not isinstance(group, str) or not group.strip() or len(group) > 200):
        report("product_group", f"{group!r} must be a product group's name, or null for every item")
        group = None
    minimum: Decimal | None = None
    if raw.get("minimum_amount") not in (None, ""):
        minimum = _step_minimum(raw.get("minimum_amount"), report)
    if len(problems.found) > before or code is None or anchor is None or channel is None:
        return None
    return Step(
        code=code,
        offset_days=offset,
        channel=channel,
        template=template,
        automatic=automatic,
        anchor=anchor,
        also=also,
        product_group=group,
        minimum_amount=minimum,
    )


def _also(
    value: object, channel: Channel | None, report: Callable[[str, str], None]
) -> tuple[tuple[Channel, str], ...]:
    """The other (channel, template) pairs of a step; each problem reported under ``also[i]``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        report("also", "must be a list of {channel, template}")
        return ()
    found: list[tuple[Channel, str]] = []
    seen = {channel}
    for index, entry in enumerate(value):
        where = f"also[{index}]"
        if not isinstance(entry, Mapping) or set(entry) - {"channel", "template"}:
            report(where, "must be an object with channel and template only")
            continue
        try:
            other = Channel(str(entry.get("channel")))
        except ValueError:
            report(f"{where}.channel", f"{entry.get('channel')!r} is not one of {', '.join(c.value for c in Channel)}")
            continue
        template = entry.get("template")
        if not isinstance(template, str) or not template.strip() or len(template) > MAX_TEMPLATE:
            report(f"{where}.template", "is required (the message template's code for that channel)")
            continue
        if other in seen:
            report(f"{where}.channel", f"the step already uses {other}")
            continue
        seen.add(other)
        found.append((other, template))
    return tuple(found)


def _step_minimum(value: object, report: Callable[[str, str], None]) -> Decimal | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        report("minimum_amount", f'{value!r} is not an amount such as "500.00" (a decimal string)')
        return None
    amount = Decimal(value)
    if amount > MAX_MINIMUM_AMOUNT:
        report("minimum_amount", f"{value} is beyond {MAX_MINIMUM_AMOUNT}")
    return amount

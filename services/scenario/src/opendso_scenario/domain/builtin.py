"""Ready-made scenarios that ship with the product."""

from __future__ import annotations

from .model import Channel, Scenario, Step

STANDARD = Scenario(
    code="standard",
    name="Standard",
    steps=(
        Step("friendly", -5, Channel.EMAIL, "friendly_reminder", automatic=True),
        Step("first", 3, Channel.EMAIL, "first_reminder", automatic=True),
        Step("second", 15, Channel.EMAIL, "second_reminder", automatic=True),
        # Not automatic: a collector calls, so it lands on the agenda as a task.
        Step("call", 30, Channel.PHONE_CALL, "phone_call", automatic=False),
    ),
)


def builtin_scenarios() -> dict[str, Scenario]:
    """The shipped scenarios by code; a new dict each call, so callers may add to it."""
    return {scenario.code: scenario for scenario in (STANDARD,)}

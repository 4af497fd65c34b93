"""The service's composition: where its settings put the deciding of bank lines."""

from __future__ import annotations

from typing import Any

import pytest
from opendso_matching import app
from opendso_matching.app import deps_from
from opendso_matching.domain.engine import MatchConfig
from opendso_matching.settings import Settings
from opendso_matching.workers import IndexParts, MatchWorkerError, MatchWorkers
from pydantic import ValidationError


def test_lines_are_decided_in_the_service_process_by_default() -> None:
    assert Settings().workers == 0
    assert deps_from(Settings()).workers is None


def test_workers_setting_gives_that_many_processes_started_only_when_the_service_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENDSO_MATCHING_WORKERS", "2")
    workers = deps_from(Settings()).workers
    assert workers is not None and workers.workers == 2
    assert workers.pids() == []


def test_a_negative_number_of_workers_is_refused() -> None:
    with pytest.raises(ValidationError, match="workers"):
        Settings(workers=-1)


async def test_the_service_starts_its_workers_before_serving_and_closes_them_when_it_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    create_app = app.create_app

    def create(settings: Settings) -> Any:
        runtime, deps = create_app(settings)
        seen["workers"] = deps.workers
        return runtime, deps

    async def serve(*args: object, **kwargs: object) -> None:
        seen["serving with"] = seen["workers"].pids()
        # However the service stops, the workers go with it.
        raise RuntimeError("stopped")

    monkeypatch.setattr(app, "create_app", create)
    monkeypatch.setattr(app, "serve", serve)
    with pytest.raises(RuntimeError, match="stopped"):
        await app.run(Settings(workers=1))
    assert len(seen["serving with"]) == 1
    workers: MatchWorkers = seen["workers"]
    assert workers.pids() == []
    with pytest.raises(MatchWorkerError, match="closed"):
        await workers.decide([], IndexParts(), MatchConfig(), None)


def test_items_are_held_in_memory_by_default_and_not_where_workers_decide() -> None:
    assert Settings().hold_items
    ledger = deps_from(Settings()).ledger
    assert ledger is not None and not ledger.loaded
    assert deps_from(Settings(workers=1)).ledger is None
    assert deps_from(Settings(hold_items=False)).ledger is None

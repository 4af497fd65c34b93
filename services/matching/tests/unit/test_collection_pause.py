"""The cycle collector is held off while lines are decided, and handed back as it was found."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from opendso_matching.collection_pause import collect_young_garbage, cycle_collection_paused, in_order_paused
from opendso_matching.domain.engine import MatchConfig
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Payment, Proposal

from .test_pool import load, statement


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_lines_are_decided_with_the_collector_paused_and_it_runs_again_after(collector_enabled: None) -> None:
    index = MatchIndex()
    load(index, lambda entity: True)
    seen: list[bool] = []

    def book(target: MatchIndex, payment: Payment, proposal: Proposal) -> None:
        seen.append(gc.isenabled())

    in_order_paused(statement(20, seed=3), index, MatchConfig(), book=book)
    assert seen == [False] * 20
    assert gc.isenabled()


def test_a_pause_inside_another_keeps_the_collector_off_until_the_outer_one_ends(collector_enabled: None) -> None:
    with cycle_collection_paused():
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_young_garbage_in_a_cycle_is_collected_while_paused(collector_enabled: None) -> None:
    class Node:
        other: object = None

    with cycle_collection_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None
        collect_young_garbage()
        assert gone() is None

import gc

from opendso_importer.collection_pause import cycle_collection_paused


def test_the_collector_is_off_while_any_import_runs_and_back_on_after_the_last() -> None:
    assert gc.isenabled()
    first = cycle_collection_paused()
    second = cycle_collection_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    # Imports overlap: the first ending must not turn the collector back on under the second.
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failed_import_turns_the_collector_back_on() -> None:
    try:
        with cycle_collection_paused():
            raise RuntimeError("the file broke")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_process_stays_off() -> None:
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

"""services/shared/batch_gc.py: the collector's thresholds raised while a batch runs, put
back by the last batch to end, also when it fails; the import's check and import use it."""

from __future__ import annotations

import gc
import threading

import pytest

from services.shared import batch_gc, importer

pytestmark = pytest.mark.instant()


def test_the_thresholds_are_raised_while_batches_run_and_put_back_after():
    before = gc.get_threshold()
    with batch_gc.fewer_collections():
        assert gc.get_threshold() == batch_gc.BATCH_THRESHOLDS
        with batch_gc.fewer_collections():  # a second batch (another thread's import)
            assert gc.get_threshold() == batch_gc.BATCH_THRESHOLDS
        assert gc.get_threshold() == batch_gc.BATCH_THRESHOLDS  # the first still runs
    assert gc.get_threshold() == before


def test_a_failing_batch_puts_them_back():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_gc.fewer_collections():
        raise RuntimeError("the sheet is corrupt")
    assert gc.get_threshold() == before


def test_batches_on_several_threads_end_with_the_thresholds_found():
    before = gc.get_threshold()
    started, release = threading.Barrier(4), threading.Event()

    def batch():
        with batch_gc.fewer_collections():
            started.wait()
            release.wait()

    threads = [threading.Thread(target=batch) for _ in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    assert gc.get_threshold() == batch_gc.BATCH_THRESHOLDS
    release.set()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before


def test_the_imports_check_and_import_run_as_batches(monkeypatch):
    seen = []
    monkeypatch.setattr(
        importer, "open_rows", lambda *a, **k: seen.append(gc.get_threshold()) or 1 / 0
    )
    with pytest.raises(ZeroDivisionError):
        importer.check_file(None, None, {"name": 0})
    assert seen == [batch_gc.BATCH_THRESHOLDS]
    assert gc.get_threshold() != batch_gc.BATCH_THRESHOLDS

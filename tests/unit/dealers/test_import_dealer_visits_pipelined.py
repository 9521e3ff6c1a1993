"""Dealer visits (and potential-dealer files, the same way) go through the import's writer
thread (``Writer.pipelines``): each chunk written while the next is checked, on a reading
connection that does not see the import's own rows; a visit repeated in a later chunk is
still refused (the checker keeps the file's visits), all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.dealers.dealers import DealerVisit
from services.shared import importer
from tests.importing import write_xlsx
from tests.unit.dealers.test_import_dealer_visits import CONSENT, HEADERS, KIND, row, s, world
from tests.unit.sales.test_import_units_pipelined import _pipelined, _recorded_writes, _writers

pytestmark = pytest.mark.instant()
__all__ = ["s", "world"]  # fixtures


def _import(s, user, path, skip_rejected=False):
    return importer.import_file(
        s,
        user,
        path,
        importer.guess_mapping(HEADERS, KIND),
        skip_rejected=skip_rejected,
        kind=KIND,
        consent=CONSENT,
    )


def test_the_writers_pipeline():
    assert importer.KINDS["dealer_visit"].writer.pipelines
    assert importer.KINDS["potential_dealer"].writer.pipelines


def test_visits_are_written_by_the_writer_thread_and_a_repeat_is_still_refused(
    s, world, tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK", 2)
    manager = world["manager"]
    days = ["2026年10月1日", "2026年10月2日", "2026年10月3日", "2026年10月4日"]
    rows = [row(拜访日期=day) for day in days]
    rows.append(row(拜访日期=days[0]))  # row 6 repeats row 2, two chunks later
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    threads = _recorded_writes(monkeypatch)
    with pytest.raises(importer.RowsRejected, match="6"):
        _import(s, manager, path)
    s.rollback()
    assert not _writers()
    assert s.scalar(select(func.count(DealerVisit.id))) == 0
    threads.clear()
    outcome = _import(s, manager, path, skip_rejected=True)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (4, 1) and not _writers()
    if _pipelined(s):
        assert threads and set(threads) == {"import-writer"}
    visits = s.scalars(select(DealerVisit).order_by(DealerVisit.id)).all()
    assert [v.visited_on.day for v in visits] == [1, 2, 3, 4]
    assert {v.dealer_id for v in visits} == {world["hardware"].id}

"""A potential-dealer file list naming one dealer two ways (a loose match of its name) on
the same date: one file, the second row refused as the same dealer and date, whether the
rows fall in one chunk or in two (the writer thread's rows are not read back)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.dealers.dealers import Dealer, PotentialDealerFile
from services.shared import importer
from tests.importing import write_xlsx
from tests.unit.dealers.test_import_dealers import CONSENT, FILE_HEADERS, _manager, _region, s

pytestmark = pytest.mark.instant()
__all__ = ["s"]  # the fixture


@pytest.mark.parametrize("chunk", [1, 1000])
def test_one_dealer_written_two_ways_on_one_date_is_one_file(s, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    user = _manager(s)
    south = _region(s, "south")
    s.add(Dealer(name="光明建材（广州）有限公司", region_id=south, status="potential"))
    s.commit()
    rows = [
        ["光明建材（广州）有限公司", None, "2026-10-08", None, None, "愿意试销", None],
        ["光明建材(广州)有限责任公司", None, "2026-10-08", None, None, "要看样品", None],
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, FILE_HEADERS)
    mapping = importer.guess_mapping(FILE_HEADERS, "potential_dealer")
    report = importer.check_file(s, path, mapping, kind="potential_dealer", user=user)
    assert [r.row_number for r in report.rejected] == [3]
    assert "第 2 行" in " ".join(report.rejected[0].errors)
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="potential_dealer", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (1, 1)
    assert s.scalar(select(func.count(PotentialDealerFile.id))) == 1

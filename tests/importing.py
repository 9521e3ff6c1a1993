"""Builders of .xlsx files for the import tests."""

from __future__ import annotations

import threading
from pathlib import Path

from openpyxl import Workbook

HEADERS = ["客户姓名", "手机", "等级", "来源", "来访日期", "备注"]


def good_row(n: int) -> list:
    return [f"客户{n}", f"139{n:08d}", "B", "来访", "2026-03-01", f"第{n}行"]


def write_xlsx(path: Path, rows, headers=HEADERS) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def wait_for_jobs(app, timeout: float = 10.0) -> None:
    """Wait (polling, up to ``timeout`` seconds) until the app's import jobs have ended."""
    import time

    from services.shared import import_jobs

    deadline = time.monotonic() + timeout
    pool = import_jobs.runner(app)
    while pool.running():
        assert time.monotonic() < deadline, "an import job did not end in time"
        time.sleep(0.01)


class Gate:
    """Holds a job at its first chunk of ``at`` rows or more until the test lets it go."""

    def __init__(self, monkeypatch, at: int = 1):
        self.reached = threading.Event()
        self.go = threading.Event()
        from services.shared import import_jobs

        original = import_jobs.Control.tick
        gate = self

        def tick(control, rows):
            if rows >= at and not gate.reached.is_set():
                gate.reached.set()
                assert gate.go.wait(10)
            original(control, rows)

        monkeypatch.setattr(import_jobs.Control, "tick", tick)

    def hold(self):
        assert self.reached.wait(10), "the job did not reach its first chunk"

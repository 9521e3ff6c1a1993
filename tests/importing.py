"""Builders of .xlsx files for the import tests."""

from __future__ import annotations

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

"""Masking rules and export-cell safety."""

from __future__ import annotations

import pytest

from core.masking import export_cell, kind_of, mask, mask_id_number, mask_phone


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13812341234", "138****1234"),
        ("010-62751234", "010-****1234"),
        ("0755-8888123", "0755-***8123"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_phones(value, shown):
    assert mask_phone(value) == shown


def test_id_numbers_keep_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("12345") == "*****"


def test_columns_by_kind_including_related_paths():
    assert kind_of("tenant.mobile") == "phone" and kind_of("id_number") == "id"
    assert kind_of("name") is None
    assert mask("name", "王伟") == "王伟"
    assert mask("owner.id_number", "11010519491231002X") == "110105********002X"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_cells_cannot_start_a_formula(start):
    assert (
        export_cell("notes", f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'
    )


def test_export_cells_keep_numbers_and_plain_text():
    assert export_cell("budget_wan", 120) == 120
    assert export_cell("name", "王伟") == "王伟"
    assert export_cell("mobile", "13812341234") == "138****1234"

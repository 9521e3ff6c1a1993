"""Screens of this area (filled in area by area)."""

from __future__ import annotations


def register(admin, db) -> None:
    """Add this area's views to the admin."""
    return None

"""Demo owners, units, households, leases, transfers, dealers and archive files.

Filled in area by area; each area's seeding lives in its own function here.
"""

from __future__ import annotations


def seed(session, rng, *, users, regions, projects) -> None:
    """Seed the non-prospect areas of the demo office."""
    return None

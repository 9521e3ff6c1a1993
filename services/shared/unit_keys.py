"""Finding units by their key (project, building, room) in bulk, as the imports do."""

from __future__ import annotations

from models.property.property import Unit


def unit_key_clauses(keys: set[tuple]) -> tuple:
    """WHERE clauses finding the units of ``keys`` ((project id, building, room), the units'
    unique key) through that key's index, one seek per combination of the three; the caller
    keeps only the rows whose key is one of ``keys``. Without the building, SQLite read every
    unit of the project for each chunk of a sheet."""
    return (
        Unit.project_id.in_({k[0] for k in keys}),
        Unit.building.in_({k[1] for k in keys}),
        Unit.room.in_({k[2] for k in keys}),
    )

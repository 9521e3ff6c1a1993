"""Every record kind the Excel import can make, gathered in one place.

Each area registers its own kinds into ``importer.KINDS`` (the machinery in
``services/shared/importer.py`` knows no area's rules beyond the welcome card and the owner
list it was born with). Importing this module makes the registry complete; the import page
and the background jobs import it, so a kind cannot be missing in one and present in the other.
"""

from __future__ import annotations

from services.property import import_property  # noqa: F401 (units, leases, parking, cards)
from services.shared import importer

KINDS = importer.KINDS

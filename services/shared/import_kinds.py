"""Every record kind the Excel import can make, gathered in one place.

Each area registers its own kinds into ``importer.KINDS`` (the machinery in
``services/shared/importer.py`` knows no area's rules beyond the welcome card and the owner
list it was born with). Importing this module makes the registry complete; the import page
and the background jobs import it, so a kind cannot be missing in one and present in the other.
"""

from __future__ import annotations

from services.archive import import_files  # noqa: F401 (the paper files' register)
from services.dealers import import_dealers  # noqa: F401 (dealers, potential-dealer files)
from services.property import import_property  # noqa: F401 (units, leases, parking, cards)
from services.sales import import_cards  # noqa: F401 (who may be a card's consultant)
from services.shared import importer

KINDS = importer.KINDS

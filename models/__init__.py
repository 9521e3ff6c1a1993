"""SQLAlchemy 2.x typed models, grouped by area of DOMAIN.md (models/<area>/), on the shared
base and column types (models/base.py, models/types.py).

Importing this package registers every table on ``Base.metadata``.
"""

# Imported for their tables.
from models.admin import (  # noqa: F401
    incidents,
    key_checks,
    office_settings,
    offices,
    people,
    reference,
    staff,
)
from models.archive import archive_desk, archives  # noqa: F401
from models.base import Base
from models.care import complaints  # noqa: F401
from models.dealers import dealers  # noqa: F401
from models.privacy import audit, partners, privacy, retention  # noqa: F401
from models.property import moves, property, transfers  # noqa: F401
from models.sales import daily, ownership, prospects, sales  # noqa: F401
from models.shared import approvals, calendar, imports, name_search  # noqa: F401

__all__ = ["Base"]

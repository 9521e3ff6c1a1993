"""SQLAlchemy 2.x typed models, one module per area of DOMAIN.md.

Importing this package registers every table on ``Base.metadata``.
"""

from models import (  # noqa: F401  (imported for their tables)
    approvals,
    archive_desk,
    archives,
    audit,
    calendar,
    complaints,
    daily,
    dealers,
    imports,
    key_checks,
    moves,
    name_search,
    people,
    privacy,
    property,
    prospects,
    reference,
    retention,
    sales,
    transfers,
)
from models.base import Base

__all__ = ["Base"]

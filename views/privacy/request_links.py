"""The link on a customer's details page to register one of their requests about their data
(a copy, a correction, a deletion) with that customer already picked."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


def register_request_link(subject_type: str, record_id: int) -> tuple[str, str, dict]:
    """A ``related_links`` entry; shown only to roles that may register requests
    (views/shared/base.py checks the create right of ``subject_request``)."""
    return (
        _l("Register a request about their data"),
        "subject_request.create_view",
        {"subject_type": subject_type, "subject_id": record_id},
    )

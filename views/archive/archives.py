"""Paper archive files (纸质档案): where each folder is kept and whom it belongs to."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_admin.contrib.sqla.validators import Unique
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import DataRequired, Length, Optional

from extensions import db
from forms.shared.validators import DateInRange
from models.admin.people import Role, User
from models.archive.archives import ArchiveFile
from services.admin.offices import office_clause
from services.shared.office_scope import colleagues_clause
from views.shared.base import SecureModelView

STATE_CHOICES = [
    ("in_room", _l("In the archive room")),
    ("lent_out", _l("Lent out")),
    ("destroyed", _l("Destroyed")),
]


def relabel_unique(form_class, messages: dict[str, object]):
    """Give the uniqueness checks Flask-Admin adds to unique columns a message that says
    what is taken (its own says only "Already exists.")."""
    for name, message in messages.items():
        for validator in getattr(form_class, name).kwargs.get("validators", ()):
            if isinstance(validator, Unique):
                validator.message = message
    return form_class


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def custodian_choices() -> list[User]:
    """Active archive custodians of the account's offices."""
    return list(
        db.session.scalars(
            select(User)
            .join(Role, User.role_id == Role.id)
            .where(Role.code == "custodian", User.active.is_(True), colleagues_clause(current_user))
            .order_by(User.full_name, User.id)
        )
    )


def paper_file_links(column, value: int, limit: int = 20) -> list[tuple[str, str, dict]]:
    """Links to the paper files of the account's offices kept for a customer or unit
    (``column == value``)."""
    rows = db.session.execute(
        select(ArchiveFile.id, ArchiveFile.code)
        .where(column == value, office_clause(ArchiveFile.office_id, current_user))
        .order_by(ArchiveFile.code)
        .limit(limit)
    ).all()
    return [
        (_l("Paper file %(code)s", code=code), "archive_file.details_view", {"id": file_id})
        for file_id, code in rows
    ]


class ArchiveFileView(SecureModelView):
    access_key = "archive_file"

    def related_links(self, model):
        return [
            (_l("Lookups of this file"), "archive_desk.file", {"file_id": model.id}),
            (_l("Ask to look up this file"), "archive_lookup.index", {"code": model.code}),
        ]

    column_list = (
        "code",
        "title",
        "owner",
        "unit",
        "prospect",
        "dealer",
        "place",
        "state",
        "custodian",
    )
    column_details_list = (
        "code",
        "title",
        "owner",
        "unit",
        "prospect",
        "dealer",
        "room",
        "cabinet",
        "shelf",
        "box",
        "state",
        "custodian",
        "last_checked_on",
        "notes",
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "code",
        "title",
        "owner",
        "unit",
        "prospect",
        "dealer",
        "room",
        "cabinet",
        "shelf",
        "box",
        "state",
        "custodian",
        "last_checked_on",
    )
    column_labels = {
        "code": _l("File code"),
        "title": _l("Title"),
        "place": _l("Place"),
        "room": _l("Archive room"),
        "cabinet": _l("Cabinet"),
        "shelf": _l("Shelf"),
        "box": _l("Box"),
        "state": _l("State"),
        "custodian": _l("Custodian"),
        "last_checked_on": _l("Last checked"),
    }
    column_searchable_list = ("code", "title")
    column_filters = (
        FilterEqual(ArchiveFile.state, _l("State"), options=STATE_CHOICES),
        FilterEqual(ArchiveFile.room, _l("Archive room")),
        FilterLike(ArchiveFile.room, _l("Archive room")),
    )
    column_sortable_list = ("code", "title", "state", "room", "last_checked_on")
    column_default_sort = ("code", False)
    column_choices = {"state": STATE_CHOICES}

    form_columns = (
        "code",
        "title",
        "owner",
        "unit",
        "prospect",
        "dealer",
        "room",
        "cabinet",
        "shelf",
        "box",
        "state",
        "custodian",
        "last_checked_on",
        "notes",
    )
    form_choices = {"state": STATE_CHOICES}
    # Owners, units and prospects run to hundreds of thousands: searched, never listed whole.
    form_ajax_refs = {
        "owner": {"fields": ("name",), "page_size": 10},
        "unit": {"fields": ("building", "room"), "page_size": 10},
        "prospect": {"fields": ("name",), "page_size": 10},
        "dealer": {"fields": ("name",), "page_size": 10},
    }
    form_args = {
        "code": {"validators": [DataRequired(), Length(max=30)], "filters": [strip_text]},
        "title": {"validators": [DataRequired(), Length(max=200)], "filters": [strip_text]},
        "room": {"validators": [DataRequired(), Length(max=30)], "filters": [strip_text]},
        "cabinet": {"validators": [Optional(), Length(max=30)]},
        "shelf": {"validators": [Optional(), Length(max=30)]},
        "box": {"validators": [Optional(), Length(max=30)]},
        "custodian": {"query_factory": custodian_choices},
        "last_checked_on": {"validators": [Optional(), DateInRange(years_back=50)]},
        "notes": {"validators": [Optional(), Length(max=5000)]},
    }

    def scaffold_form(self):
        return relabel_unique(
            super().scaffold_form(),
            {"code": _l("Another paper file already has this code.")},
        )


def register(admin, db) -> None:
    admin.add_view(
        ArchiveFileView(ArchiveFile, db, name=_l("Paper files"), category=_l("Archives"))
    )

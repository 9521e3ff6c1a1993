"""The admin's office settings (/admin/office-settings/): each setting with its value, unit,
bounds, why and last change, and a form per setting to change it with a reason.

Rules (bounds, reason, stale versions, history, access log): services/admin/office_settings.py.
"""

from __future__ import annotations

from flask import flash, redirect
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from extensions import db
from services.admin import office_settings
from views.shared.audit_context import current_actor
from views.shared.base import SecurePageView


class SettingForm(FlaskForm):
    # Text, not IntegerField: a typed "abc" comes back as typed with our own message.
    value = StringField(
        _l("New value"),
        validators=[
            InputRequired(message=_l("Enter a whole number.")),
            Length(max=6, message=_l("Enter a whole number.")),
            Regexp(r"^\s*\d+\s*$", message=_l("Enter a whole number.")),
        ],
    )
    reason = TextAreaField(
        _l("Why it changes"),
        validators=[
            Optional(),
            Length(
                max=office_settings.REASON_MAX,
                message=_l("At most %(max)d characters.", max=office_settings.REASON_MAX),
            ),
        ],
    )
    version = HiddenField()


def _form_for(line: office_settings.Current) -> SettingForm:
    """A fresh form for one setting, showing its value and the version it quotes."""
    form = SettingForm(prefix=line.setting.key, formdata=None)
    form.value.data = str(line.value)
    form.version.data = str(line.version)
    return form


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class OfficeSettingsView(SecurePageView):
    @expose("/")
    def index(self):
        return self._page({})

    @expose("/<key>/", methods=("POST",))
    def change(self, key: str):
        if key not in office_settings.SETTINGS:
            flash(_("There is no such setting."), "error")
            return redirect(self.get_url(".index"))
        form = SettingForm(prefix=key)
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                flash(_("The page had expired; nothing was changed. Try again."), "error")
                return redirect(self.get_url(".index"))
            return self._page({key: form})
        try:
            changed = office_settings.change(
                db.session,
                current_user._get_current_object(),
                current_actor(),
                key,
                int(form.value.data.strip()),
                form.reason.data,
                _int(form.version.data),
            )
            db.session.commit()
        except office_settings.SettingError as exc:
            db.session.rollback()
            form.value.errors = [*form.value.errors, str(exc)]
            return self._page({key: form})
        if changed:
            flash(
                _("%(setting)s is saved.", setting=office_settings.SETTINGS[key].label), "success"
            )
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(self.get_url(".index"))

    def _page(self, typed: dict[str, SettingForm]):
        """The page; a setting whose change was refused keeps its form as typed."""
        lines = office_settings.current(db.session)
        forms = {line.setting.key: typed.get(line.setting.key) or _form_for(line) for line in lines}
        return self.render(
            "admin/office_settings.html",
            lines=lines,
            forms=forms,
            last_changes=office_settings.last_changes(db.session),
        )


def register(admin, db_) -> None:
    admin.add_view(
        OfficeSettingsView(
            name=_l("Office settings"),
            endpoint="office_settings",
            url="/admin/office-settings",
            category=_l("Administration"),
        )
    )

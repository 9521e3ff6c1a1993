"""The Excel import page (/admin/import/): upload, map the columns, check, import, result.

An uploaded file waits under instance/imports/ sealed with the panel's keys
(services/shared/import_store.py), with a random token and its owner's id, so a step can only
touch its owner's file; it is deleted when the import ends, is cancelled or refused, and
leftovers expire after IMPORT_KEEP_HOURS. Checking and importing stream the file row by row in
background jobs (services/shared/import_jobs.py): the request that starts one returns at once
with a page whose script (static/import.js) polls ``progress`` and offers Cancel; the import
is one transaction. Another user's job is not found (404), like another user's upload.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from pathlib import Path
from types import SimpleNamespace

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_out
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired

from core import access
from core.masking import mask_id_number, mask_phone
from extensions import db
from models.shared.imports import (
    JOB_ACTIVE,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_STOPPED,
    ImportMapping,
)
from services.privacy import consent as consents
from services.shared import import_jobs, import_kinds, import_store, importer, sheet_reader  # noqa: F401
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView
from views.shared.security import SESSION_ID, SIGNED_IN_AT

#: What a file may hold, with the label of the choice.
KIND_CHOICES = [
    ("prospect", _l("Welcome cards")),
    ("owner", _l("Owner list")),
    ("unit", _l("Unit list with owners and household members")),
    ("lease", _l("Lease list with tenants")),
    ("parking_space", _l("Parking spaces")),
    ("resident_card", _l("Resident smart cards")),
    ("vehicle_card", _l("Vehicle IC cards")),
    ("dealer", _l("Dealer list with data cards")),
    ("potential_dealer", _l("Potential-dealer files")),
    ("dealer_visit", _l("Dealer visits")),
    ("archive_file", _l("Paper files' register")),
]
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
#: Rows shown in the preview; all rejected rows are in the download.
PREVIEW_ROWS = 200


class UploadForm(FlaskForm):
    kind = SelectField(_l("The file holds"), choices=KIND_CHOICES, default="prospect")
    file = FileField(_l("Excel file (.xlsx) or CSV"), validators=[FileRequired()])


class RunForm(FlaskForm):
    skip_rejected = BooleanField(_l("Import the valid rows and skip the rejected ones"))
    # The basis is stated once for the whole file and recorded for every card it creates,
    # as the create form records it for one card (services/privacy/consent.py).
    consent_basis = SelectField(_l("Basis for keeping the data"), choices=[])
    consent_given = BooleanField(
        _l("Every customer in this file was told the purpose and agreed (or has the contract)"),
        validators=[InputRequired()],
    )


def _kind_choices() -> list[tuple[str, str]]:
    """The kinds the signed-in role may create records of (core/access.py)."""
    role = current_user.role_code
    return [
        (kind, label)
        for kind, label in KIND_CHOICES
        if access.can(role, importer.KINDS[kind].record_type, access.CREATE)
    ]


def _run_form(kind: str) -> RunForm:
    form = RunForm()
    bases = importer.KINDS[kind].consent_bases
    form.consent_basis.choices = [(b, consents.BASIS_LABELS[b]) for b in bases]
    if not form.consent_basis.data:
        form.consent_basis.data = bases[0]
    return form


def _folder() -> Path:
    return import_store.upload_folder(current_app.config, current_app.instance_path)


def _paths(token: str) -> tuple[Path, Path, Path]:
    if not TOKEN_RE.fullmatch(token or ""):
        abort(404)
    folder = _folder()
    return (
        folder / f"{token}.sealed",
        folder / f"{token}.json",
        folder / f"{token}-rejected.sealed",
    )


def _keep_hours() -> float:
    return import_store.keep_hours(current_app.config)


def _state(token: str) -> dict:
    _upload, meta, _rejected = _paths(token)
    if not meta.exists():
        abort(404)
    state = json.loads(meta.read_text())
    if state.get("user_id") != current_user.id:
        abort(404)
    return state


def _save_state(token: str, state: dict) -> None:
    _paths(token)[1].write_text(json.dumps(state))


def _stored_state(token: str) -> dict | None:
    meta = _paths(token)[1]
    if not meta.exists():
        return None
    state = json.loads(meta.read_text())
    return state if state.get("user_id") == current_user.id else None


def _starter() -> import_jobs.Starter:
    return import_jobs.Starter(
        user_id=current_user.id,
        session_id=session.get(SESSION_ID),
        signed_in_at=session.get(SIGNED_IN_AT),
        locale=str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")),
        actor=current_actor(),
    )


def _start(token: str, phase: str, params: dict) -> bool:
    """Hand the step to a background job; False (with a message) when it must wait."""
    try:
        import_jobs.start(
            current_app._get_current_object(),
            db.session,
            starter=_starter(),
            token=token,
            phase=phase,
            folder=_folder(),
            params=params,
        )
    except import_jobs.JobRefused as exc:
        flash(exc.message, "warning")
        return False
    return True


def _start_check(token: str, state: dict) -> bool:
    params = {
        "kind": state.get("kind", "prospect"),
        "mapping": state["mapping"],
        "layout": _layout(state),
    }
    return _start(token, import_jobs.CHECK, params)


def _layout(state: dict) -> dict:
    """The sheet and title row the check and the import read (chosen in the preview)."""
    return sheet_reader.Layout(
        sheet=state.get("sheet"), header_row=state.get("header_row"), name=state.get("filename")
    ).as_dict()


_DIGITS_RE = re.compile(r"\d{7,}")


def _shown_titles(headers: list[str]) -> list[str]:
    """The titles as the mapping page shows them: a title row chosen on a row of data (or a
    file without titles) shows its phones and ID numbers masked."""
    shown = []
    for title in headers:
        if _DIGITS_RE.search(title):
            compact = title.replace(" ", "")
            is_id = len(compact) in (15, 18) and compact[:-1].isdigit()
            title = mask_id_number(compact) if is_id else mask_phone(title)
        shown.append(title)
    return shown


def _read_layout(data: bytes, kind: str, layout: sheet_reader.Layout) -> dict:
    """Open the upload as ``layout`` says: its titles, sheets and title-row choices for the
    state; ``ImportFileError`` when it cannot be read or has no row below its titles."""
    table = importer.open_table(io.BytesIO(data), kind=kind, layout=layout)
    try:
        first = next(table.rows, None)  # one row read proves the sheet opens
    finally:
        table.close()
    if first is None:
        raise sheet_reader.no_rows(table.header_row)
    return {
        "headers": table.headers,
        "sheet": table.sheet,
        "sheets": table.sheets,
        "header_row": table.header_row,
        "header_rows": [[c.row, list(c.titles)] for c in table.candidates],
        "header_found": table.found,
    }


def _ended(job):
    """A job that ended without a result deleted its upload: its message, then the upload
    page. No job of this user: not found."""
    if job is None:
        abort(404)
    if job.message:
        flash(job.message, "error" if job.status == JOB_FAILED else "info")
    return redirect(url_for(".index"))


def _remembered(headers: list[str], kind: str) -> dict[str, int]:
    saved = db.session.scalar(
        select(ImportMapping.columns).where(
            ImportMapping.user_id == current_user.id, ImportMapping.kind == kind
        )
    )
    mapping = importer.guess_mapping(headers, kind)
    for target, title in (saved or {}).items():
        if title in headers:
            mapping[target] = headers.index(title)
    return mapping


def _remember(headers: list[str], mapping: dict[str, int], kind: str) -> None:
    columns = {target: headers[index] for target, index in mapping.items()}
    row = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.user_id == current_user.id, ImportMapping.kind == kind
        )
    )
    if row is None:
        db.session.add(ImportMapping(user_id=current_user.id, kind=kind, columns=columns))
    else:
        row.columns = columns
    db.session.commit()


class ImportView(SecurePageView):
    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = UploadForm()
        form.kind.choices = _kind_choices()  # the choice is checked against these on POST
        limit = current_app.config.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        if request.method == "POST" and (request.content_length or 0) > limit:
            flash(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "error")
            return redirect(url_for(".index"))
        if form.validate_on_submit():
            import_store.expire(_folder(), _keep_hours())
            import_jobs.prune(db.session, _keep_hours())
            db.session.commit()
            token = secrets.token_hex(16)
            upload, _meta, _rejected = _paths(token)
            data = form.file.data.read(limit + 1)
            if len(data) > limit:
                flash(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "error")
                return redirect(url_for(".index"))
            try:
                layout = sheet_reader.Layout(name=form.file.data.filename)
                read = _read_layout(data, form.kind.data, layout)
            except importer.ImportFileError as exc:
                # checked in memory: a refused file never reaches the disk
                flash(exc.message, "error")
                return redirect(url_for(".index"))
            import_store.write_sealed(upload, data, token)
            del data
            _save_state(
                token,
                {
                    "user_id": current_user.id,
                    "filename": form.file.data.filename,
                    "kind": form.kind.data,
                    **read,
                },
            )
            return redirect(url_for(".mapping", token=token))
        return self.render("admin/imports/upload.html", form=form)

    @expose("/<token>/map", methods=("GET", "POST"))
    def mapping(self, token: str):
        state = _state(token)
        headers = state["headers"]
        kind = state.get("kind", "prospect")
        if request.method == "POST" and request.form.get("reread"):
            return self._reread(token, state)
        if request.method == "POST":
            if not FlaskForm().validate_on_submit():
                abort(400)
            mapping = {}
            for target in importer.KINDS[kind].fields:
                raw = request.form.get(f"col_{target}", "")
                if raw.isdigit() and int(raw) < len(headers):
                    mapping[target] = int(raw)
            if len(set(mapping.values())) != len(mapping):
                flash(_("Each column can feed one field only."), "error")
            elif "name" in importer.KINDS[kind].required and "name" not in mapping:
                flash(_("Choose the column that holds the customer's name."), "error")
            elif missing := [t for t in importer.KINDS[kind].required if t not in mapping]:
                labels = importer.field_labels(kind)
                flash(
                    _(
                        "Choose the columns of: %(fields)s.",
                        fields=", ".join(str(labels[t]) for t in missing),
                    ),
                    "error",
                )
            else:
                _remember(headers, mapping, kind)
                state["mapping"] = mapping
                _save_state(token, state)
                _start_check(token, state)
                return redirect(url_for(".preview", token=token))
            chosen = {t: int(i) for t, i in mapping.items()}
        else:
            chosen = state.get("mapping") or _remembered(headers, kind)
        return self.render(
            "admin/imports/mapping.html",
            token=token,
            state=state,
            headers=_shown_titles(headers),
            chosen=chosen,
            labels=importer.field_labels(kind),
            required=importer.KINDS[kind].required,
            form=FlaskForm(),
        )

    def _reread(self, token: str, state: dict):
        """The user chose another sheet or title row: read the upload again that way (the
        mapping and any check are dropped)."""
        if not FlaskForm().validate_on_submit():
            abort(400)
        sheet = request.form.get("sheet") or state.get("sheet")
        if sheet is not None and sheet not in (state.get("sheets") or []):
            abort(400)
        raw_row = request.form.get("header_row", "")
        # Another sheet: its title row is found again.
        header_row = int(raw_row) if raw_row.isdigit() and sheet == state.get("sheet") else None
        layout = sheet_reader.Layout(sheet=sheet, header_row=header_row, name=state["filename"])
        try:
            data = import_store.read_sealed(_paths(token)[0], token)
            read = _read_layout(data, state.get("kind", "prospect"), layout)
        except (import_store.SealedFileError, FileNotFoundError):
            flash(_("The uploaded file is gone; upload it again."), "error")
            return redirect(url_for(".index"))
        except importer.ImportFileError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".mapping", token=token))
        state.update(read)
        state.pop("mapping", None)
        _save_state(token, state)
        return redirect(url_for(".mapping", token=token))

    @expose("/<token>/check", methods=("POST",))
    def check(self, token: str):
        state = _state(token)
        if not FlaskForm().validate_on_submit():
            abort(400)
        if "mapping" not in state:
            return redirect(url_for(".mapping", token=token))
        _start_check(token, state)
        return redirect(url_for(".preview", token=token))

    @expose("/<token>/preview")
    def preview(self, token: str):
        job = import_jobs.latest(db.session, current_user.id, token, import_jobs.CHECK)
        if not _paths(token)[1].exists():
            return _ended(job)
        state = _state(token)
        if "mapping" not in state:
            return redirect(url_for(".mapping", token=token))
        if job is None or job.status in (JOB_FAILED, JOB_CANCELLED, JOB_STOPPED):
            # Not checked (a start that was told to wait): the page offers the check.
            return self.render("admin/imports/job.html", token=token, state=state, job=job)
        if job.status in JOB_ACTIVE:
            return self.render("admin/imports/job.html", token=token, state=state, job=job)
        outcome = job.outcome or {}
        report = SimpleNamespace(
            total=outcome.get("total", 0),
            valid=outcome.get("valid", 0),
            rejected_count=outcome.get("rejected", 0),
        )
        log_in_own_transaction("import_check", record_type=state.get("kind", "prospect"))
        return self.render(
            "admin/imports/preview.html",
            token=token,
            state=state,
            report=report,
            rows=job.preview or [],
            form=_run_form(state.get("kind", "prospect")),
            purpose=current_app.config["PRIVACY_PURPOSE"],
            policy_version=current_app.config["PRIVACY_POLICY_VERSION"],
        )

    @expose("/<token>/run", methods=("POST",))
    def run(self, token: str):
        state = _state(token)
        kind = state.get("kind", "prospect")
        form = _run_form(kind)
        if "mapping" not in state:
            abort(400)
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            flash(
                _(
                    "Confirm that every customer in the file was told the purpose and agreed "
                    "(or has the contract) before importing."
                ),
                "error",
            )
            return redirect(url_for(".preview", token=token))
        importing = import_jobs.latest(db.session, current_user.id, token, import_jobs.IMPORT)
        if importing is not None and importing.status in JOB_ACTIVE:
            return redirect(url_for(".result", token=token))  # a second press of Import
        checked = import_jobs.latest(db.session, current_user.id, token, import_jobs.CHECK)
        if checked is None or checked.status != JOB_DONE:
            return redirect(url_for(".preview", token=token))
        params = {
            "kind": kind,
            "mapping": state["mapping"],
            "layout": _layout(state),
            "skip_rejected": bool(form.skip_rejected.data),
            "rows_total": (checked.outcome or {}).get("total"),
            "consent": {
                "basis": form.consent_basis.data,
                "purpose": current_app.config["PRIVACY_PURPOSE"],
                "policy_version": current_app.config["PRIVACY_POLICY_VERSION"],
            },
        }
        if not _start(token, import_jobs.IMPORT, params):
            return redirect(url_for(".preview", token=token))
        return redirect(url_for(".result", token=token))

    @expose("/<token>/result")
    def result(self, token: str):
        job = import_jobs.latest(db.session, current_user.id, token, import_jobs.IMPORT)
        if job is None:
            abort(404)
        state = _stored_state(token) or {"kind": "prospect", "filename": ""}
        if job.status in JOB_ACTIVE:
            return self.render("admin/imports/job.html", token=token, state=state, job=job)
        if job.status in (JOB_CANCELLED, JOB_STOPPED):
            return _ended(job)
        outcome = job.outcome or {}
        state = {**state, "inserted": outcome.get("inserted", 0)}
        state["skipped"] = outcome.get("skipped", 0)
        state["visits"] = outcome.get("visits", 0)
        return self.render(
            "admin/imports/result.html",
            token=token,
            state=state,
            job=job,
            has_rejected=_paths(token)[2].exists(),
        )

    @expose("/<token>/cancel", methods=("POST",))
    def cancel(self, token: str):
        job = import_jobs.latest(db.session, current_user.id, token)
        if job is None:
            _state(token)
        if not FlaskForm().validate_on_submit():
            abort(400)
        if job is not None:
            import_jobs.cancel(current_app._get_current_object(), db.session, job)
        import_store.discard(_folder(), token)
        flash(_("The import was cancelled and the uploaded file deleted."), "info")
        return redirect(url_for(".index"))

    @expose("/<token>/rejected.xlsx")
    def rejected(self, token: str):
        _state(token)
        path = _paths(token)[2]
        try:
            workbook = import_store.read_sealed(path, token, "rejected")
        except (import_store.SealedFileError, FileNotFoundError):
            abort(404)
        return send_file(
            io.BytesIO(workbook),
            as_attachment=True,
            download_name="rejected-rows.xlsx",
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @expose("/<token>/progress")
    def progress(self, token: str):
        """The job's state for the polling page (static/import.js); a poll keeps the job's
        session alive for the job."""
        job = import_jobs.latest(db.session, current_user.id, token)
        if job is None:
            abort(404)
        app = current_app._get_current_object()
        import_jobs.touch(app, db.session, job)
        finished = job.status not in JOB_ACTIVE
        if job.phase == import_jobs.CHECK:
            next_url = url_for(".preview", token=token)
        else:
            next_url = url_for(".result", token=token)
        return jsonify(
            phase=job.phase,
            status=job.status,
            rows=import_jobs.rows_done(app, job),
            total=job.rows_total,
            finished=finished,
            message=job.message,
            next=next_url,
        )


def _session_ended(sender, user=None, **extra) -> None:
    """Sign-out, expiry and revocation all sign out through flask-login: the session's jobs
    stop at their next chunk."""
    import_jobs.end_session_jobs(current_app._get_current_object(), session.get(SESSION_ID))


def register(admin, db) -> None:
    user_logged_out.connect(_session_ended)
    admin.add_view(
        ImportView(
            name=_l("Import from Excel"),
            endpoint="imports",
            url="/admin/import",
            # Its own menu entry: sales, property, dealer and archive staff all import, so it
            # belongs to none of their menus.
        )
    )

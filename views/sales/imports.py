"""The Excel import page (/admin/import/): upload, map the columns, check, import, result.

An uploaded file waits under instance/imports/ sealed with the panel's keys
(services/sales/import_store.py), with a random token and its owner's id, so a step can only
touch its owner's file; it is deleted when the import ends, is cancelled or refused, and
leftovers expire after IMPORT_KEEP_HOURS. Checking and importing stream the file row by row; the
import is one transaction. While a long step runs, static/import.js polls the progress of this
process's steps (kept in memory: a progress bar, not a record).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import threading
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired

from extensions import db
from models.sales.imports import ImportMapping
from services.privacy import consent as consents
from services.sales import import_store, importer
from views.sales import sales
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

#: What a file may hold, with the label of the choice.
KIND_CHOICES = [("prospect", _l("Welcome cards")), ("owner", _l("Owner list"))]
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
#: Rows shown in the preview; all rejected rows are in the download.
PREVIEW_ROWS = 200

_progress: dict[str, int] = {}
_progress_lock = threading.Lock()


class UploadForm(FlaskForm):
    kind = SelectField(_l("The file holds"), choices=KIND_CHOICES, default="prospect")
    file = FileField(_l("Excel file (.xlsx)"), validators=[FileRequired()])


class RunForm(FlaskForm):
    skip_rejected = BooleanField(_l("Import the valid rows and skip the rejected ones"))
    # The basis is stated once for the whole file and recorded for every card it creates,
    # as the create form records it for one card (services/privacy/consent.py).
    consent_basis = SelectField(_l("Basis for keeping the data"), choices=[])
    consent_given = BooleanField(
        _l("Every customer in this file was told the purpose and agreed (or has the contract)"),
        validators=[InputRequired()],
    )


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


def _opened(token: str) -> io.BytesIO:
    """The waiting upload, opened in memory only; a file that no longer opens is discarded."""
    try:
        return io.BytesIO(import_store.read_sealed(_paths(token)[0], token))
    except (import_store.SealedFileError, FileNotFoundError):
        import_store.discard(_folder(), token)
        abort(404)


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


def _set_progress(token: str, rows: int) -> None:
    with _progress_lock:
        _progress[token] = rows


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
        limit = current_app.config.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        if request.method == "POST" and (request.content_length or 0) > limit:
            flash(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "error")
            return redirect(url_for(".index"))
        if form.validate_on_submit():
            import_store.expire(_folder(), _keep_hours())
            token = secrets.token_hex(16)
            upload, _meta, _rejected = _paths(token)
            data = form.file.data.read(limit + 1)
            if len(data) > limit:
                flash(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "error")
                return redirect(url_for(".index"))
            try:
                headers, rows = importer.open_rows(io.BytesIO(data))
                next(rows, None)  # one row read proves the sheet opens; close() frees the file
                rows.close()
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
                    "headers": headers,
                    "kind": form.kind.data,
                },
            )
            return redirect(url_for(".mapping", token=token))
        return self.render("admin/imports/upload.html", form=form)

    @expose("/<token>/map", methods=("GET", "POST"))
    def mapping(self, token: str):
        state = _state(token)
        headers = state["headers"]
        kind = state.get("kind", "prospect")
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
            elif "name" not in mapping:
                flash(_("Choose the column that holds the customer's name."), "error")
            else:
                _remember(headers, mapping, kind)
                state["mapping"] = mapping
                _save_state(token, state)
                return redirect(url_for(".preview", token=token))
            chosen = {t: int(i) for t, i in mapping.items()}
        else:
            chosen = state.get("mapping") or _remembered(headers, kind)
        return self.render(
            "admin/imports/mapping.html",
            token=token,
            state=state,
            headers=headers,
            chosen=chosen,
            labels=importer.field_labels(kind),
            form=FlaskForm(),
        )

    @expose("/<token>/preview")
    def preview(self, token: str):
        state = _state(token)
        if "mapping" not in state:
            return redirect(url_for(".mapping", token=token))
        _upload, _meta, rejected_path = _paths(token)
        mapping = {t: int(i) for t, i in state["mapping"].items()}
        try:
            report = importer.check_file(
                db.session,
                _opened(token),
                mapping,
                progress=lambda n: _set_progress(token, n),
                kind=state.get("kind", "prospect"),
                user=current_user._get_current_object(),
            )
        except importer.ImportFileError as exc:
            import_store.discard(_folder(), token)  # refused: nothing of it stays
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        finally:
            db.session.rollback()
        rejected = importer.rejected_workbook(report, io.BytesIO())
        import_store.write_sealed(rejected_path, rejected.getvalue(), token, "rejected")
        state.update(total=report.total, valid=report.valid, rejected=report.rejected_count)
        _save_state(token, state)
        log_in_own_transaction("import_check", record_type=state.get("kind", "prospect"))
        return self.render(
            "admin/imports/preview.html",
            token=token,
            state=state,
            report=report,
            rows=report.rejected[:PREVIEW_ROWS],
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
        mapping = {t: int(i) for t, i in state["mapping"].items()}
        try:
            outcome = importer.import_file(
                db.session,
                current_user._get_current_object(),
                _opened(token),
                mapping,
                skip_rejected=form.skip_rejected.data,
                actor=current_actor(),
                progress=lambda n: _set_progress(token, n),
                kind=kind,
                consent=importer.ConsentBasis(
                    basis=form.consent_basis.data,
                    purpose=current_app.config["PRIVACY_PURPOSE"],
                    policy_version=current_app.config["PRIVACY_POLICY_VERSION"],
                ),
            )
            db.session.commit()
        except importer.ImportFileError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".preview", token=token))
        state.update(inserted=outcome.inserted, skipped=outcome.skipped, done=True)
        _save_state(token, state)
        # The import is done: the workbook goes now; the sealed rejected rows (offered on the
        # result page) and the state expire with the leftovers.
        _paths(token)[0].unlink(missing_ok=True)
        return self.render("admin/imports/result.html", token=token, state=state)

    @expose("/<token>/cancel", methods=("POST",))
    def cancel(self, token: str):
        _state(token)
        if not FlaskForm().validate_on_submit():
            abort(400)
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
        _state(token)
        with _progress_lock:
            return jsonify(rows=_progress.get(token, 0))


def register(admin, db) -> None:
    admin.add_view(
        ImportView(
            name=_l("Import from Excel"),
            endpoint="imports",
            url="/admin/import",
            category=sales.CATEGORY,
        )
    )

"""Small site-wide routes: health check, language switch, root redirect."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, request, url_for
from sqlalchemy import text

from extensions import db
from views.admin.auth import safe_next

bp = Blueprint("site", __name__)


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        current_app.logger.error("health check: database did not answer")
        return jsonify({"status": "error"}), 503
    return jsonify({"status": "ok"})


@bp.route("/language/<code>")
def set_language(code: str):
    """Remember the chosen interface language in a cookie (a preference, not data)."""
    response = make_response(redirect(safe_next(request.args.get("next"))))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"],
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
        )
    return response


def select_locale() -> str:
    """The cookie's language when it is one we offer, else Simplified Chinese."""
    config = current_app.config
    chosen = request.cookies.get(config["LANGUAGE_COOKIE"]) if request else None
    if chosen in config["LANGUAGES"]:
        return chosen
    return config["BABEL_DEFAULT_LOCALE"]

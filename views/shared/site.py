"""Small site-wide routes: health and readiness checks, language switch, root redirect."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, request, url_for

from extensions import db
from services.admin import readiness
from views.admin.auth import safe_next

bp = Blueprint("site", __name__)


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/healthz")
def healthz():
    """The process lives and answers (no database: a load balancer restarts on this)."""
    return jsonify({"status": "ok"})


@bp.route("/readyz")
def readyz():
    """Whether to send traffic here: the database answers, its schema is at head and Redis
    answers where it is configured; 503 with the reasons otherwise."""
    problems = readiness.readiness_problems(
        db.engine,
        current_app.extensions["migrate"].directory,
        current_app.config.get("RATELIMIT_STORAGE_URI"),
    )
    if problems:
        current_app.logger.warning("not ready: %s", "; ".join(problems))
        return jsonify({"status": "error", "problems": problems}), 503
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
            secure=request.is_secure,
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

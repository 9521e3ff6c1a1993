"""The account command: flask --app app users create NAME --role ROLE [--password P]."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models.admin.people import User


def test_create_with_password(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "wang", "--role", "supervisor", "--password", "a-long-secret-1"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "wang")).one()
        assert user.role_code == "supervisor"
        assert "a-long-secret-1" not in user.password_hash
    response = client.post("/login", data={"username": "wang", "password": "a-long-secret-1"})
    assert response.status_code == 302


def test_prompts_for_the_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "zhao", "--role", "clerk"],
        input="another-secret-2\nanother-secret-2\n",
    )
    assert result.exit_code == 0, result.output
    assert "another-secret-2" not in result.output


def test_refuses_duplicates_unknown_roles_and_short_passwords(app):
    runner = app.test_cli_runner()
    ok = ["users", "create", "sun", "--role", "clerk", "--password", "long-enough-pw"]
    assert runner.invoke(args=ok).exit_code == 0
    assert runner.invoke(args=ok).exit_code != 0
    bad_role = ["users", "create", "qian", "--role", "boss", "--password", "long-enough-pw"]
    assert runner.invoke(args=bad_role).exit_code != 0
    short = ["users", "create", "li", "--role", "clerk", "--password", "short"]
    assert runner.invoke(args=short).exit_code != 0

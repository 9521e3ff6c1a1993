"""What every connection of the panel's engine is set to, on either database (app.py)."""

from sqlalchemy import text

from extensions import db


def test_each_new_connection_is_set_up(app):
    with app.app_context():
        engine = db.engine
        # a connection made now, not one the pool kept: the settings come with each one
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # no JIT compilation of the panel's short statements
                assert connection.execute(text("SHOW jit")).scalar() == "off"
                # and it survives a rolled-back transaction
                connection.rollback()
                assert connection.execute(text("SHOW jit")).scalar() == "off"
            else:
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000

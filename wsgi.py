"""The WSGI entry point of a served panel: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

``flask run`` stays the development server. In production mode (PANEL_PRODUCTION=true) the
app is refused here when its database's migrations are not at head.
"""

from app import check_ready_to_serve, create_app
from extensions import db

app = create_app()
check_ready_to_serve(app)
# gunicorn loads the app once (preload_app) and forks the workers after this: none may
# inherit a pooled connection the start-up checks opened, or two workers would talk over one
# socket (PostgreSQL: "error with status PGRES_TUPLES_OK and no message from the libpq").
with app.app_context():
    db.engine.dispose()

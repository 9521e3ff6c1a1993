"""The WSGI entry point of a served panel: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

``flask run`` stays the development server. In production mode (PANEL_PRODUCTION=true) the
app is refused here when its database's migrations are not at head.
"""

from app import check_ready_to_serve, create_app

app = create_app()
check_ready_to_serve(app)

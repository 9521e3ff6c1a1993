"""Extensions, created unbound here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from models.base import Base

# Models are plain SQLAlchemy 2.x classes on Base; Flask-SQLAlchemy only manages the session.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Counts failed sign-ins (views/shared/security.py); storage and strategy come from RATELIMIT_*.
limiter = Limiter(get_remote_address)

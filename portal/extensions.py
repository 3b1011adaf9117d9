"""Extensions are created here and bound to the application in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # batch mode lets SQLite alter tables too
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limit: limits are set on the doors that need them (sign-in, sign-up, reset, alerts).
limiter = Limiter(key_func=get_remote_address)

"""Flask extensions, created unbound here and bound in ``create_app``.

Nothing in this module connects to anything at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Deterministic constraint names: Alembic needs them to alter or drop
# constraints, and SQLite and PostgreSQL then agree on the schema.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model maps a plain Table (no mapping to a join or select), so say so to the checker.
    __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time it is ``db.Model`` (Base plus Flask-SQLAlchemy's mixins);
# mypy cannot take a base class from an attribute (python/mypy#8603), so to it this is Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# A session as the services take it: a plain Session, or ``db.session``, the request-scoped proxy.
SessionLike: TypeAlias = Session | scoped_session[Any]
migrate = Migrate()
api = Api()
# No catch-all "default" answer in the OpenAPI document: every status an operation can answer is
# listed (api/openapi_errors.py adds the shared ones), so a client and schemathesis know them all.
api.DEFAULT_ERROR_RESPONSE_NAME = None
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

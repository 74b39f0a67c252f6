"""schemathesis over the whole API, in-process (WSGI): no server error, every answer as documented.

Every built-in check runs (``case.call_and_validate()``: server errors, status codes, content
types, headers, response schemas, positive and negative data, unsupported methods, missing and
ignored auth), as an operator and as a supervisor, operation by operation and then statefully
(schemathesis follows the links it infers between operations, e.g. a created ticket's id into
its transitions). Bounded and derandomised, so CI is stable and quick.

Dates: the API accepts the years 2000 to 2100 (formats/limits.py; the document says so with a
``pattern``); schemathesis's own ``date``/``date-time`` generators span years 1 to 9999, so they
are pointed at that range here.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from callcentre import create_app
from callcentre.models.user import hash_token
from config import TestConfig
from tests.conftest import ticket_payload

# CI's bound; SCHEMATHESIS_EXAMPLES=200 (say) digs deeper locally.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
STATEFUL = settings(max_examples=EXAMPLES + 2, stateful_step_count=6, derandomize=True, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck))
# Rules of the data the document cannot spell: a phone number must be a real Vietnamese one, a
# category or department code must exist. Such a refusal (422, naming the field and the reason)
# of schema-valid data is expected; a 5xx never is (not_a_server_error).
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
"""

schemathesis.openapi.format("date", st.dates(date(2001, 1, 1), date(2099, 12, 31)).map(str))
schemathesis.openapi.format("date-time", st.datetimes(datetime(2001, 1, 1), datetime(2099, 12, 31),
                                                      timezones=st.just(UTC)).map(lambda d: d.isoformat()))


def _document() -> dict[str, Any]:
    """The OpenAPI document, from an app built only for it (it connects to nothing)."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0",
                                  "INSTANCE_DIR": tempfile.mkdtemp(prefix="cc-openapi-")})
    return app.test_client().get("/api/v1/openapi.json").json


DOCUMENT = _document()
# schemathesis signs its cases while collecting them, before any database exists: so the tokens
# are chosen now and their rows (``known_tokens``) stored when the tests start.
TOKENS = {role: f"cc_schemathesis_{role}_{secrets.token_urlsafe(16)}" for role in ("operator", "supervisor")}


def _schema(role: str) -> Any:
    """The API as ``role`` sees it: schemathesis signs every request (and knows it did)."""
    loaded = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_str(CONFIG))

    @loaded.auth(refresh_interval=None)
    class Bearer:
        def get(self, case: Any, ctx: Any) -> str:
            return TOKENS[role]

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return loaded


operator_api, supervisor_api = _schema("operator"), _schema("supervisor")


@pytest.fixture(scope="module")
def known_tokens(session_app) -> None:
    from callcentre.core.extensions import db
    from callcentre.models import ApiToken, User
    from callcentre.models.types import utcnow

    with session_app.app_context():
        for role, plaintext in TOKENS.items():
            user = db.session.scalars(sa.select(User).where(User.username == role)).one()
            db.session.add(ApiToken(user=user, token_hash=hash_token(plaintext), prefix=plaintext[:10],
                                    created_at=utcnow(), expires_at=utcnow() + timedelta(days=1)))
        db.session.commit()


@pytest.fixture()
def seeded(app, api_as, known_tokens):
    """Rows to find: a ticket in each of two states and a call."""
    operator = api_as("operator")
    first = operator.post("/api/v1/tickets", ticket_payload()).json
    operator.post(f"/api/v1/tickets/{first['id']}/transitions", {"trigger": "assign"})
    operator.post("/api/v1/tickets", ticket_payload(category="CONG-THUONG"))
    operator.post("/api/v1/calls", {"from_number": "0912345678"})
    return app


def _call(case: Any, app: Any) -> None:
    case.operation.schema.app = app  # the checks' own probes (e.g. without a token) go to it too
    case.call_and_validate(app=app)


@operator_api.parametrize()
@SETTINGS
def test_every_operation_as_documented_for_an_operator(case, seeded) -> None:
    _call(case, seeded)


@supervisor_api.parametrize()
@SETTINGS
def test_every_operation_as_documented_for_a_supervisor(case, seeded) -> None:
    _call(case, seeded)


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_stateful_sequences_as_documented(seeded, role) -> None:
    api = _schema(role)
    api.app = seeded
    api.as_state_machine().run(settings=STATEFUL)

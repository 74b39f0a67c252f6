"""Every error status an operation can answer, documented on every operation in one place.

The errors come from plumbing every route shares, not from its own code, so they are added
here (an apispec plugin, run as flask-smorest documents each route) rather than by an
``alt_response`` on each route: authentication (401, 403: ``http/auth.py``), a path id that
names nothing (404: ``http/request_guard.py``), a body that is not usable JSON or too large
(400, 413: the request guard) or not valid (422: webargs), a rate limit (429) and a database
that cannot be reached (503: ``http/errors.py``). Routes document their own other answers (409…).
All of them have the API's error body: ``{"code", "status", "message", "errors"?}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin

_WRITE_METHODS = frozenset({"post", "put", "patch"})


class ErrorResponses(BasePlugin):
    """Adds the shared error answers to each operation (those it declares itself are kept)."""

    def __init__(self) -> None:
        super().__init__()
        self.spec: Any = None

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            statuses = {503}
            public = operation.get("security") == []
            statuses |= {429} if public else {401, 403}
            if "{" in (path or ""):
                statuses.add(404)
            if method in _WRITE_METHODS and "requestBody" in operation:
                statuses |= {400, 413, 422}
            if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
                statuses.add(422)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                if str(status) not in responses and status not in responses:
                    # flask-smorest's response per status: its phrase and the error body
                    responses[str(status)] = self.spec.components.get_ref("response", HTTPStatus(status).name)

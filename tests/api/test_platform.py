"""Health, readiness, metrics, OpenAPI, outage handling and the role audit."""

from __future__ import annotations

from callcentre.http.auth import roles_required


def test_healthz_and_readyz(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_reports_an_unreachable_database_and_redis(make_app) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                   REDIS_URL="redis://127.0.0.1:1/0")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json["checks"]["database"].startswith("error")
    assert resp.json["checks"]["redis"].startswith("error")


def test_database_down_gives_503_json_not_a_stack_trace(make_app, tokens) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    resp = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert resp.status_code == 503
    assert resp.json["code"] == 503 and "database" in resp.json["message"]
    assert resp.headers["Retry-After"] == "5"
    assert "Traceback" not in resp.get_data(as_text=True)


def test_metrics_in_prometheus_format(client) -> None:
    client.get("/healthz")
    resp = client.get("/metrics")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "flask_http_request_total" in text and "callcentre_info" in text


def test_openapi_document_describes_the_api(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/calls", "/api/v1/contacts",
                 "/api/v1/categories", "/api/v1/public/tickets/{receipt_code}"):
        assert path in spec["paths"], path
    assert {"get", "post"} <= spec["paths"]["/api/v1/tickets"].keys()
    assert "TicketCreate" in spec["components"]["schemas"]
    assert client.get("/api/v1/docs").status_code == 200


def test_every_api_endpoint_checks_roles(app) -> None:
    """Only the public lookup, docs, probes and metrics may be reached without a role check.

    Open311 is public by its specification (GETs need no key; a POST is checked against its
    ``api_key`` — tests/open311), and uploaded photos are served by an unguessable key.
    """
    open_endpoints = {"static", "health.healthz", "health.readyz", "prometheus_metrics",
                      "api-docs.openapi_json", "swagger_ui.docs_page", "swagger_ui.static", "public_pages.lookup",
                      "media.media",
                      "web_auth.login", "web_auth.set_language"}  # sign-in and language: open by design
    open_prefixes = ("public.", "open311.")
    unchecked = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in open_endpoints or rule.endpoint.startswith(open_prefixes):
            continue
        if not getattr(view, "_roles", None):
            unchecked.append(rule.endpoint)
    assert unchecked == []
    assert roles_required  # the decorator the audit relies on

"""Categories, departments, and the citizen's public lookup with its QR code."""

from __future__ import annotations

import io

import segno

from tests.conftest import ticket_payload


def test_categories_carry_codes_names_and_default_department(api_as) -> None:
    resp = api_as("officer").get("/api/v1/categories?per_page=100")
    assert resp.status_code == 200
    body = resp.json
    assert body["total"] == len(body["items"]) >= 5
    by_code = {c["code"]: c for c in body["items"]}
    assert by_code["TN-MT"]["name_vi"] == "Tài nguyên và môi trường"
    assert by_code["TN-MT"]["name_en"] == "Natural resources and environment"
    assert by_code["TN-MT"]["department"]["code"] == "SNNMT"
    # The app's five launch fields are all there.
    assert {"AN-NINH-TTATGT", "TT-TT", "TN-MT", "CONG-THUONG", "VH-TT-DL"} <= by_code.keys()


def test_category_search_with_or_without_diacritics(api_as) -> None:
    api = api_as("operator")
    for q in ("moi truong", "Môi trường", "MOI TRUONG"):
        codes = [c["code"] for c in api.get("/api/v1/categories", query_string={"q": q}).json["items"]]
        assert codes == ["TN-MT"], q
    assert api.get("/api/v1/categories?q=dien").json["items"][0]["code"] == "DIEN"


def test_departments(api_as) -> None:
    body = api_as("supervisor").get("/api/v1/departments?per_page=100").json
    codes = {d["code"] for d in body["items"]}
    assert {"SKHCN", "SNNMT", "SCT", "SVHTTDL", "CAT", "SXD"} <= codes
    assert any(d["level"] == "commune" for d in body["items"])
    found = api_as("supervisor").get("/api/v1/departments", query_string={"q": "cong an"}).json
    assert [d["code"] for d in found["items"]] == ["CAT"]
    assert api_as(None).get("/api/v1/departments").status_code == 401


def test_public_lookup_shows_status_and_never_personal_data(api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    code = ticket["receipt_code"]
    for typed in (code, code.lower(), f"{code[:5]}-{code[5:]}"):
        resp = api_as(None).get(f"/api/v1/public/tickets/{typed}")
        assert resp.status_code == 200
    body = resp.json
    assert body["receipt_code"] == code and body["status"] == "received"
    assert body["category"]["code"] == "TN-MT"
    assert [e["kind"] for e in body["public_events"]] == ["created"]
    text = resp.get_data(as_text=True)
    for secret in ("Nguyễn Văn An", "912345678", "Khói bụi", "12 Lê Lợi", "contact", "description"):
        assert secret not in text
    # The QR target (an HTML page) gives the same public view to clients asking for JSON.
    assert api_as(None).get(f"/t/{code}", headers={"Accept": "application/json"}).json == body


def test_public_lookup_rejects_mistyped_codes_and_unknown_ones(api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    code = ticket["receipt_code"]
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    resp = api_as(None).get(f"/api/v1/public/tickets/{typo}")
    assert resp.status_code == 422
    assert "receipt_code" in resp.json["errors"]["path"]
    from callcentre.formats.receipt import new_receipt_code

    assert api_as(None).get(f"/api/v1/public/tickets/{new_receipt_code()}").status_code == 404


def test_qr_codes_encode_the_lookup_url(api_as) -> None:
    code = api_as("operator").post("/api/v1/tickets", ticket_payload()).json["receipt_code"]
    expected = segno.make(f"https://1022.example.vn/t/{code}", error="m")
    png = api_as(None).get(f"/api/v1/public/tickets/{code}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    buf = io.BytesIO()
    expected.save(buf, kind="png", scale=8, border=2)
    assert png.data == buf.getvalue()
    svg = api_as(None).get(f"/api/v1/public/tickets/{code.lower()}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    buf = io.BytesIO()
    expected.save(buf, kind="svg", scale=8, border=2, xmldecl=False)
    assert svg.data == buf.getvalue()
    assert api_as(None).get("/api/v1/public/tickets/0000000000/qr.png").status_code in (404, 422)


def test_public_endpoints_are_rate_limited(make_app, count) -> None:
    app = make_app(RATELIMIT_PUBLIC="3 per minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/public/tickets/ABCDEFGHJK").status_code for _ in range(5)]
    assert statuses[:3] != [429] * 3 and statuses[3:] == [429, 429]
    resp = client.get("/api/v1/public/tickets/ABCDEFGHJK")
    assert resp.status_code == 429 and resp.json["code"] == 429

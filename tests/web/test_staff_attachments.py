"""Staff attachments on the ticket page: stored like Open311 photos (re-encoded, no EXIF), PDFs
kept as sent; internal: served to staff who may see the ticket, never by ``/media/<key>`` nor
listed by a public view."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import ExifTags, Image

from callcentre.core.extensions import db
from callcentre.core.storage import get_storage
from callcentre.models import AuditEvent, Ticket, TicketEvent, TicketMedia
from tests.open311.conftest import BASE, form, image_bytes, new_key
from tests.web.conftest import PASSWORD, login, shoot

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GPS_LAT = (10.0, 21.0, 36.5)


def gps_png() -> bytes:
    """A real PNG carrying an EXIF chunk with a GPS position and the phone's make."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMakerX"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: GPS_LAT})
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(buf, "PNG", exif=exif)
    return buf.getvalue()


def _signed_in(app: Flask, username: str) -> Any:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _open311_ticket(app: Flask, client: Any, api_as: Any, assign: bool = True) -> tuple[int, str]:
    """A ticket filed by the citizen's app with one photo of theirs; assigned to SNNMT."""
    data = {**form(), "api_key": new_key(app, f"app-{uuid.uuid4().hex[:8]}"),
            "media": (io.BytesIO(image_bytes("JPEG")), "citizen.jpg")}
    resp = client.post(f"{BASE}/requests.json", data=data)
    assert resp.status_code == 201, resp.json
    code = resp.json[0]["service_request_id"]
    with app.app_context():
        ticket_id = db.session.scalars(sa.select(Ticket.id).where(Ticket.receipt_code == code)).one()
    if assign:
        done = api_as("operator").post(f"/api/v1/tickets/{ticket_id}/transitions",
                                       {"trigger": "assign", "department": "SNNMT"})
        assert done.status_code == 200, done.json
    return ticket_id, code


def _upload(client: Any, ticket_id: int, data: bytes, name: str, content_type: str = "application/octet-stream"):
    return client.post(f"/tickets/{ticket_id}/attachments", data={"file": (io.BytesIO(data), name, content_type)},
                       content_type="multipart/form-data")


def _stored_files(app: Flask) -> list[Path]:
    with app.app_context():
        root = get_storage(app).root  # type: ignore[attr-defined]  # LocalStorage
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _staff_rows(app: Flask) -> list[TicketMedia]:
    with app.app_context():
        rows = db.session.scalars(sa.select(TicketMedia).where(TicketMedia.uploaded_by_id.is_not(None))).all()
        db.session.expunge_all()
        return list(rows)


def test_a_photo_is_stored_without_exif_listed_served_to_staff_and_never_public(app, client, api_as) -> None:
    ticket_id, code = _open311_ticket(app, client, api_as)
    original = gps_png()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    officer = _signed_in(app, "officer")
    resp = _upload(officer, ticket_id, original, "Ảnh hiện trường 12 Lê Lợi.png", "image/png")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets/{ticket_id}#files-h")
    [row] = _staff_rows(app)
    assert row.content_type == "image/png" and row.filename == "Ảnh hiện trường 12 Lê Lợi.png"
    with app.app_context():
        with get_storage(app).open(row.storage_key or "") as f:
            stored = f.read()
        event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == "attachment")).one()
        assert event.ticket_id == ticket_id and event.public is False and event.note == row.filename
        assert event.actor.username == "officer" and event.payload["media_id"] == row.id
    assert stored != original and row.size == len(stored)
    for secret in (b"eXIf", b"Exif", b"PhoneMakerX"):
        assert secret not in stored, secret
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}

    page = officer.get(f"/tickets/{ticket_id}")
    html = page.get_data(as_text=True)
    assert "Đã tải lên tệp đính kèm" in html and "Tệp đính kèm" in html and "Đính kèm tệp" in html
    staff_url = f"/tickets/{ticket_id}/attachments/{row.id}"
    assert f'src="{staff_url}"' in html and "Ảnh hiện trường 12 Lê Lợi.png" in html
    section = html.split('id="files-h"', 1)[1].split("</section>", 1)[0]
    assert "Trần Văn Minh" in section  # the uploader
    assert "Công dân (qua ứng dụng)" in section  # the citizen's photo is listed for staff too

    served = officer.get(staff_url)
    assert served.status_code == 200 and served.data == stored
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["Content-Disposition"].startswith("inline")
    # The staff API links it to the same staff route (never /media/, which refuses it).
    detail = api_as("officer").get(f"/api/v1/tickets/{ticket_id}").json
    assert {"url": staff_url, "content_type": "image/png"} in detail["media"]
    with app.app_context():
        audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "view_personal_data")).all()
        assert any(a.details.get("media_id") == row.id and a.target_id == str(ticket_id) for a in audited)

    # Public: the key is not served, and no public view names it (the citizen's photo still is).
    assert client.get(f"/media/{row.storage_key}").status_code == 404
    [public] = client.get(f"{BASE}/requests/{code}.json").json
    assert public["media_url"] and row.storage_key not in str(public)
    assert len(public["extended_attributes"]["media_urls"]) == 1
    assert client.get(public["media_url"].removeprefix("https://1022.example.vn")).status_code == 200
    listed = client.get(f"{BASE}/requests.json").get_data(as_text=True)
    updates = client.get(f"{BASE}/servicerequestupdates.json?service_request_id={code}").get_data(as_text=True)
    lookup = client.get(f"/api/v1/public/tickets/{code}").get_data(as_text=True)
    lookup_page = client.get(f"/t/{code}").get_data(as_text=True)
    for text in (listed, updates, lookup, lookup_page):
        assert row.storage_key not in text and "Lê Lợi.png" not in text and "attachments" not in text


def test_a_pdf_is_stored_unchanged_and_downloaded_as_an_attachment(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    officer = _signed_in(app, "officer")
    resp = _upload(officer, ticket_id, PDF_BYTES, "Công văn trả lời số 12/SNNMT.pdf", "application/pdf")
    assert resp.status_code == 302
    [row] = _staff_rows(app)
    assert row.content_type == "application/pdf" and row.filename == "SNNMT.pdf"  # the last path part only
    assert (row.storage_key or "").endswith(".pdf")
    html = officer.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'href="/tickets/{ticket_id}/attachments/{row.id}"' in html and "SNNMT.pdf" in html
    got = officer.get(f"/tickets/{ticket_id}/attachments/{row.id}")
    assert got.status_code == 200 and got.data == PDF_BYTES
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"] == "attachment; filename=SNNMT.pdf"
    assert got.headers["Cache-Control"] == "private, no-store"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/media/{row.storage_key}").status_code == 404


def test_a_vietnamese_name_downloads_under_a_safe_ascii_name(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    officer = _signed_in(app, "officer")
    # U+202E turns the display right-to-left ("fdp.exe" read as "exe.pdf"): format characters go.
    assert _upload(officer, ticket_id, PDF_BYTES, "Đơn  trả lời; x=1\u202e\u200b.pdf").status_code == 302
    [row] = _staff_rows(app)
    assert row.filename == "Đơn trả lời; x=1.pdf"
    got = officer.get(f"/tickets/{ticket_id}/attachments/{row.id}")
    assert got.headers["Content-Disposition"] == "attachment; filename=Don-tra-loi-x-1.pdf"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "tra-loi.pdf",
     "Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF (kiểm tra theo nội dung tệp, không theo tên)"),
    ("Biên bản làm việc ngày 3/12\n".encode(), "bien-ban.txt",
     "Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF (kiểm tra theo nội dung tệp, không theo tên)"),
    (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "lon.pdf", "Tệp lớn quá 5 MB; hãy chọn tệp nhỏ hơn"),
    (b"", "rong.png", "Hãy chọn một ảnh hoặc tệp PDF để tải lên"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "hong.png", "Không đọc được ảnh (tệp hỏng hoặc quá nhiều điểm ảnh)"),
])
def test_refused_files_are_422_beside_the_field_and_store_nothing(app, client, api_as, count, data, name,
                                                                  message) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    before = _stored_files(app)
    officer = _signed_in(app, "officer")
    resp = _upload(officer, ticket_id, data, name, "application/pdf")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert message in html and 'id="attachment-error"' in html and 'aria-invalid="true"' in html
    assert _staff_rows(app) == [] and count(TicketEvent, TicketEvent.kind == "attachment") == 0
    assert _stored_files(app) == before


def test_no_file_or_two_files_are_422(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    officer = _signed_in(app, "officer")
    none = officer.post(f"/tickets/{ticket_id}/attachments", data={}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Hãy chọn một ảnh hoặc tệp PDF để tải lên" in none.get_data(as_text=True)
    two = officer.post(f"/tickets/{ticket_id}/attachments", content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(PDF_BYTES), "a.pdf"), (io.BytesIO(PDF_BYTES), "b.pdf")]})
    assert two.status_code == 422 and "Mỗi lần chỉ tải lên một tệp" in two.get_data(as_text=True)
    assert _staff_rows(app) == []


def test_a_failed_database_write_leaves_no_file(app, client, api_as, monkeypatch) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    before = _stored_files(app)
    officer = _signed_in(app, "officer")

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("database went away"))

    monkeypatch.setattr("callcentre.web.attachments.record_event", broken)
    assert _upload(officer, ticket_id, PDF_BYTES, "a.pdf").status_code == 503  # http/errors.py: an outage
    assert _staff_rows(app) == [] and _stored_files(app) == before


def test_another_departments_officer_is_refused_and_media_of_another_ticket_is_404(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    other_id, _other = _open311_ticket(app, client, api_as)
    officer = _signed_in(app, "officer")
    assert _upload(officer, ticket_id, PDF_BYTES, "a.pdf").status_code == 302
    [row] = _staff_rows(app)
    stranger = _signed_in(app, "officer_ct")
    assert _upload(stranger, ticket_id, PDF_BYTES, "b.pdf").status_code == 403
    assert stranger.get(f"/tickets/{ticket_id}/attachments/{row.id}").status_code == 403
    assert len(_staff_rows(app)) == 1
    # The media must belong to the ticket of the URL; unknown ids are 404.
    assert officer.get(f"/tickets/{other_id}/attachments/{row.id}").status_code == 404
    assert officer.get(f"/tickets/{ticket_id}/attachments/999999").status_code == 404
    assert officer.post("/tickets/999999/attachments", data={}, content_type="multipart/form-data").status_code == 404
    # Not yet assigned: the department does not see it yet; the operator does.
    waiting_id, _waiting = _open311_ticket(app, client, api_as, assign=False)
    assert _upload(officer, waiting_id, PDF_BYTES, "c.pdf").status_code == 403
    assert _upload(_signed_in(app, "operator"), waiting_id, PDF_BYTES, "c.pdf").status_code == 302


def test_signed_out_is_sent_to_the_login_page(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    with app.app_context():
        media_id = db.session.scalars(sa.select(TicketMedia.id)).one()
    anonymous = app.test_client()
    for resp in (_upload(anonymous, ticket_id, PDF_BYTES, "a.pdf"),
                 anonymous.get(f"/tickets/{ticket_id}/attachments/{media_id}")):
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _staff_rows(app) == []


def test_the_citizens_own_photo_is_served_to_staff_through_the_staff_route(app, client, api_as) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    with app.app_context():
        media_id = db.session.scalars(sa.select(TicketMedia.id)).one()
    got = _signed_in(app, "officer").get(f"/tickets/{ticket_id}/attachments/{media_id}")
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["Cache-Control"] == "private, no-store"


def test_uploading_a_photo_through_the_form(app, client, api_as, new_page, tmp_path) -> None:
    ticket_id, _code = _open311_ticket(app, client, api_as)
    photo = tmp_path / "hien-truong.png"
    photo.write_bytes(gps_png())
    page = new_page()
    login(page, "officer")
    page.goto(f"/tickets/{ticket_id}")
    field = page.get_by_label("Tải lên ảnh hoặc PDF")
    assert field.get_attribute("accept") == "image/jpeg,image/png,image/webp,application/pdf"
    assert "tối đa 5 MB" in page.inner_text("#attachment-hint")
    field.set_input_files(str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="Tải lên", exact=True).click()
    assert "Đã tải lên tệp đính kèm" in page.content()
    [row] = _staff_rows(app)
    image = page.locator(f'img[src="/tickets/{ticket_id}/attachments/{row.id}"]')
    # The thumbnail is loading="lazy": bring it into view, then wait for it to decode rather than
    # reading naturalWidth while the request may still be in flight (seen once in CI under load).
    image.scroll_into_view_if_needed()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 30  # served, re-encoded
    assert "hien-truong.png" in page.inner_text("section[aria-labelledby=files-h]")
    shoot(page, "ticket-attachments")
    # A text file renamed .png: refused beside the field, nothing listed.
    fake = tmp_path / "khong-phai-anh.png"
    fake.write_text("không phải ảnh")
    page.get_by_label("Tải lên ảnh hoặc PDF").set_input_files(str(fake))
    with page.expect_navigation():
        page.get_by_role("button", name="Tải lên", exact=True).click()
    assert "Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF" in page.inner_text("#attachment-error")
    assert len(_staff_rows(app)) == 1

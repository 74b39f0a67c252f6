"""Photos: multipart upload checked by content and size, media_url, served back, listed on the ticket."""

from __future__ import annotations

import io

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Ticket, TicketMedia
from tests.open311.conftest import BASE, PNG, form, image_bytes, new_key

JPEG = image_bytes("JPEG")


def upload(data: bytes, name: str = "anh.png", content_type: str = "image/png"):
    return (io.BytesIO(data), name, content_type)


def test_uploaded_photo_is_stored_served_and_listed(app, client, post, api_as, count) -> None:
    resp = post(media=upload(PNG))
    assert resp.status_code == 201, resp.json
    code = resp.json[0]["service_request_id"]
    [got] = client.get(f"{BASE}/requests/{code}.json").json
    url = got["media_url"]
    assert url.startswith("https://1022.example.vn/media/") and url.endswith(".png")
    assert got["extended_attributes"]["media_urls"] == [url]
    served = client.get(url.removeprefix("https://1022.example.vn"))
    # The same picture, re-encoded (no metadata: tests/open311/test_photo_privacy.py).
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data.startswith(b"\x89PNG")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        row = db.session.scalars(sa.select(TicketMedia)).one()
        assert (row.content_type, row.size, row.url) == ("image/png", len(served.data), None)
        assert "anh" not in row.storage_key  # the client's file name is never used
        ticket_id = row.ticket_id
    # Staff see the photos on the ticket too.
    detail = api_as("supervisor").get(f"/api/v1/tickets/{ticket_id}").json
    assert detail["media"] == [{"url": url, "content_type": "image/png"}]


def test_media_url_and_several_uploads(app, client, post) -> None:
    resp = post(media_url="https://cdn.example.vn/a.jpg",
                media=[upload(JPEG, "a.jpg", "image/jpeg"), upload(PNG)])
    assert resp.status_code == 201, resp.json
    [got] = client.get(f"{BASE}/requests/{resp.json[0]['service_request_id']}.json").json
    urls = got["extended_attributes"]["media_urls"]
    assert urls[0] == got["media_url"] == "https://cdn.example.vn/a.jpg"
    assert urls[1].endswith(".jpg") and urls[2].endswith(".png")


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(post, count) -> None:
    resp = post(media=upload(b"#!/bin/sh\necho pwned\n", "photo.png", "image/png"))
    assert resp.status_code == 400
    assert resp.json[0]["description"].startswith("media: media must be a JPEG, PNG or WebP image")
    assert post(media=upload(b"", "empty.png")).status_code == 400
    assert count(Ticket) == 0 and count(TicketMedia) == 0


def test_a_too_large_photo_is_refused_and_nothing_is_stored(make_app, app) -> None:
    small = make_app(MEDIA_MAX_BYTES=len(PNG) - 1)
    key = new_key(app)
    resp = small.test_client().post(f"{BASE}/requests.json",
                                    data={**form(), "api_key": key, "media": upload(PNG)})
    assert resp.status_code == 400 and "larger than" in resp.json[0]["description"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_retried_multipart_post_with_a_key_stores_one_photo(post, count) -> None:
    headers = {"Idempotency-Key": "upload-1"}
    first = post(headers=headers, media=upload(PNG))
    again = post(headers=headers, media=upload(PNG))
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert count(Ticket) == 1 and count(TicketMedia) == 1
    # Another photo under the same key is another request.
    assert post(headers=headers, media=upload(JPEG, "b.jpg", "image/jpeg")).status_code == 400


def test_unknown_or_malformed_media_key_is_404(client) -> None:
    assert client.get("/media/" + "A" * 32 + ".png").status_code == 404
    assert client.get("/media/..%2F..%2Fconfig.py").status_code == 404


def test_oversized_body_is_413_before_parsing_and_photo_count_is_capped(make_app, app, post, count) -> None:
    small = make_app(MEDIA_MAX_BYTES=1024)
    key = new_key(app, "big-app")
    resp = small.test_client().post(f"{BASE}/requests.json",
                                    data={**form(), "api_key": key, "media": upload(PNG + b"\0" * 2_000_000)})
    assert resp.status_code == 413 and resp.json[0]["code"] == 413
    resp = post(media=[upload(PNG) for _ in range(6)])
    assert resp.status_code == 400 and resp.json[0]["description"] == "media: at most 5 photos per request"
    assert count(Ticket) == 0

"""Photos leave without their metadata (EXIF GPS above all), bombs are refused, media_url is https.

Real images made by Pillow: a JPEG carrying GPS EXIF, an orientation, the camera's make and a
comment; a PNG with a text chunk; PNG headers announcing more pixels than we accept.
"""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image, PngImagePlugin

from callcentre.core.extensions import db
from callcentre.core.storage import get_storage
from callcentre.models import Ticket, TicketMedia
from tests.open311.conftest import BASE, form, new_key

GPS_LAT, GPS_LNG = (10.0, 21.0, 36.5), (106.0, 21.0, 36.5)


def gps_jpeg() -> bytes:
    """40x20, left quarter blue, the rest red; EXIF says "rotate 90° clockwise to show" (6)."""
    picture = Image.new("RGB", (40, 20), (255, 0, 0))
    picture.paste((0, 0, 255), (0, 0, 10, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMakerX"
    exif[ExifTags.Base.BodySerialNumber] = "SERIAL-4711"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: GPS_LAT,
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: GPS_LNG,
    })
    buf = io.BytesIO()
    picture.save(buf, "JPEG", exif=exif, comment=b"nha ong An 12 Le Loi")
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` x ``height`` (no pixel data worth decoding)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def _upload(data: bytes, name: str):
    return (io.BytesIO(data), name, "application/octet-stream")


def _served(client, code: str):
    [got] = client.get(f"{BASE}/requests/{code}.json").json
    return client.get(got["media_url"].removeprefix("https://1022.example.vn"))


def test_a_jpeg_is_served_upright_without_gps_or_any_exif(app, client, post) -> None:
    original = gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    resp = post(media=_upload(original, "IMG_0001.JPG"))
    assert resp.status_code == 201, resp.json
    served = _served(client, resp.json[0]["service_request_id"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    picture = Image.open(io.BytesIO(served.data))
    assert picture.format == "JPEG"
    assert dict(picture.getexif()) == {} and "exif" not in picture.info and "comment" not in picture.info
    for secret in (b"Exif", b"PhoneMakerX", b"SERIAL-4711", b"Le Loi"):
        assert secret not in served.data, secret
    # The orientation was applied before the EXIF went: 20 wide, 40 high, the blue part on top.
    assert picture.size == (20, 40)
    top, bottom = picture.getpixel((10, 3)), picture.getpixel((10, 36))
    assert top[2] > 200 > top[0] and bottom[0] > 200 > bottom[2]
    # What is stored is the clean copy, not the upload.
    with app.app_context():
        row = db.session.scalars(sa.select(TicketMedia)).one()
        with get_storage(app).open(row.storage_key) as stored:
            assert stored.read() == served.data
        assert row.size == len(served.data)


def test_a_png_loses_its_text_chunks(client, post) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Nguyen Van An, 0912345678")
    buf = io.BytesIO()
    Image.new("RGBA", (3, 3), (0, 128, 0, 128)).save(buf, "PNG", pnginfo=info)
    resp = post(media=_upload(buf.getvalue(), "a.png"))
    assert resp.status_code == 201, resp.json
    served = _served(client, resp.json[0]["service_request_id"])
    assert served.mimetype == "image/png" and b"0912345678" not in served.data and b"tEXt" not in served.data
    picture = Image.open(io.BytesIO(served.data))
    assert picture.mode == "RGBA" and picture.getpixel((1, 1)) == (0, 128, 0, 128)


def test_served_with_the_stored_type_inline_and_nosniff(app, client, post) -> None:
    resp = post(media=_upload(gps_jpeg(), "x.jpg"))
    served = _served(client, resp.json[0]["service_request_id"])
    with app.app_context():
        key = db.session.scalars(sa.select(TicketMedia.storage_key)).one()
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == f"inline; filename={key}"


def test_a_stored_file_of_no_ticket_is_not_served(app, client) -> None:
    with app.app_context():
        key = get_storage(app).save(io.BytesIO(gps_jpeg()), "x", "image/jpeg")  # as a rolled-back write leaves it
    assert client.get(f"/media/{key}").status_code == 404


@pytest.mark.parametrize(("data", "message"), [
    (png_header(8000, 8000), "media: image is 8000x8000 pixels; at most 50,000,000 are accepted"),
    (png_header(30000, 30000), "media: image has too many pixels"),  # Pillow's own bomb ceiling
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "media: image could not be decoded"),
    (png_header(4, 4)[:40], "media: image could not be decoded"),  # truncated
])
def test_bombs_and_undecodable_images_are_refused(post, count, data: bytes, message: str) -> None:
    resp = post(media=_upload(data, "bomb.png"))
    assert resp.status_code == 400
    assert resp.json[0]["description"].startswith(message), resp.json
    assert count(Ticket) == 0 and count(TicketMedia) == 0


def test_the_pixel_ceiling_is_a_setting(make_app, app) -> None:
    small = make_app(MEDIA_MAX_PIXELS=100)
    key = new_key(app)
    picture = io.BytesIO()
    Image.new("RGB", (20, 10)).save(picture, "PNG")
    resp = small.test_client().post(f"{BASE}/requests.json",
                                    data={**form(), "api_key": key, "media": _upload(picture.getvalue(), "a.png")})
    assert resp.status_code == 400 and "image is 20x10 pixels; at most 100 are accepted" in resp.json[0]["description"]


@pytest.mark.parametrize("url", [
    "http://cdn.example.vn/a.jpg",  # not https
    "javascript:alert(1)",
    "https://user:secret@cdn.example.vn/a.jpg",
    "https://user@cdn.example.vn/a.jpg",
    "https://cdn.example.vn/a b.jpg",
    "https://cdn.example.vn/a.jpg\n<script>",
    'https://cdn.example.vn/a.jpg"onerror="alert(1)',
    "https:\\\\evil.example/a.jpg",
    "https:///a.jpg",  # no host
    "https://cdn.example.vn:99999/a.jpg",
    "https://cdn.example.vn/" + "a" * 1000,
    "data:image/png;base64,iVBORw0KGgo=",
])
def test_media_url_must_be_a_plain_https_url(post, count, url: str) -> None:
    resp = post(media_url=url)
    assert resp.status_code == 400
    assert resp.json == [{"code": 400, "description": "media_url must be an https URL of at most 1000 characters, "
                                                      "without spaces or a user name/password"}]
    assert count(TicketMedia) == 0 and count(Ticket) == 0


def test_a_good_media_url_is_stored_as_given(client, post) -> None:
    url = "https://cdn.example.vn/ảnh/a.jpg?w=800&sig=a%2Bb"
    resp = post(media_url=url)
    assert resp.status_code == 201, resp.json
    code = resp.json[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{code}.json").json[0]["media_url"] == url
    # In XML the "&" is escaped, and the value round-trips.
    root = ET.fromstring(client.get(f"{BASE}/requests/{code}.xml").data)
    assert root.findtext("request/media_url") == url

"""Open311 fixtures: a real API client row, form posts, and XML parsing."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from callcentre.core.extensions import db

BASE = "/open311/v2"


def image_bytes(fmt: str, size: tuple[int, int] = (4, 3), **save: Any) -> bytes:
    """A real, decodable image (Pillow), not just magic bytes."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt, **save)
    return buf.getvalue()


PNG = image_bytes("PNG")


def new_key(app: Flask, name: str = "app-dongthap") -> str:
    from callcentre.services.api_clients import create_client

    with app.app_context():
        _, plaintext = create_client(name, actor=None, label="test")
        db.session.commit()
    return plaintext


@pytest.fixture()
def api_key(app: Flask) -> str:
    return new_key(app)


def form(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "TN-MT",
        "description": "Khói bụi từ lò gạch gần chợ Mỹ Tho",
        "lat": "10.3600", "long": "106.3600",
        "address_string": "12 Lê Lợi, Mỹ Tho",
        "phone": "0912345678", "first_name": "An", "last_name": "Nguyễn Văn",
        "email": "an@example.vn",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture()
def post(client: FlaskClient, api_key: str) -> Callable[..., Any]:
    """``post(fmt="json", headers=..., files=..., **form_overrides)``."""

    def send(fmt: str = "json", headers: dict[str, str] | None = None, key: str | None = api_key,
             **overrides: Any):
        data = form(**overrides)
        if key is not None:
            data["api_key"] = key
        return client.post(f"{BASE}/requests.{fmt}", data=data, headers=headers or {})

    return send


def xml(resp) -> ET.Element:
    assert resp.mimetype == "text/xml" and resp.mimetype_params.get("charset") == "utf-8"
    assert resp.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(resp.data)

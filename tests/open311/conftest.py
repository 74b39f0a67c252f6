"""Open311 fixtures: a real API client row, form posts, and XML parsing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db

BASE = "/open311/v2"
# The smallest valid PNG (1x1): real magic bytes, not just a name.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def new_key(app: Flask, name: str = "app-dongthap") -> str:
    from callcentre.open311.cli import create_client

    with app.app_context():
        _, plaintext = create_client(name)
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

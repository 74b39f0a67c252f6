"""The two wire formats: JSON and XML, UTF-8, chosen by the URL's extension.

The same Python data renders both ways: a list becomes ``<root><item/>...</root>``,
a dict becomes child elements, a nested list uses the singular names below.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response, g

FORMATS = ("json", "xml")
MIMETYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element name of each item of a nested list, as the specification spells them.
LIST_ITEMS = {
    "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
    "media_urls": "media_url",
}


def current_format() -> str:
    return g.get("open311_format") or "xml"  # XML is the format the specification requires


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        item_name = LIST_ITEMS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_name), child)
    else:
        element.text = _text(value)


def to_xml(data: Any, root: str, item: str | None = None) -> bytes:
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(ET.SubElement(element, item or "item"), entry)
    else:
        _fill(element, data)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def respond(data: Any, root: str, item: str | None = None, status: int = 200, fmt: str | None = None) -> Response:
    """``data`` as JSON or XML (the request's extension unless ``fmt`` is given)."""
    fmt = fmt or current_format()
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(data, root, item)
    return Response(body, status=status, content_type=MIMETYPES[fmt])

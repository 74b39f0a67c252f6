"""Our rows as Open311 objects. Never the citizen's name, phone, email or own words.

A ticket's ``description`` is withheld (sent empty) like on the public lookup
page: operators' notes and citizens' texts quote names, phone numbers and
house numbers. ``status_notes`` carries the department's public answer: in a keyless list or
feed (``listed``) only when it is published (``services.publication.listed_answer``), to whoever
asks by receipt code as on ``/t/<code>``. The location is the public one
(``services.publication.public_location``: no house number, coordinates to ~100 m).
"""

from __future__ import annotations

from typing import Any

from callcentre.core.storage import media_url
from callcentre.formats.textnorm import search_key
from callcentre.models import Category, Department, Ticket, TicketEvent
from callcentre.open311.definitions import attributes_of
from callcentre.open311.params import local_iso, public_status
from callcentre.services.publication import answer_is_public, listed_answer, public_location, public_media, redact
from workflows.definition import BY_NAME
from workflows.states import label

# The first step has no trigger in the workflow table.
CREATED_LABEL = ("Đã tiếp nhận phản ánh", "Report received")


def _name(row: Category | Department | None, lang: str) -> str | None:
    if row is None:
        return None
    return row.name_en if lang == "en" else row.name_vi


def service(category: Category, lang: str) -> dict[str, Any]:
    name = _name(category, lang)
    agency = _name(category.default_department, lang)
    return {
        "service_code": category.code,
        "service_name": name,
        "description": f"{name} ({agency})",
        "metadata": bool(attributes_of(category.code)),
        "type": "realtime",
        # Without diacritics too, so "moi truong" finds "Môi trường".
        "keywords": ", ".join([category.code.lower(), search_key(category.name_vi), category.name_en.lower()]),
        "group": agency,
    }


def _status_extension(status: str, lang: str) -> dict[str, Any]:
    return {"detailed_status": status, "detailed_status_label": label(status, lang)}


def service_request(ticket: Ticket, lang: str, listed: bool = False) -> dict[str, Any]:
    """``listed``: found by browsing, not asked for by receipt code (the answer only if published)."""
    media = [media_url(m) for m in public_media(ticket)]
    location = public_location(ticket)
    return {
        "service_request_id": ticket.receipt_code,
        "status": public_status(ticket.status),
        "status_notes": listed_answer(ticket) if listed else ticket.public_answer,
        "service_name": _name(ticket.category, lang),
        "service_code": ticket.category.code,
        "description": None,
        "agency_responsible": _name(ticket.department, lang),
        "service_notice": None,
        "requested_datetime": local_iso(ticket.created_at),
        "updated_datetime": local_iso(ticket.updated_at),
        "expected_datetime": local_iso(ticket.resolve_deadline),
        "address": location["address"],
        "address_id": location["commune_code"],
        "zipcode": None,
        "lat": location["lat"],
        "long": location["lng"],
        "media_url": media[0] if media else None,
        "extended_attributes": {**_status_extension(ticket.status, lang), "channel": ticket.channel,
                                "media_urls": media},
    }


def _update_text(event: TicketEvent, lang: str, listed: bool) -> str | None:
    """Public words only: the answer of a ``resolve`` (``listed``: only while the ticket's answer is
    published), else the step's name; never ``note``."""
    if event.kind == "resolve" and (event.payload or {}).get("answer"):
        if not listed:
            return str(event.payload["answer"])
        if answer_is_public(event.ticket):
            return redact(str(event.payload["answer"]), event.ticket)
    if event.kind == "created":
        return CREATED_LABEL[1] if lang == "en" else CREATED_LABEL[0]
    spec = BY_NAME.get(event.kind)
    if spec is not None:
        return spec.label(lang)
    return label(event.to_status, lang) if event.to_status else None


def service_request_update(event: TicketEvent, lang: str, listed: bool = False) -> dict[str, Any]:
    ticket = event.ticket
    # Events that changed no status (a public note) report the ticket's current one.
    status = event.to_status or ticket.status
    media = [media_url(m) for m in public_media(ticket)] if event.kind == "created" else []
    return {
        "update_id": str(event.id),
        "service_request_id": ticket.receipt_code,
        "status": public_status(status),
        "updated_datetime": local_iso(event.created_at),
        "description": _update_text(event, lang, listed),
        "media_url": media[0] if media else None,
        "extended_attributes": {**_status_extension(status, lang), "kind": event.kind},
    }

"""The read side of GeoReport v2: discovery, services, requests, tokens, updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from sqlalchemy.orm import configure_mappers, joinedload, selectinload
from werkzeug.exceptions import HTTPException

from callcentre.core.extensions import db, limiter
from callcentre.formats.receipt import InvalidReceiptCode, normalize
from callcentre.models import Category, Ticket, TicketEvent
from callcentre.open311.auth import check_optional_key
from callcentre.open311.blueprint import bp, public_limit
from callcentre.open311.definitions import CHANGESET, attributes_of
from callcentre.open311.errors import error_response, not_found, register_error_handlers
from callcentre.open311.formats import FORMATS, MIMETYPES, respond
from callcentre.open311.intake import MAX_UPLOADS
from callcentre.open311.params import (
    check_jurisdiction,
    check_storable_values,
    comma_list,
    date_range,
    language,
    page_params,
    param,
    status_filter,
)
from callcentre.open311.serialize import service, service_request, service_request_update
from callcentre.services.publication import publicly_findable, publicly_listed

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
MAX_IDS = 1000  # service_request_id values looked up at once
FORM_ALLOWANCE = 256 * 1024  # the text fields of a POST, beside its photos
register_error_handlers(bp)


@bp.url_value_preprocessor
def _pull_format(endpoint: str | None, values: dict[str, Any] | None) -> None:
    fmt = (values or {}).pop("fmt", None)
    g.open311_format = fmt if fmt in FORMATS else "xml"
    if fmt is not None and fmt not in FORMATS:
        raise not_found(f"format '{fmt}' is not served; use .xml or .json")


@bp.before_request
def _common_params() -> None:
    if request.method == "POST":
        # Refuse an oversized body before it is parsed (413), not after spooling it to disk.
        request.max_content_length = MAX_UPLOADS * current_app.config["MEDIA_MAX_BYTES"] + FORM_ALLOWANCE
    check_storable_values()  # after the limit: this parses the form
    check_jurisdiction()
    if request.method == "GET":
        check_optional_key()


def _media_option() -> Any:
    configure_mappers()  # Ticket.media is a backref: it exists once the mappers are configured
    return selectinload(Ticket.media)


def _ticket_query() -> Select:
    # The contact: a published answer that quotes the citizen's name or phone is shown without them.
    return select(Ticket).options(joinedload(Ticket.category), joinedload(Ticket.department),
                                  joinedload(Ticket.contact), _media_option())


def find_ticket(code: str) -> Ticket:
    """By receipt code (any typed form: ``abcde-12345`` works too), or the spec's 404 (also for a
    ticket the publication rules hide: services/publication.py)."""
    try:
        canonical = normalize(code)
    except InvalidReceiptCode:
        raise not_found(f"service_request_id '{code}' not found") from None
    ticket = db.session.scalar(_ticket_query().where(Ticket.receipt_code == canonical, publicly_findable()))
    if ticket is None:
        raise not_found(f"service_request_id '{code}' not found")
    return ticket


@bp.route("/discovery.<fmt>")
@limiter.limit(public_limit)
def discovery() -> ResponseReturnValue:
    base = f"{current_app.config['PUBLIC_BASE_URL']}/open311/v2"
    return respond({
        "changeset": CHANGESET,
        "contact": "Tổng đài 1022 — 1022 public-service hotline",
        "key_service": "Khóa API do quản trị viên cấp (flask apikeys create) / API keys are issued by the admin",
        "endpoints": [{
            "specification": SPEC_URL, "url": base, "changeset": CHANGESET, "type": "production",
            "formats": [MIMETYPES["xml"].split(";")[0], MIMETYPES["json"].split(";")[0]],
        }],
    }, "discovery")


def _active_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise not_found(f"service_code '{code}' not found")
    return category


@bp.route("/services.<fmt>")
@limiter.limit(public_limit)
def services() -> ResponseReturnValue:
    lang = language()
    rows = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.code))
    return respond([service(c, lang) for c in rows], "services", "service")


@bp.route("/services/<service_code>.<fmt>")
@limiter.limit(public_limit)
def service_definition(service_code: str) -> ResponseReturnValue:
    category = _active_category(service_code)
    lang = language()
    return respond({
        "service_code": category.code,
        "attributes": [a.describe(lang) for a in sorted(attributes_of(category.code), key=lambda a: a.order)],
    }, "service_definition")


@bp.route("/requests.<fmt>", methods=["GET"])
@limiter.limit(public_limit)
def list_requests() -> ResponseReturnValue:
    """Asked for by receipt code: any findable ticket; browsed: only the listed ones, with their
    answer only if published (publication.py)."""
    lang = language()
    ids = comma_list("service_request_id")
    if ids:
        # The spec: with service_request_id every other filter is ignored. Unknown ids are skipped.
        codes = _receipt_codes(ids[:MAX_IDS])
        stmt = (_ticket_query().where(Ticket.receipt_code.in_(codes), publicly_findable())
                .order_by(Ticket.created_at.desc()))
        return respond([service_request(t, lang) for t in db.session.scalars(stmt).unique()],
                       "service_requests", "request")
    start, end = date_range(datetime.now(UTC))
    page, page_size = page_params()
    stmt = _ticket_query().where(Ticket.created_at >= start, Ticket.created_at <= end, publicly_listed())
    codes = comma_list("service_code")
    if codes:
        stmt = stmt.where(Ticket.category_id.in_(select(Category.id).where(Category.code.in_(codes))))
    statuses = status_filter()
    if statuses is not None:
        stmt = stmt.where(Ticket.status.in_(sorted(statuses)))
    stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(page_size).offset((page - 1) * page_size)
    return respond([service_request(t, lang, listed=True) for t in db.session.scalars(stmt).unique()],
                   "service_requests", "request")


def _receipt_codes(raw_codes: list[str]) -> list[str]:
    """The canonical form of each well-formed code; malformed ones are skipped."""
    codes = []
    for raw in raw_codes:
        try:
            codes.append(normalize(raw))
        except InvalidReceiptCode:
            continue
    return codes


@bp.route("/requests/<service_request_id>.<fmt>", methods=["GET"])
@limiter.limit(public_limit)
def get_request(service_request_id: str) -> ResponseReturnValue:
    return respond([service_request(find_ticket(service_request_id), language())], "service_requests", "request")


@bp.route("/tokens/<token>.<fmt>", methods=["GET"])
@limiter.limit(public_limit)
def get_token(token: str) -> ResponseReturnValue:
    """Requests are created synchronously, so a token is the service_request_id itself."""
    ticket = find_ticket(token)
    return respond([{"service_request_id": ticket.receipt_code, "token": token}], "service_requests", "request")


@bp.route("/servicerequestupdates.<fmt>", methods=["GET"])
@limiter.limit(public_limit)
def service_request_updates() -> ResponseReturnValue:
    """Public status changes (FixMyStreet's extension), oldest first, by date range: of the listed
    tickets (a resolution's answer only if published), or of the findable ones asked for by
    ``service_request_id`` (publication.py)."""
    lang = language()
    start, end = date_range(datetime.now(UTC))
    page, page_size = page_params()
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.public.is_(True), TicketEvent.to_status.is_not(None),
               TicketEvent.created_at >= start, TicketEvent.created_at <= end)
        .options(joinedload(TicketEvent.ticket).options(_media_option(), joinedload(Ticket.contact)))
        .order_by(TicketEvent.created_at, TicketEvent.id)
        .limit(page_size).offset((page - 1) * page_size)
    )
    codes = comma_list("service_code")
    if codes:
        stmt = stmt.where(TicketEvent.ticket_id.in_(
            select(Ticket.id).join(Category).where(Category.code.in_(codes))))
    listed = not param("service_request_id")
    if not listed:
        wanted = _receipt_codes(comma_list("service_request_id")[:MAX_IDS])
        stmt = stmt.where(TicketEvent.ticket_id.in_(
            select(Ticket.id).where(Ticket.receipt_code.in_(wanted), publicly_findable())))
    else:
        stmt = stmt.where(TicketEvent.ticket_id.in_(select(Ticket.id).where(publicly_listed())))
    events = db.session.scalars(stmt).unique()
    return respond([service_request_update(e, lang, listed) for e in events], "service_request_updates",
                   "request_update")


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str) -> ResponseReturnValue:
    """Anything else under the prefix: 405 if the path exists for other methods, else 404."""
    suffix = anything.rsplit(".", 1)[-1] if "." in anything else ""
    g.open311_format = suffix if suffix in FORMATS else "xml"
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        resp = error_response(405, [f"{request.method} is not allowed here; use {' or '.join(allowed)}"])
        resp.headers["Allow"] = ", ".join(allowed)
        return resp
    raise not_found(f"no such Open311 resource '/{anything}'")

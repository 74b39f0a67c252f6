"""Staff attachments on the ticket page: photos and PDF answer documents, for staff eyes only.

Uploads take the Open311 media path: the same storage (core/storage.py), the same size limit
(``MEDIA_MAX_BYTES``), images checked by their first bytes and re-encoded without EXIF/GPS
(``read_image``, core/images.py). A PDF is recognised by its first bytes (``%PDF-``) and stored
unchanged. A staff upload is internal (services/publication.py): ``/media/<key>`` does not serve it
and no public view lists it. Staff read every file of a ticket they may see (the citizen's
photos too) through ``GET /tickets/<id>/attachments/<media_id>``, each read audited.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from callcentre.core.extensions import db
from callcentre.core.storage import EXTENSIONS, PDF, MediaRejected, get_storage, read_image, sniff_image_type
from callcentre.models import TicketMedia
from callcentre.services import audit
from callcentre.services.history import record_event
from callcentre.web.department import _load, _render
from callcentre.web.helpers import html_errors, page_roles
from workflows.roles import STAFF

bp = Blueprint("web_attachments", __name__)
html_errors(bp)

KIND = "attachment"  # the history event of an upload
PDF_MAGIC = b"%PDF-"
MAX_FILENAME = 200  # TicketMedia.filename
MAX_DOWNLOAD_NAME = 100
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


class Refused(ValueError):
    """The upload cannot be stored; the message is shown beside the file input."""


def max_megabytes() -> str:
    """``MEDIA_MAX_BYTES`` as the form's hint and the refusal say it ("5", "2,5")."""
    return str(format_decimal(round(current_app.config["MEDIA_MAX_BYTES"] / (1024 * 1024), 1)))


def clean_filename(raw: str | None) -> str | None:
    """The uploader's name of the file for display: its last path part, NFC, without control or
    invisible format characters, at most ``MAX_FILENAME`` characters. Never used as a path."""
    name = re.split(r"[/\\]", raw or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split())[:MAX_FILENAME].strip()
    return name or None


def download_name(media: TicketMedia) -> str:
    """A safe ASCII name for Content-Disposition: the filename without diacritics, other
    characters as "-", ending in the stored type's extension."""
    ext = EXTENSIONS.get(media.content_type or "", "bin")
    base = (media.filename or "").rsplit(".", 1)[0].replace("đ", "d").replace("Đ", "D")
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _UNSAFE_ASCII.sub("-", base).strip("-._")[:MAX_DOWNLOAD_NAME - len(ext) - 1]
    return f"{base or f'tep-dinh-kem-{media.id}'}.{ext}"


def read_upload(upload: FileStorage | None) -> tuple[bytes, str]:
    """The bytes to store and their type (``Refused`` with the page's message otherwise)."""
    if upload is None:
        raise Refused(_("Hãy chọn một ảnh hoặc tệp PDF để tải lên"))
    max_bytes = current_app.config["MEDIA_MAX_BYTES"]
    data = upload.stream.read(max_bytes + 1)
    if not data:
        raise Refused(_("Hãy chọn một ảnh hoặc tệp PDF để tải lên"))
    if len(data) > max_bytes:
        raise Refused(_("Tệp lớn quá %(mb)s MB; hãy chọn tệp nhỏ hơn", mb=max_megabytes()))
    if data.startswith(PDF_MAGIC):
        return data, PDF
    if sniff_image_type(data[:12]) is None:
        raise Refused(_("Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF (kiểm tra theo nội dung tệp, không theo tên)"))
    try:  # exactly as Open311 stores a citizen's photo
        return read_image(io.BytesIO(data), max_bytes, current_app.config["MEDIA_MAX_PIXELS"])
    except MediaRejected as exc:
        raise Refused(_("Không đọc được ảnh (tệp hỏng hoặc quá nhiều điểm ảnh)")) from exc


@bp.route("/tickets/<int:ticket_id>/attachments", methods=["POST"])
@page_roles(*STAFF)
def upload(ticket_id: int) -> Any:
    """Store one photo or PDF on the ticket, with its ``attachment`` history event (internal)."""
    ticket = _load(ticket_id)  # 404 / 403 before reading the file
    user = current_user._get_current_object()
    files = request.files.getlist("file")
    try:
        if len(files) > 1:
            raise Refused(_("Mỗi lần chỉ tải lên một tệp"))
        data, content_type = read_upload(files[0] if files else None)
    except Refused as exc:
        return _render(ticket, upload={"message": str(exc)}, status=422)
    filename = clean_filename(files[0].filename) or f"tep-dinh-kem.{EXTENSIONS[content_type]}"
    storage = get_storage()
    key = storage.save(io.BytesIO(data), filename, content_type)
    try:
        media = TicketMedia(ticket_id=ticket.id, storage_key=key, content_type=content_type, size=len(data),
                            uploaded_by_id=user.id, filename=filename)
        db.session.add(media)
        db.session.flush()
        record_event(db.session, ticket, KIND, actor=user, note=filename, public=False,
                     payload={"media_id": media.id, "content_type": content_type})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.delete(key)  # no row names it: the file must not stay behind
        raise
    flash(_("Đã tải lên tệp đính kèm"), "success")
    return redirect(url_for("web_department.ticket_page", ticket_id=ticket_id) + "#files-h")


@bp.route("/tickets/<int:ticket_id>/attachments/<int:media_id>")
@page_roles(*STAFF)
def view(ticket_id: int, media_id: int) -> Any:
    """A file of the ticket for staff: PDFs as a download, images inline; never cached."""
    ticket = _load(ticket_id)
    media = db.session.get(TicketMedia, media_id)
    if media is None or media.ticket_id != ticket.id or media.storage_key is None or media.content_type is None:
        abort(404)  # a client's URL is linked directly: nothing of ours to serve
    try:
        stream = get_storage().open(media.storage_key)
    except FileNotFoundError:
        abort(404)
    audit.record("view_personal_data", actor=current_user._get_current_object(), target_type="ticket",
                 target_id=ticket.id, details={"via": "attachment", "media_id": media.id}, commit=True)
    is_pdf = media.content_type == PDF
    resp = send_file(stream, mimetype=media.content_type, as_attachment=is_pdf, download_name=download_name(media),
                     conditional=False, etag=False, max_age=None)
    resp.headers["X-Content-Type-Options"] = "nosniff"  # never sniffed into another type
    resp.headers["Cache-Control"] = "private, no-store"  # staff screens only: no shared or disk cache
    return resp

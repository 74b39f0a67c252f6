"""``/api/v1/contacts/{id}/export`` and ``/erase``: a citizen's right of access and erasure
(Decree 13/2023/NĐ-CP), for admins; both in the audit log."""

from __future__ import annotations

from flask_smorest import Blueprint

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.models import Contact
from callcentre.schemas.personal_data import ContactExportOut, ErasureOut
from callcentre.services import audit, personal_data
from workflows.roles import Role

blp = Blueprint("personal_data", __name__, url_prefix="/api/v1/contacts",
                description="A citizen's personal data: export and erasure (admin)")


def _contact(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise ApiError(404, "no such contact")
    return contact


@blp.route("/<int:contact_id>/export", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, ContactExportOut)
def export(contact_id: int):
    """Everything held about this citizen: their contact, tickets, calls and messages."""
    contact = _contact(contact_id)
    data = personal_data.export_contact(contact)
    audit.record("export_personal_data", actor=authenticated_user(), target_type="contact", target_id=contact.id,
                 details={"via": "api", "tickets": len(data["tickets"])}, commit=True)
    return data


@blp.route("/<int:contact_id>/erase", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(200, ErasureOut)
def erase(contact_id: int):
    """Anonymise this citizen at their request: their phone, name, photos and every mention of
    them go; the tickets stay for the statistics. Repeating it changes nothing more."""
    contact = _contact(contact_id)
    counts = personal_data.erase_contact(contact)
    audit.record("erase_personal_data", actor=authenticated_user(), target_type="contact", target_id=contact.id,
                 details={"reason": "request", **counts})
    db.session.commit()
    return {"contact_id": contact.id, **counts}

"""The audit log: who signed in, saw a citizen's personal data or changed an account, and when.

Append-only: the app has no code path that updates or deletes a row (services/audit.py only
adds), and on PostgreSQL a trigger (migration 0017) refuses UPDATE and DELETE, all but the
foreign key's SET NULL when an account is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from callcentre.core.extensions import Model
from callcentre.models.types import UTCDateTime, utcnow

# The vocabulary: what ``action`` and ``target_type`` hold (the API's filters accept these only).
ACTIONS = ("login", "login_failed", "logout", "view_personal_data", "export_personal_data", "erase_personal_data",
           "user_create", "user_update", "token_create", "token_revoke",
           "template_update", "department_create", "department_update", "category_create", "category_update",
           "policy_update", "calendar_exception_add", "calendar_exception_delete", "api_client_create",
           "api_client_revoke", "routing_rule_create", "routing_rule_update", "routing_rule_delete",
           "jurisdiction_apply", "report_schedule_update")
TARGET_TYPES = ("user", "token", "ticket", "contact", "export", "template", "department", "category", "policy",
                "calendar", "api_client", "routing_rule", "jurisdiction", "report_schedule")


class AuditEvent(Model):
    """One audited act. ``details`` holds before/after of a change, never a password, a hash or a
    token, and phone numbers only masked (services/audit.py sees to both)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # The admin's usual filters, each newest first.
        Index("ix_audit_events_action_at", "action", "at"),
        Index("ix_audit_events_actor_label_at", "actor_label", "at"),
        Index("ix_audit_events_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # SET NULL: a deleted account's history stays, under its name (the trigger lets only this through).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who acted, by name (kept if the account is renamed): the username tried on a failed login,
    # "cli" for the command line. The ``actor`` filter matches it.
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

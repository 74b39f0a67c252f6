"""Routing by place: which department answers a category in one commune (data, edited by admins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.org import Category, Department
from callcentre.models.types import UTCDateTime, utcnow


class RoutingRule(Model):
    """``category`` filed in ``commune_code`` goes to ``department`` (services/routing.py).

    Without a rule a commune-level category goes to the People's Committee whose
    ``Department.commune_codes`` holds the commune, and any other to the category's default department.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "commune_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    department: Mapped[Department] = relationship()

"""Departments and categories: routing data, never code."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcentre.core.extensions import Model


class Department(Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # "province" for sở/ngành, "commune" for UBND xã/phường.
    level: Mapped[str] = mapped_column(String(20), default="province")
    commune_code: Mapped[str | None] = mapped_column(String(10))
    # The communes a UBND xã/phường answers for (codes of formats/geo.py); services/routing.py routes on them.
    commune_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # Lower-case, diacritics stripped: "moi truong" finds "Môi trường".
    search_text: Mapped[str] = mapped_column(String(500), default="")
    default_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # "province": handled by a sở/ngành; "commune": by the UBND xã/phường of the ticket's commune (services/routing.py).
    level: Mapped[str] = mapped_column(String(10), default="province", server_default="province")
    # Whether a resolved ticket of this category is published by default (the resolver may change it).
    publish_by_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    default_department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Category {self.code}>"

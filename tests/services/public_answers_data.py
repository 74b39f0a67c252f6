"""Data for the published answers tests: a category of their own (session-wide reference data,
removed again with its tickets) and tickets written straight into the database in any state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.formats.textnorm import search_key
from callcentre.models import Category, Contact, Department, Ticket
from tests.conftest import _clear_transactional_tables

CODE, OTHER = "CK-TEST-DEN", "CK-TEST-RAC"
# Personal data planted in every ticket: none of it may reach a public view.
NAME, PHONE, PHONE_TYPED = "Trần Thị Bích Ngọc", "+84987654321", "0987 654 321"
HOUSE, STREET = "45/2B", "Nguyễn Huệ"
SECRET_WORDS = "Bích Ngọc nhà 45/2B kể chuyện riêng"


def _category(code: str, name_vi: str, name_en: str) -> Category:
    row = db.session.scalar(sa.select(Category).where(Category.code == code))
    sct = db.session.scalar(sa.select(Department).where(Department.code == "SCT"))
    assert sct is not None
    if row is None:
        row = Category(code=code, name_vi=name_vi, name_en=name_en, default_department=sct, level="province",
                       active=True, search_text=search_key(f"{name_vi} {name_en} {code}"))
        db.session.add(row)
    row.publish_by_default = False
    return row


@pytest.fixture()
def categories(app: Flask) -> Iterator[None]:
    """``CODE`` (Chiếu sáng đô thị) and ``OTHER`` (Rác thải sinh hoạt), both routed to SCT."""
    with app.app_context():
        _category(CODE, "Chiếu sáng đô thị thử", "Street lighting test")
        _category(OTHER, "Rác thải sinh hoạt thử", "Household waste test")
        db.session.commit()
    yield
    with app.app_context():
        _clear_transactional_tables()
        for code in (CODE, OTHER):
            row = db.session.scalar(sa.select(Category).where(Category.code == code))
            if row is not None:
                db.session.delete(row)
        db.session.commit()


def add_ticket(*, category: str = CODE, status: str = "resolved", published: bool = True, confidential: bool = False,
               answer: str | None = "Đã thay bóng đèn đường hỏng.", commune: str | None = "28261",
               address: str | None = f"Số {HOUSE} đường {STREET}", channel: str = "phone",
               answered_days_ago: float = 1, contact: bool = True) -> Ticket:
    """One ticket as the workflow would leave it (call inside an app context; the caller commits)."""
    now = datetime.now(UTC)
    person = None
    if contact:
        person = db.session.scalar(sa.select(Contact).where(Contact.phone == PHONE))
        if person is None:
            person = Contact(phone=PHONE, name=NAME)
            db.session.add(person)
    cat = db.session.scalar(sa.select(Category).where(Category.code == category))
    assert cat is not None
    answered = now - timedelta(days=answered_days_ago)
    ticket = Ticket(receipt_code=new_receipt_code(), channel=channel, category=cat, department=cat.default_department,
                    title=f"{NAME} phản ánh", description=f"{SECRET_WORDS}, gọi {PHONE_TYPED}", commune_code=commune,
                    address=address, lat=10.3601234, lng=106.3654321, contact=person, status=status,
                    public_answer=answer, published=published, confidential=confidential,
                    created_at=answered - timedelta(days=3),
                    resolved_at=answered if status in ("resolved", "closed") else None,
                    search_text=search_key(f"{NAME} phản ánh {SECRET_WORDS} {address or ''}"))
    db.session.add(ticket)
    db.session.flush()
    return ticket


def personal_bits() -> list[str]:
    """Strings that must appear nowhere in a public answer view."""
    return [NAME, "Bích Ngọc", "Bich Ngoc", PHONE, PHONE_TYPED, "987654321", HOUSE, "kể chuyện riêng",
            "10.3601234", "106.3654321"]

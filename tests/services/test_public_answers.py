"""services/public_answers.py and the publication rules it queries with (services/publication.py):
which tickets, found how, and what a row shows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Ticket
from callcentre.services.public_answers import Filters, PublicAnswersError, answers_page, public_key
from callcentre.services.publication import listed_answer, publicly_listed, redact
from tests.services.public_answers_data import (
    CODE,
    NAME,
    OTHER,
    PHONE,
    PHONE_TYPED,
    STREET,
    add_ticket,
    categories,  # noqa: F401  (a fixture)
    personal_bits,
)

pytestmark = pytest.mark.usefixtures("categories")


def _codes(filters: Filters = Filters(), page: int = 1, per_page: int = 20) -> list[str]:
    rows, _ = answers_page(filters, page, per_page)
    return [r["receipt_code"] for r in rows]


def test_only_published_answered_non_confidential_tickets_newest_answer_first(app) -> None:
    with app.app_context():
        old = add_ticket(answered_days_ago=5)
        new = add_ticket(answered_days_ago=1, status="closed")
        add_ticket(published=False)  # the department chose not to publish
        add_ticket(confidential=True)  # never, whatever the flag says
        add_ticket(status="in_progress")  # reopened: the decision is kept but not shown
        add_ticket(answer=None, status="closed")  # nothing to show
        db.session.commit()
        assert _codes() == [new.receipt_code, old.receipt_code]
        rows, total = answers_page(Filters(), 1, 20)
        assert total.count == 2 and not total.is_estimate
        assert rows[0]["status"] == "closed" and rows[0]["status_label"] == {"vi": "Đóng", "en": "Closed"}
        assert rows[0]["answered_at"].utcoffset().total_seconds() == 7 * 3600  # local time
        assert rows[0]["received_at"] < rows[0]["answered_at"]


def test_pages(app) -> None:
    with app.app_context():
        made = [add_ticket(answered_days_ago=d).receipt_code for d in (1, 2, 3, 4, 5)]
        db.session.commit()
        assert _codes(page=1, per_page=2) == made[:2]
        assert _codes(page=3, per_page=2) == made[4:]
        assert _codes(page=4, per_page=2) == []
        assert answers_page(Filters(), 3, 2)[1].count == 5


def test_filters_by_category_and_commune(app) -> None:
    with app.app_context():
        light = add_ticket(category=CODE, commune="28261")
        waste = add_ticket(category=OTHER, commune="28249")
        db.session.commit()
        assert _codes(Filters(category=OTHER)) == [waste.receipt_code]
        assert _codes(Filters(commune="28261")) == [light.receipt_code]
        assert _codes(Filters(category=OTHER, commune="28261")) == []
        for filters, field in ((Filters(category="NO-SUCH"), "category"), (Filters(commune="99999"), "commune"),
                               (Filters(commune="1" * 10), "commune")):
            with pytest.raises(PublicAnswersError) as refused:
                answers_page(filters, 1, 20)
            assert refused.value.field == field and refused.value.text("vi") and refused.value.text("en")


def test_text_search_without_diacritics_over_what_is_shown(app) -> None:
    with app.app_context():
        lamp = add_ticket(answer="Đã thay bóng ĐÈN ĐƯỜNG hỏng trên   tuyến.")
        waste = add_ticket(category=OTHER, answer="Đã thu gom.", commune="28249", address="ấp Bình Đức")
        db.session.commit()
        assert _codes(Filters(q="den duong")) == [lamp.receipt_code]  # the answer, any case, spaces collapsed
        assert _codes(Filters(q="Đèn đường hỏng trên tuyến")) == [lamp.receipt_code]
        assert _codes(Filters(q="rac thai")) == [waste.receipt_code]  # the category's name
        assert _codes(Filters(q="dao thanh")) == [waste.receipt_code]  # the commune's name (Phường Đạo Thạnh)
        assert _codes(Filters(q="binh duc")) == [waste.receipt_code]  # the address's words
        assert _codes(Filters(q=STREET)) == [lamp.receipt_code]
        assert _codes(Filters(q="(đèn) [đường]?")) == [lamp.receipt_code]  # punctuation is no pattern
        assert _codes(Filters(q="d.*g")) == []  # the words d and g, not a pattern
        with pytest.raises(PublicAnswersError):
            _codes(Filters(q="%_%"))


def test_never_found_by_personal_data(app) -> None:
    """The name, phone and description are never searched; a house number or phone is no query at
    all; the citizen's name quoted in the answer neither finds the ticket nor shows."""
    with app.app_context():
        quoted = add_ticket(answer=f"Kính gửi bà {NAME} ({PHONE_TYPED}): đã sửa đèn đường.")
        add_ticket()
        db.session.commit()
        for q in ("Bích Ngọc", "bich ngoc", "Trần Thị", "chuyen rieng", "phan anh"):  # name, description, title
            assert _codes(Filters(q=q)) == [], q
        for q in (PHONE_TYPED, "0987654321", PHONE, "45/2B", "45", "12 / 3"):
            with pytest.raises(PublicAnswersError) as refused:
                _codes(Filters(q=q))
            assert refused.value.field == "q"
        assert quoted.receipt_code in _codes(Filters(q="sua den duong"))
        rows, _ = answers_page(Filters(), 1, 20)
        shown = repr(rows)
        for bit in personal_bits():
            assert bit not in shown, bit
        row = next(r for r in rows if r["receipt_code"] == quoted.receipt_code)
        assert row["answer"] == "Kính gửi bà *** (***): đã sửa đèn đường."
        assert row["address"] == f"đường {STREET}"  # no house number
        assert set(row) == {"receipt_code", "receipt_code_display", "category", "department", "commune", "address",
                            "received_at", "answered_at", "status", "status_label", "answer"}


def test_redact_the_citizens_name_and_phone_in_any_spelling(app) -> None:
    with app.app_context():
        t = add_ticket()
        for written in (NAME, NAME.upper(), "Tran Thi Bich Ngoc", "trần  thị bích\nngọc"):
            assert redact(f"Gửi {written}, cảm ơn.", t) == "Gửi ***, cảm ơn.", written
        for written in ("0987654321", "0987 654 321", "+84 987 654 321", "84987654321", "0987.654.321"):
            assert redact(f"Số {written}.", t) == "Số ***.", written
        assert redact("Gọi 02733 872 000 hoặc 1022.", t) == "Gọi 02733 872 000 hoặc 1022."  # not the citizen's
        assert redact("Ngọc Trần đến", t) == "Ngọc Trần đến"  # the whole name only


def test_public_key_drops_digits_and_diacritics() -> None:
    assert public_key("  Số 12/3 ĐƯỜNG   30/4 ") == "so / duong /"
    assert public_key("Đèn\nđường") == "den duong"


def test_open311_listing_follows_publication(app) -> None:
    """Listed: citizen-filed app/web tickets, and tickets whose answer is published; their answer
    in a list only when published."""
    with app.app_context():
        phone_published = add_ticket(channel="phone")
        phone_private = add_ticket(channel="phone", published=False)
        app_private = add_ticket(channel="app", published=False)
        phone_reopened = add_ticket(channel="phone", status="in_progress")
        secret = add_ticket(channel="app", confidential=True)
        db.session.commit()
        listed = set(db.session.scalars(sa.select(Ticket.receipt_code).where(publicly_listed())))
        assert phone_published.receipt_code in listed and app_private.receipt_code in listed
        assert not {phone_private.receipt_code, phone_reopened.receipt_code, secret.receipt_code} & listed
        assert listed_answer(phone_published) == "Đã thay bóng đèn đường hỏng."
        assert listed_answer(app_private) is None and listed_answer(phone_reopened) is None

"""Ticket search finds what people type: with or without diacritics, any case, a phone number in
any usual format, part of a receipt code, a caller's name. The same fixtures and the same answers
on SQLite and, in CI's second run, on PostgreSQL (there through the trigram index).

Also: the search column as ``create_ticket`` writes it and as migration 0011 backfills it (its SQL
translate() table and its Python copy agree with ``textnorm.search_key`` for every Vietnamese letter).
"""

from __future__ import annotations

import importlib.util
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.receipt import display
from callcentre.formats.textnorm import diacritic_table, search_key, vietnamese_letters
from callcentre.models import Ticket
from callcentre.services.search import _fragments, ticket_search_text
from tests.conftest import _scratch_postgres, ticket_payload

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0011_ticket_search.py"
# Text a stricter normaliser might get wrong: marks typed as combining characters (some keyboards),
# other scripts' letters, non-ASCII and ASCII-control spaces, the Kelvin sign, a dotted capital I.
AWKWARD = ["Nguye\u0302\u0303n Va\u0306n A\u0300", "Café Hòa Bình — Straße", "Lê\u00a0Lợi\u2003số 5",
           "tab\there\x1cand\x1fthere", "5 \u212a nhiệt độ", "İstanbul ĐỒNG THÁP", "  spaces   inside  "]


def _row(table: sa.Table, **values: Any) -> dict[str, Any]:
    """``values``, and a value for every other required column of ``table`` as reflected."""
    filler = {sa.Integer: 0, sa.Float: 0.0, sa.Boolean: False, sa.JSON: {}, sa.String: "x",
              sa.DateTime: datetime(2025, 1, 1, tzinfo=UTC)}
    for col in table.columns:
        if col.name not in values and not col.nullable and col.server_default is None and not col.primary_key:
            values[col.name] = next(v for t, v in filler.items() if isinstance(col.type, t))
    return values


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the letter table and the migration's copies ------------------------------------

def test_vietnamese_letters_are_all_there() -> None:
    letters = vietnamese_letters()
    assert len(letters) == 2 * (22 + 1 + 12 * 6 - 6)  # plain, đ, 12 vowels × 6 tones (a e i o u y: plain)
    assert len(diacritic_table()[0]) == 2 * 67
    assert all(len(unicodedata.normalize("NFC", ch)) == 1 for ch in letters)
    assert {"ự", "Ỵ", "ẫ", "đ", "Đ", "ờ"} <= set(letters)


def test_the_migration_carries_the_applications_table_and_search_key() -> None:
    """If this fails, search_key changed: stored search texts are stale; add a migration that
    backfills them again (and keep 0011's copies as they are)."""
    migration = _migration()
    assert (migration.MARKED, migration.PLAIN) == diacritic_table()
    for text in [*vietnamese_letters(), *AWKWARD]:
        assert migration.search_key(text) == search_key(text), text


def test_translate_then_lower_is_search_key_for_every_vietnamese_letter(session_app, services) -> None:
    """What the PostgreSQL backfill computes for each letter, computed there; on SQLite (whose
    backfill is Python) the same table with str.translate."""
    migration = _migration()
    letters = list(vietnamese_letters())
    if services.is_postgres:
        with session_app.app_context(), db.engine.connect() as conn:
            got = conn.scalars(sa.text(
                "SELECT btrim(regexp_replace(lower(translate(l, :marked, :plain)), :space, ' ', 'g')) "
                "FROM unnest(CAST(:letters AS text[])) WITH ORDINALITY AS u(l, n) ORDER BY n"),
                {"marked": migration.MARKED, "plain": migration.PLAIN, "space": migration.ASCII_SPACE,
                 "letters": letters}).all()
    else:
        table = str.maketrans(migration.MARKED, migration.PLAIN)
        got = [ch.translate(table).lower() for ch in letters]
    assert got == [search_key(ch) for ch in letters]
    assert all(g.isascii() for g in got)


# -- the column as written and as backfilled ----------------------------------------

def test_create_ticket_writes_the_search_text(app, api_as) -> None:
    made = api_as("operator").post("/api/v1/tickets", ticket_payload(title="Khói lò gạch")).json
    with app.app_context():
        stored = db.session.scalar(sa.select(Ticket.search_text).where(Ticket.id == made["id"]))
    assert stored == ticket_search_text("Khói lò gạch", ticket_payload()["description"], "12 Lê Lợi",
                                        made["receipt_code"], "Nguyễn Văn An")
    assert stored == ("khoi lo gach khoi bui tu lo gach gan cho my tho gay o nhiem 12 le loi "
                      f"{made['receipt_code'].lower()} nguyen van an")


def test_search_text_is_not_an_input_field(api_as) -> None:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(search_text="anything"))
    assert resp.status_code == 422 and "search_text" in str(resp.json)


def test_the_migration_backfills_what_create_ticket_would_write(make_app, tmp_path) -> None:
    """Tickets filed before 0011 get the same search text as ``ticket_search_text`` gives: via
    translate() in SQL on PostgreSQL (and Python for the awkward rows), via Python on SQLite."""
    from flask_migrate import downgrade, upgrade

    base = os.environ.get("TEST_DATABASE_URL")
    url, drop = _scratch_postgres(base) if base else (f"sqlite:///{tmp_path / 'search.db'}", lambda: None)
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    texts = [*vietnamese_letters(), "".join(vietnamese_letters()), *AWKWARD]
    rows: list[dict[str, Any]] = [
        {"id": i + 1, "receipt_code": f"C{i:09d}", "title": f"Phiếu {text}"[:200], "description": text,
         "address": AWKWARD[i % len(AWKWARD)] if i % 3 else None, "contact_id": (i % 4) or None}
        for i, text in enumerate(texts)]
    names = {1: "Nguyễn Thị Bích", 2: None, 3: "JOSÉ Đặng\u00a0Văn"}
    try:
        with app.app_context():
            upgrade(revision="0010")
            meta = sa.MetaData()
            meta.reflect(db.engine, only=["departments", "categories", "contacts", "tickets"])
            t = meta.tables
            with db.engine.begin() as conn:
                conn.execute(t["departments"].insert().values(_row(t["departments"], id=1)))
                conn.execute(t["categories"].insert().values(_row(t["categories"], id=1, default_department_id=1)))
                conn.execute(t["contacts"].insert(), [_row(t["contacts"], id=k, phone=f"+8491234567{k}", name=v)
                                                      for k, v in names.items()])
                conn.execute(t["tickets"].insert(), [_row(t["tickets"], category_id=1, **r) for r in rows])
            upgrade()
            with db.engine.connect() as conn:
                stored = dict(conn.execute(sa.text("SELECT id, search_text FROM tickets")).all())
                index = {i["name"] for i in sa.inspect(conn).get_indexes("tickets")}
            expected = {r["id"]: ticket_search_text(r["title"], r["description"], r["address"], r["receipt_code"],
                                                    names.get(r["contact_id"] or 0)) for r in rows}
            assert stored == expected
            assert ("ix_tickets_search_text" in index) == bool(base)  # the trigram index: PostgreSQL only
            db.session.remove()
            downgrade(revision="0010")
            assert "search_text" not in {c["name"] for c in sa.inspect(db.engine).get_columns("tickets")}
            db.engine.dispose()
    finally:
        drop()


# -- what a query matches ------------------------------------------------------------

def test_receipt_fragments_are_read_as_stored() -> None:
    assert _fragments(search_key("AB3K-7")) == ["ab3k-7", "ab3k7"]
    assert _fragments(search_key("0ab c1o")) == ["0ab c1o", "0abc1o", "0abc10"]
    assert _fragments(search_key("abc de")) == ["abc de", "abcde"]
    assert _fragments(search_key("khoi")) == ["khoi"]  # no digit: o and i stay letters
    assert _fragments(search_key("đèn đường")) == ["den duong"]  # u is in no code


@pytest.fixture()
def filed(api_as) -> dict[str, dict[str, Any]]:
    """Three tickets, assigned to their departments (visible to department staff too)."""
    op = api_as("operator")
    out = {
        "smoke": op.post("/api/v1/tickets", ticket_payload(title="Khói lò gạch")).json,
        "lamp": op.post("/api/v1/tickets", ticket_payload(
            category="DIEN", title="ĐÈN ĐƯỜNG hỏng", description="Đèn đường tắt cả tuần ở Ấp Bắc",
            contact={"phone": "+84 987 654 321", "name": "Trần Thị Hạnh"},
            location={"address": "Hẻm 5 Ấp Bắc"})).json,
        "noise": op.post("/api/v1/tickets", ticket_payload(
            title="Tiếng ồn 50% đêm", description="Xưởng cưa gỗ_ồn ào sau 22 giờ",
            contact={"phone": "0283 8123 456", "name": "Lê Văn Tám"})).json,
    }
    for ticket in out.values():
        assert op.post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"}).status_code == 200
    return out


def _found(api_as, filed: dict[str, dict[str, Any]], q: str, user: str = "supervisor") -> set[str]:
    resp = api_as(user).get("/api/v1/tickets", query_string={"q": q, "per_page": 100})
    assert resp.status_code == 200, resp.json
    by_id = {t["id"]: name for name, t in filed.items()}
    assert resp.json["total"] == len(resp.json["items"])
    return {by_id[t["id"]] for t in resp.json["items"]}


@pytest.mark.parametrize(("q", "expected"), [
    ("khoi", {"smoke"}), ("Khói", {"smoke"}), ("KHÓI LÒ", {"smoke"}), ("kho\u0301i", {"smoke"}),  # combining mark
    ("den duong", {"lamp"}), ("đèn đường", {"lamp"}), ("ĐÈN   ĐƯỜNG", {"lamp"}), ("ap bac", {"lamp"}),
    ("Lê Lợi", {"smoke", "noise"}), ("le loi", {"smoke", "noise"}),  # the address
    ("nguyen van an", {"smoke"}), ("Trần Thị", {"lamp"}), ("van tam", {"noise"}),  # the caller's name
    ("0912 345 678", {"smoke"}), ("+84912345678", {"smoke"}), ("84-912-345-678", {"smoke"}),
    ("0912345678", {"smoke"}), ("0987.654.321", {"lamp"}), ("(028) 3812 3456", {"noise"}),
    ("50%", {"noise"}), ("go_", {"noise"}), ("%%", set()), ("__", set()),  # wildcards are literal
    ("ô nhiễm gà", set()), ("uuu", set()),
])
def test_search_finds_what_people_type(api_as, filed, q: str, expected: set[str]) -> None:
    assert _found(api_as, filed, q) == expected


def test_a_receipt_code_or_part_of_it_in_any_spelling(api_as, filed) -> None:
    code = filed["lamp"]["receipt_code"]
    for q in (code, code.lower(), display(code), display(code).lower(), code[2:8], code[3:9].lower(),
              f"{code[:5]} {code[5:8]}", f"{code[1:5]}-{code[5:7]}".lower()):
        assert "lamp" in _found(api_as, filed, q), q


def test_department_staff_search_only_their_tickets(api_as, filed) -> None:
    # officer: the department of TN-MT (smoke, noise); lamp is DIEN's.
    assert _found(api_as, filed, "le loi", "officer") == {"smoke", "noise"}
    assert _found(api_as, filed, "den duong", "officer") == set()
    assert _found(api_as, filed, "0987 654 321", "officer") == set()


def test_search_combines_with_the_other_filters(api_as, filed) -> None:
    resp = api_as("supervisor").get("/api/v1/tickets", query_string={"q": "le loi", "category": "TN-MT",
                                                                      "phone": "0912345678"})
    assert [t["id"] for t in resp.json["items"]] == [filed["smoke"]["id"]]


def test_a_search_counts_its_matches_only_up_to_its_own_cap(api_as, filed, monkeypatch) -> None:
    from callcentre.http import pagination

    monkeypatch.setattr(pagination, "SEARCH_COUNT_CAP", 1)  # 1,000 in production: two matches go past 1
    sup = api_as("supervisor")
    searched = sup.get("/api/v1/tickets", query_string={"q": "le loi"}).json
    assert len(searched["items"]) == 2  # the page is whole; only its total is a lower bound
    assert (searched["total"], searched["total_is_estimate"]) == (2, True)
    listed = sup.get("/api/v1/tickets").json  # no text: the ordinary cap, an exact total
    assert (listed["total"], listed["total_is_estimate"]) == (3, False)

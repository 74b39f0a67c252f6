"""The 2025 jurisdiction: the seed's departments, and ``flask jurisdiction apply`` after a map change.

These tests change departments, which are session-wide reference data (conftest): they run
on a database of their own (SQLite file or a scratch PostgreSQL database), migrated and seeded
afresh for each test. The administrative data is the real one (vietnam-provinces); an older map
is what the database holds before the command runs, as after a package upgrade.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre import create_app
from callcentre.cli import seed_data
from callcentre.cli.seed import seed_reference_data
from callcentre.core.extensions import db
from callcentre.formats.geo import communes
from callcentre.models import AuditEvent, Category, Department, RoutingRule, Ticket, User
from config import TestConfig
from tests.conftest import Services, _scratch_postgres, make_config

PROVINCIAL_2025 = {"SNNMT", "SKHCN", "SXD", "STC", "SNV", "SYT", "SGDDT", "SCT", "SVHTTDL", "CAT",
                   "VPUBND", "PCDT", "CTN"}
ABOLISHED = {"STNMT", "STTTT", "UBND-MYTHO", "UBND-DAOTHANH", "UBND-MYPHONG"}
# Real units of province 82 that the scenario renames, re-creates, merges into and reactivates.
MY_THO, DAO_THANH, MY_PHONG, TRUNG_AN = "28261", "28249", "28273", "28285"


# ---------------------------------------------------------------- a database of our own

def _clear_all() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "alembic_version"]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(scope="module")
def own_app(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    drop: Callable[[], None] | None = None
    if services.is_postgres:
        url, drop = _scratch_postgres(os.environ["TEST_DATABASE_URL"])
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('jurisdiction') / 'own.db'}"
    app = create_app(TestConfig, make_config(services, SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@pytest.fixture()
def fresh(own_app: Flask) -> Flask:
    """``own_app`` with nothing but the seed's reference data."""
    with own_app.app_context():
        _clear_all()
        seed_reference_data()
        db.session.commit()
    return own_app


def _dept(code: str) -> Department:
    return db.session.scalars(sa.select(Department).where(Department.code == code)).one()


def _cat(code: str) -> Category:
    return db.session.scalars(sa.select(Category).where(Category.code == code)).one()


def snapshot(app: Flask) -> dict[str, Any]:
    """Every row the command could touch, and the tickets it must not."""
    with app.app_context():
        def rows(table: Any, order: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in db.session.execute(sa.select(table).order_by(order))]
        return {"departments": rows(Department.__table__, Department.code),
                "categories": rows(Category.__table__, Category.code),
                "rules": rows(RoutingRule.__table__, RoutingRule.id),
                "tickets": rows(Ticket.__table__, Ticket.id),
                "audit": rows(AuditEvent.__table__, AuditEvent.id)}


def _ticket(receipt: str, category: str, dept: Department, commune: str, address: str) -> Ticket:
    ticket = Ticket(receipt_code=receipt, channel="phone", category=_cat(category), department=dept,
                    title="Rác ứ đọng", description="Rác không được thu gom ba ngày", commune_code=commune,
                    address=address)
    db.session.add(ticket)
    return ticket


def older_map(app: Flask) -> dict[str, int]:
    """The database as an older administrative map left it.

    Mỹ Tho's committee has its old name; Đạo Thạnh's is missing; communes 99001 and 99002 are
    gone from the data (99001 merged into Mỹ Phong); Trung An's committee was deactivated. A team
    of the province answers for 99001 and Mỹ Tho; two rules route on 99001, one of which Mỹ Phong
    already has. Two tickets were filed under that map.
    """
    with app.app_context():
        _dept("UBND-28261").name_vi = "UBND phường 1"
        _dept("UBND-28261").name_en = "Ward 1 People's Committee"
        db.session.delete(_dept(f"UBND-{DAO_THANH}"))
        _dept(f"UBND-{TRUNG_AN}").active = False
        old1 = Department(code="UBND-99001", name_vi="UBND xã Cũ Một", name_en="Cu Mot Commune People's Committee",
                          level="commune", commune_code="99001", commune_codes=["99001"])
        old2 = Department(code="UBND-99002", name_vi="UBND xã Cũ Hai", name_en="Cu Hai Commune People's Committee",
                          level="commune", commune_code="99002", commune_codes=["99002"])
        team = Department(code="DOI-QLDT", name_vi="Đội quản lý trật tự đô thị", name_en="Urban order team",
                          level="commune", commune_codes=["99001", MY_THO])
        db.session.add_all([old1, old2, team])
        db.session.flush()
        moved = RoutingRule(category=_cat("DO-THI-VE-SINH"), commune_code="99001", department=old1)
        clash = RoutingRule(category=_cat("XAY-DUNG"), commune_code="99001", department=team)
        kept = RoutingRule(category=_cat("XAY-DUNG"), commune_code=MY_PHONG, department=_dept(f"UBND-{MY_PHONG}"))
        db.session.add_all([moved, clash, kept])
        _ticket("T-OLD-1", "DO-THI-VE-SINH", old1, "99001", "Ấp Cũ, xã Cũ Một")
        _ticket("T-OLD-2", "XAY-DUNG", _dept("UBND-28261"), MY_THO, "12 Hùng Vương, phường 1")
        db.session.commit()
        return {"moved": moved.id, "clash": clash.id, "kept": kept.id}


@pytest.fixture()
def map_file(tmp_path: Path) -> Path:
    path = tmp_path / "map.csv"
    path.write_bytes("\ufeffold_code,new_code,note\n99001,28273,gộp vào phường Mỹ Phong\n".encode())  # Excel's BOM
    return path


def moved_line(rule_id: int) -> str:
    return f"{rule_id} (DO-THI-VE-SINH): xã/phường 99001 → {MY_PHONG}, đơn vị UBND-99001 → UBND-{MY_PHONG}"


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["jurisdiction", "apply", *args])


# ---------------------------------------------------------------- the seed

def test_the_seed_has_the_2025_departments_and_one_committee_per_commune(fresh) -> None:
    result = fresh.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "15 provincial departments, 102 commune People's Committees, 16 categories" in result.output
    units = communes()
    with fresh.app_context():
        depts = {d.code: d for d in db.session.scalars(sa.select(Department))}
        province = {c for c, d in depts.items() if d.level == "province"}
        assert PROVINCIAL_2025 <= province and not ABOLISHED & depts.keys()
        assert depts["SNNMT"].name_vi == "Sở Nông nghiệp và Môi trường"
        assert depts["SKHCN"].name_vi == "Sở Khoa học và Công nghệ"
        local = {c: d for c, d in depts.items() if d.level == "commune"}
        assert len(local) == len(units) == 102
        assert {d.commune_code for d in local.values()} == set(units)
        for code, dept in local.items():
            assert code == f"UBND-{dept.commune_code}" and dept.commune_codes == [dept.commune_code]
            assert dept.active and dept.name_vi.startswith(("UBND phường ", "UBND xã ", "UBND đặc khu "))
        assert (depts["UBND-28261"].name_vi, depts["UBND-28261"].name_en) == \
            ("UBND phường Mỹ Tho", "Mỹ Tho Ward People's Committee")
        xa = next(d for d in local.values() if units[d.commune_code].startswith("Xã "))
        assert xa.name_vi == "UBND xã " + units[xa.commune_code][3:]
        assert xa.name_en == units[xa.commune_code][3:] + " Commune People's Committee"
        cats = {c.code: c for c in db.session.scalars(sa.select(Category))}
        assert {c[0] for c in seed_data.CATEGORIES} == cats.keys()
        assert cats["TN-MT"].default_department.code == cats["DAT-DAI"].default_department.code == "SNNMT"
        assert cats["TT-TT"].default_department.code == "SKHCN"
        assert cats["DO-THI-VE-SINH"].level == "commune" and cats["GIAO-DUC"].level == "province"
        assert all(c.default_department.active for c in cats.values())
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        assert users["officer"].department.code == users["head"].department.code == "SNNMT"
        assert "NN&MT" in users["officer"].full_name and "TN&MT" not in users["head"].full_name


# ---------------------------------------------------------------- the command

def test_apply_on_the_seeded_map_changes_nothing(fresh) -> None:
    before = snapshot(fresh)
    result = run(fresh)
    assert result.exit_code == 0, result.output
    assert "102 xã/phường" in result.output and "Không có gì thay đổi" in result.output
    assert snapshot(fresh) == before  # not even an audit event: nothing was done


def test_apply_brings_the_committees_in_line_with_the_data(fresh, map_file) -> None:
    rules = older_map(fresh)
    tickets_before = snapshot(fresh)["tickets"]
    result = run(fresh, "--map", str(map_file))
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Thêm UBND mới: 1 (UBND-{DAO_THANH})" in out and "Ngừng hoạt động: 2 (UBND-99001; UBND-99002)" in out
    assert "UBND-28261: UBND phường 1 → UBND phường Mỹ Tho" in out and f"Hoạt động lại: 1 (UBND-{TRUNG_AN})" in out
    assert moved_line(rules["moved"]) in out and "Lưu ý: quy tắc" not in out
    assert f"{rules['clash']}: XAY-DUNG tại 99001, đã có quy tắc tại {MY_PHONG}" in out and "Đã áp dụng." in out
    with fresh.app_context():
        assert (_dept("UBND-28261").name_vi, _dept("UBND-28261").name_en) == \
            ("UBND phường Mỹ Tho", "Mỹ Tho Ward People's Committee")
        new = _dept(f"UBND-{DAO_THANH}")
        assert (new.name_vi, new.level, new.commune_code, new.commune_codes, new.active) == \
            ("UBND phường Đạo Thạnh", "commune", DAO_THANH, [DAO_THANH], True)
        assert _dept(f"UBND-{TRUNG_AN}").active
        assert not _dept("UBND-99001").active and not _dept("UBND-99002").active
        assert _dept("UBND-99001").commune_codes == []  # its area went to Mỹ Phong's committee
        assert _dept("DOI-QLDT").commune_codes == [MY_THO, MY_PHONG] and _dept("DOI-QLDT").active
        moved, clash, kept = (db.session.get(RoutingRule, rules[k]) for k in ("moved", "clash", "kept"))
        assert (moved.commune_code, moved.department.code, moved.active) == (MY_PHONG, f"UBND-{MY_PHONG}", True)
        assert (clash.commune_code, clash.active) == ("99001", False)  # Mỹ Phong's own rule wins
        assert (kept.commune_code, kept.department.code, kept.active) == (MY_PHONG, f"UBND-{MY_PHONG}", True)
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "jurisdiction_apply")).all()
        assert (event.target_type, event.target_id, event.actor_label, event.actor_id) == \
            ("jurisdiction", "82", "cli", None)
        assert event.details["created"] == [f"UBND-{DAO_THANH}"] and event.details["map"] == {"99001": MY_PHONG}
        assert event.details["deactivated"] == ["UBND-99001", "UBND-99002"]
        assert [r["rule"] for r in event.details["deactivated_rules"]] == [rules["clash"]]
    after = snapshot(fresh)
    assert after["tickets"] == tickets_before  # filed commune, address, department: as filed
    assert {t["receipt_code"]: (t["commune_code"], t["address"]) for t in after["tickets"]} == \
        {"T-OLD-1": ("99001", "Ấp Cũ, xã Cũ Một"), "T-OLD-2": (MY_THO, "12 Hùng Vương, phường 1")}

    again = run(fresh, "--map", str(map_file))  # idempotent: the second run finds nothing to do
    assert again.exit_code == 0 and "Không có gì thay đổi" in again.output, again.output
    assert snapshot(fresh) == after


def test_dry_run_reports_and_writes_nothing(fresh, map_file) -> None:
    older_map(fresh)
    before = snapshot(fresh)
    result = run(fresh, "--dry-run", "--map", str(map_file))
    assert result.exit_code == 0, result.output
    assert f"Thêm UBND mới: 1 (UBND-{DAO_THANH})" in result.output and "Chạy thử (--dry-run)" in result.output
    assert snapshot(fresh) == before


def test_a_json_map_and_a_gone_committee_with_staff(fresh, tmp_path) -> None:
    older_map(fresh)
    with fresh.app_context():
        db.session.add(User(username="cb.cumot", role="department_officer", full_name="Cán bộ xã Cũ Một",
                            password_hash="x", department=_dept("UBND-99001")))
        db.session.commit()
    path = tmp_path / "map.json"
    path.write_text(json.dumps([{"old_code": "99001", "new_code": MY_PHONG}, {"old_code": "099002",
                                                                               "new_code": MY_THO}]))
    result = run(fresh, "--map", str(path))
    assert result.exit_code == 0, result.output
    assert "Lưu ý: tài khoản cb.cumot thuộc UBND-99001, đơn vị đã ngừng hoạt động" in result.output
    with fresh.app_context():
        assert _dept("DOI-QLDT").commune_codes == [MY_THO, MY_PHONG]
        assert db.session.scalars(sa.select(User).where(User.username == "cb.cumot")).one().department.code \
            == "UBND-99001"  # accounts are the admin's to move


def test_a_gone_committee_that_is_a_default_department_is_refused_without_a_map(fresh, map_file) -> None:
    older_map(fresh)
    with fresh.app_context():
        _cat("KHAC").default_department = _dept("UBND-99002")
        db.session.commit()
    before = snapshot(fresh)
    result = run(fresh, "--map", str(map_file))  # maps 99001 only
    assert result.exit_code == 1
    assert "KHAC (UBND-99002)" in result.output and "Đổi đơn vị mặc định" in result.output
    assert snapshot(fresh) == before  # not even the rename: one transaction

    path = map_file.parent / "both.csv"
    path.write_text(f"old_code,new_code\n99001,{MY_PHONG}\n99002,{MY_THO}\n")
    result = run(fresh, "--map", str(path))
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert _cat("KHAC").default_department.code == "UBND-28261"
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "jurisdiction_apply")).all()
        assert event.details["repointed_categories"] == [{"category": "KHAC", "before": "UBND-99002",
                                                          "after": "UBND-28261"}]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("m.json", b'{"99001": ', "không phải JSON hợp lệ"),
    ("m.json", b'"99001"', "phải là một đối tượng"),
    ("m.csv", b"cu,moi\n99001,28273\n", "old_code,new_code"),
    ("m.csv", b"old_code,new_code\n99001,abc\n", "dòng 2: mã xã/phường phải là 1 đến 10 chữ số"),
    ("m.csv", b"old_code,new_code\n99001,12345678901\n", "dòng 2: mã xã/phường phải là"),
    ("m.csv", b"old_code,new_code\n99001,\n", "dòng 2: mã xã/phường phải là"),
    ("m.json", b'{"99001": 28273.5}', "mã xã/phường phải là"),
    ("m.json", b'[{"old_code": "99001"}, 7]', "mục 1"),
    ("m.csv", b"old_code,new_code\n28273,28273\n", "trùng nhau (28273)"),
    ("m.csv", b"old_code,new_code\n99001,28273\n99001,28261\n", "dòng 3: mã cũ 99001 có hai lần"),
    ("m.csv", b"old_code,new_code\n28261,28273\n", "mã cũ 28261 vẫn còn trong dữ liệu (Phường Mỹ Tho)"),
    ("m.csv", b"old_code,new_code\n99001,99002\n", "mã mới 99002 không có trong dữ liệu"),
    ("m.csv", "old_code,new_code\n99001,28273\n".encode("utf-16"), "UTF-8"),
    ("m.csv", b"old_code,new_code\n" + b"99001,28273\n" * 90_000, "lớn hơn 1000000 byte"),
])
def test_a_bad_map_file_is_refused_and_writes_nothing(fresh, tmp_path, name, content, message) -> None:
    older_map(fresh)
    before = snapshot(fresh)
    path = tmp_path / name
    path.write_bytes(content)
    result = run(fresh, "--map", str(path))
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert snapshot(fresh) == before


def test_a_missing_map_file_is_a_usage_error(fresh, tmp_path) -> None:
    result = run(fresh, "--map", str(tmp_path / "none.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output


# ---------------------------------------------------------------- the seed on an older database

def test_seed_keeps_an_admins_change_and_retires_the_abolished_departments(fresh) -> None:
    with fresh.app_context():
        _clear_all()
        stnmt = Department(code="STNMT", name_vi="Sở Tài nguyên và Môi trường",
                           name_en="Department of Natural Resources and Environment", level="province")
        mytho = Department(code="UBND-MYTHO", name_vi="UBND phường Mỹ Tho", name_en="Mỹ Tho Ward People's Committee",
                           level="commune", commune_code=MY_THO, commune_codes=[MY_THO])
        db.session.add_all([stnmt, mytho])
        db.session.flush()
        tnmt = Category(code="TN-MT", name_vi="Môi trường (đã sửa)", name_en="Environment", default_department=stnmt)
        waste = Category(code="DO-THI-VE-SINH", name_vi="Vệ sinh đô thị", name_en="Waste", default_department=mytho)
        db.session.add_all([tnmt, waste])
        db.session.flush()
        db.session.add_all([RoutingRule(category=tnmt, commune_code=MY_THO, department=mytho),
                            User(username="cb.tnmt", role="department_officer", password_hash="x", department=stnmt)])
        _ticket("T-STNMT", "TN-MT", stnmt, MY_THO, "1 Ấp Bắc")
        db.session.commit()
    tickets = snapshot(fresh)["tickets"]
    runner = fresh.test_cli_runner()
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["seed"])
        assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert not _dept("STNMT").active and not _dept("UBND-MYTHO").active
        assert _cat("TN-MT").default_department.code == "SNNMT"
        assert _cat("TN-MT").name_vi == "Môi trường (đã sửa)"  # an admin's change is kept
        assert _cat("DO-THI-VE-SINH").default_department.code == "UBND-28261"
        assert db.session.scalars(sa.select(RoutingRule)).one().department.code == "UBND-28261"
        assert db.session.scalars(sa.select(User).where(User.username == "cb.tnmt")).one().department.code == "SNNMT"
        assert _cat("TT-TT").default_department.code == "SKHCN"  # missing rows are created
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Department)
                                 .where(Department.level == "commune", Department.active)) == len(communes())
    assert snapshot(fresh)["tickets"] == tickets  # a ticket keeps the department it was filed with

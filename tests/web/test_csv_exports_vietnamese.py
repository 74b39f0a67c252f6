"""Every staff CSV export speaks the UI's language: Vietnamese headers by default (English ones in
an English session), codes written as their labels ("Đang xử lý", not ``in_progress``), and times
in Vietnam's local time, "YYYY-MM-DD HH:MM:SS" (UTC + 7 h), local days for the per-day files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call, Department, ExtensionRequest, SlaAlert, SlaClock, Ticket, User
from callcentre.web.helpers import csv_times
from tests.conftest import ticket_payload

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FORMULA = "=HYPERLINK(\"http://x\",\"y\")"


def _local(value: datetime) -> str:
    """What a file must show for ``value``: Vietnam is UTC+7 all year (no daylight saving)."""
    return (value.astimezone(UTC) + timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S")


def _signed_in(app, username: str, english: bool = False):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "Demo@1022"}).status_code == 302
    if english:
        client.get("/lang/en")
    return client


def _table(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _rows(resp) -> list[dict[str, str]]:
    header, *rows = _table(resp)
    return [dict(zip(header, row, strict=True)) for row in rows]


@dataclass
class Scene:
    code: str
    created_at: datetime
    resolve_deadline: datetime
    resolve_due: datetime
    requested_deadline: datetime
    alert_deadline: datetime
    detected_at: datetime
    acknowledged_at: datetime
    call_started: datetime
    local_today: date


@pytest.fixture()
def scene(app, api_as) -> Scene:
    """One SNNMT ticket in progress with a pending extension, its resolve clock warned (at risk),
    an acknowledged accept breach detected at 01:30 local today (still yesterday in UTC), and two
    missed calls at that same instant, one classified as abandoned, one not yet classified."""
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    requested = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    for user, trigger, fields in [("operator", "assign", {}), ("officer", "accept", {}),
                                  ("head", "request_extension", {"deadline": requested.isoformat(),
                                                                 "reason": "Cần khảo sát hiện trường"})]:
        resp = api_as(user).post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    local_today = datetime.now(VN).date()
    detected = datetime.combine(local_today, time(1, 30), VN).astimezone(UTC)
    assert detected.date() == local_today - timedelta(days=1)  # the UTC day is not the local one
    alert_deadline = detected - timedelta(hours=3, minutes=20, seconds=5)
    with app.app_context():
        row = db.session.scalars(sa.select(Ticket).where(Ticket.id == ticket["id"])).one()
        clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == row.id,
                                                             SlaClock.kind == "resolve")).one()
        clock.warned = True  # as the sweep leaves it: the at-risk list shows it whatever the time left
        supervisor = db.session.scalars(sa.select(User).where(User.username == "supervisor")).one()
        snnmt = db.session.scalars(sa.select(Department).where(Department.code == "SNNMT")).one()
        db.session.add(SlaAlert(ticket_id=row.id, kind="accept", level="breach", deadline=alert_deadline,
                                department_id=snnmt.id, detected_at=detected,
                                acknowledged_at=detected + timedelta(minutes=47), acknowledged_by_id=supervisor.id,
                                ack_comment=FORMULA))
        db.session.add_all([Call(from_number="+84912000101", started_at=detected, disposition="abandoned"),
                            Call(from_number="+84912000102", started_at=detected + timedelta(seconds=1))])
        db.session.commit()
        scene = Scene(code=row.receipt_code, created_at=row.created_at, resolve_deadline=row.resolve_deadline,
                      resolve_due=clock.due_at, requested_deadline=requested, alert_deadline=alert_deadline,
                      detected_at=detected, acknowledged_at=detected + timedelta(minutes=47),
                      call_started=detected, local_today=local_today)
        assert db.session.scalar(sa.select(ExtensionRequest.requested_deadline)) == requested
    return scene


def test_inbox_tickets_csv(app, scene) -> None:
    header, *_ = table = _table(_signed_in(app, "officer").get("/department?format=csv&status=all"))
    assert header == ["Mã biên nhận", "Trạng thái", "Lĩnh vực", "Đơn vị", "Mức độ", "Thời điểm tạo (giờ Việt Nam)",
                      "Hạn trả lời (giờ Việt Nam)", "Tình trạng hạn", "Còn lại (giây làm việc)", "Tiêu đề"]
    [row] = [dict(zip(header, r, strict=True)) for r in table[1:]]
    assert row["Mã biên nhận"] == scene.code
    assert (row["Trạng thái"], row["Mức độ"], row["Đơn vị"]) == ("Đang xử lý", "Bình thường", "SNNMT")
    assert row["Tình trạng hạn"] in {"Đúng hạn", "Sắp quá hạn"}  # warned: "at risk" only once close
    assert row["Thời điểm tạo (giờ Việt Nam)"] == _local(scene.created_at)
    assert row["Hạn trả lời (giờ Việt Nam)"] == _local(scene.resolve_deadline)
    assert row["Còn lại (giây làm việc)"].lstrip("-").isdigit()

    [en] = _rows(_signed_in(app, "officer", english=True).get("/department?format=csv&status=all"))
    assert list(en)[:5] == ["Receipt code", "Status", "Category", "Department", "Priority"]
    assert (en["Status"], en["Priority"]) == ("In progress", "Normal")
    assert en["Created at (Vietnam time)"] == _local(scene.created_at)  # the zone is the same in English


def test_supervisor_counts_csv(app, scene) -> None:
    header, *rows = _table(_signed_in(app, "supervisor").get("/supervisor?csv=counts"))
    assert header == ["Đơn vị", "Đang xử lý", "Tổng", "Đang mở (mọi thời gian)"]  # statuses by their labels
    assert rows == [["SNNMT", "1", "1", "1"]]
    en, *_ = _table(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=counts"))
    assert en == ["Department", "In progress", "Total", "Open (any age)"]


def test_supervisor_at_risk_csv(app, scene) -> None:
    rows = _rows(_signed_in(app, "supervisor").get("/supervisor?csv=at_risk"))
    [row] = [r for r in rows if r["Loại hạn"] == "Trả lời"]
    assert list(row) == ["Mã biên nhận", "Loại hạn", "Hạn (giờ Việt Nam)", "Còn lại (giây làm việc)", "Đơn vị",
                         "Lĩnh vực", "Trạng thái"]
    assert (row["Mã biên nhận"], row["Trạng thái"], row["Đơn vị"]) == (scene.code, "Đang xử lý", "SNNMT")
    assert row["Hạn (giờ Việt Nam)"] == _local(scene.resolve_due)
    assert int(row["Còn lại (giây làm việc)"]) > 0
    en = _rows(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=at_risk"))
    [row] = [r for r in en if r["Deadline for"] == "Answer"]
    assert (row["Status"], row["Deadline (Vietnam time)"]) == ("In progress", _local(scene.resolve_due))


def test_supervisor_breaches_csv(app, scene) -> None:
    [row] = _rows(_signed_in(app, "supervisor").get("/supervisor?csv=breaches"))
    assert list(row) == ["Mã vi phạm", "Mã biên nhận", "Loại hạn", "Hạn (giờ Việt Nam)",
                         "Thời điểm phát hiện (giờ Việt Nam)", "Đơn vị", "Lĩnh vực",
                         "Thời điểm xác nhận (giờ Việt Nam)", "Người xác nhận", "Ghi nhận"]
    assert (row["Mã biên nhận"], row["Loại hạn"], row["Đơn vị"]) == (scene.code, "Tiếp nhận", "SNNMT")
    assert row["Hạn (giờ Việt Nam)"] == _local(scene.alert_deadline)
    assert row["Thời điểm phát hiện (giờ Việt Nam)"] == f"{scene.local_today.isoformat()} 01:30:00"
    assert row["Thời điểm xác nhận (giờ Việt Nam)"] == _local(scene.acknowledged_at)
    assert row["Người xác nhận"] == "supervisor"
    assert row["Ghi nhận"] == "'" + FORMULA  # still never a formula
    [en] = _rows(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=breaches"))
    assert (en["Deadline for"], en["Detected at (Vietnam time)"]) == ("Accept", _local(scene.detected_at))
    assert en["Comment"] == "'" + FORMULA


def test_supervisor_trend_csv_by_local_day(app, scene) -> None:
    header, *rows = _table(_signed_in(app, "supervisor").get("/supervisor?csv=trend&days=7"))
    assert header == ["Đơn vị", "Ngày", "Số vi phạm", "Tỷ lệ trả lời đúng hạn (%)"]
    snnmt = {day: (n, rate) for dept, day, n, rate in rows if dept == "SNNMT"}
    assert len(snnmt) == 7
    # Detected at 01:30 local time: today in Vietnam, although it was still yesterday in UTC.
    assert snnmt[scene.local_today.isoformat()] == ("1", "")  # nothing answered: no rate
    assert snnmt[(scene.local_today - timedelta(days=1)).isoformat()] == ("0", "")
    en, *_ = _table(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=trend&days=7"))
    assert en == ["Department", "Day", "Breaches", "Answered on time (%)"]


def test_supervisor_trend_rate_is_a_percentage(app, api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    for user, trigger, fields in [("operator", "assign", {}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "Đã kiểm tra và xử lý lò gạch"})]:
        resp = api_as(user).post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    rows = _table(_signed_in(app, "supervisor").get("/supervisor?csv=trend&days=7"))[1:]
    today = datetime.now(VN).date().isoformat()
    assert [r for r in rows if r[:2] == ["SNNMT", today]] == [["SNNMT", today, "0", "100.0"]]


def test_supervisor_calls_csv_by_local_day(app, scene) -> None:
    header, *rows = _table(_signed_in(app, "supervisor").get("/supervisor?csv=calls&days=7"))
    assert header == ["Ngày", "Số cuộc gọi đến", "Được trả lời", "Bị bỏ nhỡ", "Để lại lời nhắn", "Đã gọi lại"]
    days = {r[0]: r[1:] for r in rows}
    assert days[scene.local_today.isoformat()] == ["2", "0", "2", "0", "0"]
    assert days[(scene.local_today - timedelta(days=1)).isoformat()] == ["0"] * 5
    en, *_ = _table(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=calls&days=7"))
    assert en == ["Day", "Incoming calls", "Answered", "Abandoned", "Voicemail", "Called back"]


def test_supervisor_extensions_csv(app, scene) -> None:
    [row] = _rows(_signed_in(app, "supervisor").get("/supervisor?csv=extensions"))
    assert row == {"Mã biên nhận": scene.code, "Người đề nghị": "head",
                   "Hạn hiện tại (giờ Việt Nam)": _local(scene.resolve_deadline),
                   "Hạn đề nghị (giờ Việt Nam)": _local(scene.requested_deadline),
                   "Lý do": "Cần khảo sát hiện trường"}
    [en] = _rows(_signed_in(app, "supervisor", english=True).get("/supervisor?csv=extensions"))
    assert list(en) == ["Receipt code", "Requested by", "Current deadline (Vietnam time)",
                        "Requested deadline (Vietnam time)", "Reason"]


def test_operator_callbacks_csv(app, scene) -> None:
    header, *rows = _table(_signed_in(app, "operator").get("/operator/callbacks?format=csv"))
    assert header == ["Mã cuộc gọi", "Số gọi", "Thời điểm gọi (giờ Việt Nam)", "Kết quả cuộc gọi"]
    by_number = {r[1]: r for r in rows}
    assert by_number["+84912000101"][2:] == [_local(scene.call_started), "Bỏ máy khi chờ"]
    assert by_number["+84912000102"][2:] == [_local(scene.call_started + timedelta(seconds=1)), "(chưa phân loại)"]
    en = _rows(_signed_in(app, "operator", english=True).get("/operator/callbacks?format=csv"))
    assert {r["Number"]: r["Outcome of the call"] for r in en} == {"+84912000101": "Abandoned",
                                                                   "+84912000102": "(not classified)"}
    assert {r["Called at (Vietnam time)"] for r in en} == {_local(scene.call_started),
                                                           _local(scene.call_started + timedelta(seconds=1))}


def test_csv_times_is_local_to_the_second(app) -> None:
    with app.app_context():
        cell = csv_times()
    assert cell(datetime(2026, 12, 4, 2, 15, 0, 987654, tzinfo=UTC)) == "2026-12-04 09:15:00"
    assert cell(datetime(2026, 12, 31, 20, 0, 1, tzinfo=UTC)) == "2027-01-01 03:00:01"  # the local day and year
    assert cell(None) == ""

"""The reports pages in Chromium: pick a period, read the figures (the service's, which
tests/services/test_report_summary.py checks against brute force), switch groupings, download
the workbook; the archive lists and serves the scheduled reports, and admins switch schedules."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import AuditEvent, ReportSchedule
from callcentre.services.report_schedule import run_due
from callcentre.services.report_summary import Period, summary
from tests.services.report_data import NOW, PERIOD, insert_report_history, local
from tests.web.conftest import login, shoot


def _kpi(page, name: str) -> str:
    return page.locator(f"#report-kpis [data-figure={name}] b").inner_text()


def test_pick_a_period_see_the_figures_and_download(app, new_page, tmp_path) -> None:
    with app.app_context():
        insert_report_history(n=160, seed=21)
    with app.test_request_context():
        report = summary(Period(*PERIOD), "category", now=NOW)
    page = new_page()
    login(page, "supervisor")
    page.goto("/reports")
    assert page.locator("h1").inner_text() == "Báo cáo"
    # A custom period with the keyboard-free picker: the month fields hide, the dates show.
    page.select_option("#f-period", "custom")
    assert page.locator("#f-month").is_hidden() and page.locator("#f-from").is_visible()
    page.fill("#f-from", "2025-04-01")
    page.fill("#f-to", "2025-04-30")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem báo cáo").click()
    assert "Từ 01/04/2025 đến 30/04/2025" in page.locator("#total-h").inner_text()
    total = report["total"]
    assert _kpi(page, "received") == str(total["received"])
    assert _kpi(page, "resolved") == str(total["resolved"])
    assert _kpi(page, "on_time_rate") == f"{round(total['on_time_rate'] * 100, 1)}%"
    assert _kpi(page, "overdue") != ""  # overdue is of now: the page says what it is today
    assert _kpi(page, "calls") == str(report["calls"]["total"]["calls"])
    # The grouping tabs: by field (category) now.
    with page.expect_navigation():
        page.get_by_role("link", name="Lĩnh vực", exact=True).click()
    assert page.locator(".tabs a[aria-current=page]").inner_text() == "Lĩnh vực"
    table = page.locator("#report-table")
    for row in report["groups"]["category"]:
        cells = table.locator(f"tbody tr[data-key='{row['key']}']")
        assert cells.locator("th").inner_text().startswith(row["name_vi"])
        assert cells.locator("[data-figure=received]").inner_text() == str(row["received"])
        assert cells.locator("[data-figure=rejected]").inner_text() == str(row["rejected"])
    assert table.locator("tfoot [data-figure=received]").inner_text() == str(total["received"])
    assert page.locator("svg.chart rect.received").count() >= len(report["groups"]["category"])
    shoot(page, "reports-category")

    with page.expect_download() as download:
        page.locator("#download-xlsx").click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename == "bao-cao_2025-04-01_2025-04-30.xlsx"
    book = openpyxl.load_workbook(path)
    assert book["Lĩnh vực"]["B2"].value.date() == date(2025, 4, 1)
    assert [r for r in book["Lĩnh vực"].iter_rows(min_row=5, values_only=True)][-1][2] == total["received"]
    with page.expect_download() as csv_download:
        page.locator("#download-csv").click()
    assert csv_download.value.suggested_filename == "bao-cao-category_2025-04-01_2025-04-30.csv"


def test_a_bad_period_is_told_beside_its_field(app, new_page) -> None:
    page = new_page()
    login(page, "supervisor")
    resp = page.goto("/reports?period=custom&from=2025-04-30&to=2025-04-01")
    assert resp.status == 422
    assert page.locator("#f-to-msg").inner_text() == "Ngày kết thúc không được trước ngày bắt đầu"
    assert page.locator("#f-to").get_attribute("aria-invalid") == "true"
    resp = page.goto("/reports?period=quarter&quarter=7&year=2025")
    assert resp.status == 422 and page.locator("#f-quarter-msg").inner_text() == "Quý từ 1 đến 4"
    shoot(page, "reports-bad-period")


def test_the_archive_lists_downloads_and_switches(app, new_page) -> None:
    with app.app_context():
        insert_report_history(n=40, seed=4)
        run_due(local(date(2025, 5, 5), 8))
    page = new_page()
    login(page, "supervisor")
    page.goto("/reports/archive")
    archive = page.locator("#archive")
    assert "01/04/2025 – 30/04/2025" in archive.inner_text()
    assert page.locator("#schedules button").count() == 0  # supervisors read, admins switch
    with page.expect_download() as download:
        archive.get_by_role("link", name="bao-cao-thang_2025-04-01_2025-04-30.xlsx").click()
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert "Định nghĩa" in book.sheetnames
    shoot(page, "reports-archive-supervisor")

    admin = new_page()
    login(admin, "admin")
    admin.goto("/reports/archive")
    weekly = admin.locator("#schedules tr[data-kind=weekly]")
    assert weekly.locator(".status").inner_text() == "Đang tắt"
    with admin.expect_navigation():
        weekly.get_by_role("button", name="Bật").click()
    assert "Đã bật lịch báo cáo Hằng tuần" in admin.locator(".flash").inner_text()
    assert admin.locator("#schedules tr[data-kind=weekly] .status").inner_text() == "Đang bật"
    shoot(admin, "reports-archive-admin")
    with app.app_context():
        assert db.session.scalar(sa.select(ReportSchedule.active).where(ReportSchedule.kind == "weekly")) is True
        audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report_schedule_update")).one()
        assert audit.target_id == "weekly" and audit.details["after"] == {"active": True}


def test_department_staff_and_operators_are_refused(app, new_page) -> None:
    page = new_page()
    login(page, "officer")
    for url in ("/reports", "/reports/archive", "/reports/export.xlsx?period=month&month=2025-04"):
        assert page.goto(url).status == 403, url

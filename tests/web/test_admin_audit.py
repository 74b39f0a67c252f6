"""The audit log page in a browser: an admin signs in, opens it from the nav and filters it."""

from __future__ import annotations

from tests.web.conftest import login, shoot


def test_admin_finds_their_own_login_in_the_audit_log(app, new_page) -> None:
    other = new_page()
    login(other, "supervisor")  # another person's login, filtered out below by the actor
    page = new_page()
    login(page, "admin")
    assert page.url.endswith("/admin")  # an admin lands on the admin home, which links the log too
    page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Nhật ký truy cập").click()
    page.wait_for_url("**/admin/audit")
    assert page.locator("h1").inner_text() == "Nhật ký truy cập"
    assert page.locator("tbody tr.audit-login").count() == 2

    page.get_by_label("Hành động").select_option(label="Đăng nhập")
    page.get_by_label("Người thực hiện (tên đăng nhập)").fill("admin")
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert "action=login" in page.url and "actor=admin" in page.url
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td")
    assert cells.nth(1).inner_text() == "admin" and cells.nth(2).inner_text() == "Đăng nhập"
    assert cells.nth(4).inner_text() == "127.0.0.1"
    assert page.get_by_label("Hành động").input_value() == "login"  # the filter stays chosen
    shoot(page, "admin-audit")

    page.get_by_label("Hành động").select_option(label="Đăng xuất")
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert page.locator("tbody").inner_text().strip() == "Không có mục nào"

"""Public lookup and sign-in, in a real browser."""

from __future__ import annotations

from tests.conftest import ticket_payload
from tests.web.conftest import PHONE, login, shoot


def test_citizen_looks_a_ticket_up_by_code_on_a_phone(api_as, new_page) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    code = ticket["receipt_code"]
    page = new_page(viewport=PHONE)
    page.goto("/t")
    shoot(page, "public-form")
    page.get_by_label("Mã biên nhận").fill(code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/t/{code}")
    text = page.inner_text("main")
    assert "Tiếp nhận" in text and "Tài nguyên và môi trường" in text
    for secret in ("Nguyễn Văn An", "912345678", "Khói bụi", "12 Lê Lợi"):
        assert secret not in page.content()
    qr = page.get_by_role("link", name="Tải mã QR (PNG)")
    with page.expect_download() as download:
        qr.click()
    assert download.value.suggested_filename == f"{code}.png"
    shoot(page, "public-result")
    # A mistyped code is an error in place, with what was typed kept.
    page.goto(f"/t/{code[:-1]}Z" if code[-1] != "Z" else f"/t/{code[:-1]}Y")
    assert page.locator(".field.has-error .error").is_visible()
    assert page.get_by_label("Mã biên nhận").input_value().startswith(code[:5])


def test_login_errors_in_place_then_each_role_lands_on_its_page(new_page) -> None:
    page = new_page()
    page.goto("/login")
    shoot(page, "login")
    page.get_by_label("Tên đăng nhập").fill("officer")
    page.get_by_label("Mật khẩu").fill("wrong")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error").inner_text() == "Sai tên đăng nhập hoặc mật khẩu"
    assert page.get_by_label("Tên đăng nhập").input_value() == "officer"
    for user, path in (("operator", "/operator"), ("officer", "/department"), ("supervisor", "/supervisor")):
        page = new_page()
        login(page, user)
        assert page.url.endswith(path), (user, page.url)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    page.goto("/supervisor")
    assert "/login" in page.url


def test_language_switch_is_remembered(new_page) -> None:
    page = new_page()
    login(page, "officer")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Inbox")
    page.goto("/department")
    assert "Ordered by time left" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="Tiếng Việt").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hộp phiếu")

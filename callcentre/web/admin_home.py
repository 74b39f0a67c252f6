"""The admin's home page (``/admin``, where an admin lands): a link to every admin screen."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from callcentre.web.helpers import html_errors, page_roles
from workflows.roles import Role

bp = Blueprint("web_admin_home", __name__, url_prefix="/admin")
html_errors(bp)

# Paths, not endpoints: each screen's blueprint is its own module (and may be missing while built).
SCREENS = (
    ("/admin/users", _l("Tài khoản"),
     _l("Tạo tài khoản, đổi vai trò và đơn vị, khóa, đặt lại mật khẩu, thu hồi token API.")),
    ("/admin/templates", _l("Mẫu tin nhắn"), _l("Nội dung SMS và Zalo gửi công dân ở mỗi bước xử lý phiếu.")),
    ("/admin/departments", _l("Đơn vị xử lý"), _l("Các sở, ngành và UBND xã, phường nhận phiếu.")),
    ("/admin/categories", _l("Lĩnh vực"), _l("Lĩnh vực phản ánh và đơn vị xử lý mặc định của mỗi lĩnh vực.")),
    ("/admin/api-clients", _l("Ứng dụng Open311"),
     _l("Khóa API của các ứng dụng gửi phản ánh qua Open311: cấp, thu hồi.")),
    ("/admin/policies", _l("Chính sách thời hạn"),
     _l("Thời hạn tiếp nhận, chuyển và giải quyết của mỗi lĩnh vực và mức ưu tiên.")),
    ("/admin/calendars", _l("Lịch làm việc"),
     _l("Giờ làm việc, ngày nghỉ đột xuất và ngày làm bù; thời hạn phiếu được tính lại.")),
    ("/admin/audit", _l("Nhật ký truy cập"), _l("Ai đăng nhập, xem hay xuất dữ liệu cá nhân, sửa tài khoản, khi nào.")),
)


@bp.route("")
@page_roles(Role.ADMIN)
def home():
    return render_template("web/admin_home.html", screens=SCREENS)

"""Demo data for the merged Đồng Tháp province (former Tiền Giang area).

Departments and categories are data: a deployment edits these rows, not code.
"""

from __future__ import annotations

# (code, name_vi, name_en, level, commune_code)
DEPARTMENTS: list[tuple[str, str, str, str, str | None]] = [
    ("STTTT", "Sở Thông tin và Truyền thông", "Department of Information and Communications", "province", None),
    ("STNMT", "Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment", "province", None),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade", "province", None),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism", "province", None),
    ("CAT", "Công an tỉnh", "Provincial Police", "province", None),
    ("SXD", "Sở Xây dựng", "Department of Construction", "province", None),
    ("SYT", "Sở Y tế", "Department of Health", "province", None),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training", "province", None),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment", "province", None),
    ("PCDT", "Công ty Điện lực Đồng Tháp", "Dong Thap Power Company", "province", None),
    ("CTN", "Công ty Cấp nước Đồng Tháp", "Dong Thap Water Supply Company", "province", None),
    ("VPUBND", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee", "province", None),
    ("UBND-MYTHO", "UBND phường Mỹ Tho", "Mỹ Tho Ward People's Committee", "commune", "28261"),
    ("UBND-DAOTHANH", "UBND phường Đạo Thạnh", "Đạo Thạnh Ward People's Committee", "commune", "28249"),
    ("UBND-MYPHONG", "UBND phường Mỹ Phong", "Mỹ Phong Ward People's Committee", "commune", "28273"),
]

# (code, name_vi, name_en, default department code). The first five are the
# fields the province's app takes at launch; the rest are usual 1022 topics.
CATEGORIES: list[tuple[str, str, str, str]] = [
    ("AN-NINH-TTATGT", "An ninh, trật tự an toàn giao thông", "Security and traffic order", "CAT"),
    ("TT-TT", "Thông tin và truyền thông", "Information and communications", "STTTT"),
    ("TN-MT", "Tài nguyên và môi trường", "Natural resources and environment", "STNMT"),
    ("CONG-THUONG", "Công thương", "Industry and trade", "SCT"),
    ("VH-TT-DL", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism", "SVHTTDL"),
    ("DIEN", "Điện", "Electricity", "PCDT"),
    ("NUOC", "Cấp nước", "Water supply", "CTN"),
    ("GIAO-THONG-HT", "Hạ tầng giao thông, đường sá", "Roads and transport infrastructure", "SXD"),
    ("XAY-DUNG", "Trật tự xây dựng", "Construction order", "SXD"),
    ("DAT-DAI", "Đất đai", "Land", "STNMT"),
    ("Y-TE", "Y tế", "Health", "SYT"),
    ("GIAO-DUC", "Giáo dục", "Education", "SGDDT"),
    ("NONG-NGHIEP", "Nông nghiệp", "Agriculture", "SNNMT"),
    ("DO-THI-VE-SINH", "Vệ sinh đô thị, rác thải", "Urban sanitation and waste", "UBND-MYTHO"),
    ("HANH-CHINH-CONG", "Thủ tục hành chính công", "Public administration procedures", "VPUBND"),
    ("KHAC", "Khác", "Other", "VPUBND"),
]

DEMO_PASSWORD = "Demo@1022"
# (username, role, department code, full name)
DEMO_USERS: list[tuple[str, str, str | None, str]] = [
    ("operator", "operator", None, "Nguyễn Thị Lan (tổng đài viên)"),
    ("officer", "department_officer", "STNMT", "Trần Văn Minh (chuyên viên Sở TN&MT)"),
    ("head", "department_head", "STNMT", "Lê Thị Hoa (trưởng phòng Sở TN&MT)"),
    ("officer_ct", "department_officer", "SCT", "Phạm Văn Hùng (chuyên viên Sở Công Thương)"),
    ("supervisor", "supervisor", None, "Võ Minh Tuấn (Tổ giúp việc)"),
    ("admin", "admin", None, "Quản trị hệ thống"),
]

# Default SLA terms per priority (ISO 8601; days are working days). Policies are
# data: the seed creates them once and never overwrites an admin's change.
# (priority, accept_within, resolve_within, warn_at, calendar)
SLA_DEFAULTS: list[tuple[str, str, str, float, str]] = [
    ("normal", "PT4H", "P5D", 0.75, "working_hours"),
    ("high", "PT2H", "P3D", 0.75, "working_hours"),
    ("urgent", "PT30M", "PT8H", 0.5, "24x7"),
]

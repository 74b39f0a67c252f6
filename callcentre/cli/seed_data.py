"""Demo data for the merged Đồng Tháp province (Tiền Giang and Đồng Tháp since 1 July 2025).

Departments and categories are data: a deployment edits these rows, not code. The provincial
departments are those after the 2025 restructuring; the People's Committee of every commune and
ward is generated from the administrative map (formats/geo.py, ``cli/jurisdiction.py``).
"""

from __future__ import annotations

# (code, name_vi, name_en): the sở/ngành of the merged province and the utilities the hotline forwards to.
PROVINCE_DEPARTMENTS: list[tuple[str, str, str]] = [
    ("VPUBND", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("SXD", "Sở Xây dựng", "Department of Construction"),
    ("STC", "Sở Tài chính", "Department of Finance"),
    ("SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("STP", "Sở Tư pháp", "Department of Justice"),
    ("SYT", "Sở Y tế", "Department of Health"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism"),
    ("TTT", "Thanh tra tỉnh", "Provincial Inspectorate"),
    ("CAT", "Công an tỉnh", "Provincial Police"),
    ("PCDT", "Công ty Điện lực Đồng Tháp", "Dong Thap Power Company"),
    ("CTN", "Công ty Cấp nước Đồng Tháp", "Dong Thap Water Supply Company"),
]

# Departments of earlier seeds that the 2025 restructuring abolished -> the one that took them over.
# ``seed`` deactivates them where an older database still has them, and hands their categories,
# routing rules and staff to the successor (tickets keep the department they were filed with).
ABOLISHED_DEPARTMENTS: dict[str, str] = {
    "STNMT": "SNNMT",  # Sở Tài nguyên và Môi trường, merged with Nông nghiệp
    "STTTT": "SKHCN",  # Sở Thông tin và Truyền thông, merged with Khoa học và Công nghệ
    "UBND-MYTHO": "UBND-28261",  # hand-written ward rows, now generated from the map
    "UBND-DAOTHANH": "UBND-28249",
    "UBND-MYPHONG": "UBND-28273",
}

# (code, name_vi, name_en, default department code, level). The first five are the fields the
# province's app takes at launch; the rest are usual 1022 topics. Level "commune": a local matter,
# answered by the People's Committee of the commune where it happens (domain.md); the default
# department takes those whose place is unknown.
CATEGORIES: list[tuple[str, str, str, str, str]] = [
    ("AN-NINH-TTATGT", "An ninh, trật tự an toàn giao thông", "Security and traffic order", "CAT", "province"),
    ("TT-TT", "Thông tin và truyền thông", "Information and communications", "SKHCN", "province"),
    ("TN-MT", "Tài nguyên và môi trường", "Natural resources and environment", "SNNMT", "province"),
    ("CONG-THUONG", "Công thương", "Industry and trade", "SCT", "province"),
    ("VH-TT-DL", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism", "SVHTTDL", "province"),
    ("DIEN", "Điện", "Electricity", "PCDT", "province"),
    ("NUOC", "Cấp nước", "Water supply", "CTN", "province"),
    ("GIAO-THONG-HT", "Hạ tầng giao thông, đường sá", "Roads and transport infrastructure", "SXD", "province"),
    ("XAY-DUNG", "Trật tự xây dựng", "Construction order", "SXD", "commune"),
    ("DAT-DAI", "Đất đai", "Land", "SNNMT", "province"),
    ("Y-TE", "Y tế", "Health", "SYT", "province"),
    ("GIAO-DUC", "Giáo dục", "Education", "SGDDT", "province"),
    ("NONG-NGHIEP", "Nông nghiệp", "Agriculture", "SNNMT", "province"),
    ("DO-THI-VE-SINH", "Vệ sinh đô thị, rác thải", "Urban sanitation and waste", "SNNMT", "commune"),
    ("HANH-CHINH-CONG", "Thủ tục hành chính công", "Public administration procedures", "VPUBND", "province"),
    ("KHAC", "Khác", "Other", "VPUBND", "province"),
]

DEMO_PASSWORD = "Demo@1022"
# (username, role, department code, full name)
DEMO_USERS: list[tuple[str, str, str | None, str]] = [
    ("operator", "operator", None, "Nguyễn Thị Lan (tổng đài viên)"),
    ("officer", "department_officer", "SNNMT", "Trần Văn Minh (chuyên viên Sở NN&MT)"),
    ("head", "department_head", "SNNMT", "Lê Thị Hoa (trưởng phòng Sở NN&MT)"),
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

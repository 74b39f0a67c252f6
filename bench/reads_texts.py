"""Vietnamese text for bench/reads_history.py: names, streets, what citizens report, answers.

Real-looking data with diacritics, so that searches, collations and row widths are those of
production (a 1022 hotline of Đồng Tháp). Phrases are keyed by the seeded category codes
(callcentre/cli/seed_data.py); a category missing here falls back to ``GENERIC``.
"""

from __future__ import annotations

# Family names with rough shares (Nguyễn is about four in ten).
FAMILY = ["Nguyễn"] * 8 + ["Trần"] * 3 + ["Lê"] * 2 + ["Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi",
                                                        "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh"]
MIDDLE_M = ["Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Hoàng"]
MIDDLE_F = ["Thị", "Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Thu", "Bích"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hùng", "Khang", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tâm", "Thắng",
           "Tuấn", "Việt", "Hải", "Lộc", "Trí", "Nghĩa", "Tài"]
GIVEN_F = ["Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Thảo", "Trang", "Vy", "Yến", "Hồng",
           "Nhung", "Tuyết", "Diễm", "Ngân", "Oanh", "Thủy", "Xuân"]

STREETS = ["Lê Lợi", "Hùng Vương", "Ấp Bắc", "Nguyễn Trãi", "Trưng Trắc", "Đinh Bộ Lĩnh", "Lý Thường Kiệt",
           "Nguyễn Huệ", "Trần Hưng Đạo", "Lê Văn Phẩm", "Nam Kỳ Khởi Nghĩa", "Rạch Gầm", "Học Lạc", "Thủ Khoa Huân",
           "Nguyễn Thị Thập", "Phan Thanh Giản", "Lê Thị Hồng Gấm", "Quốc lộ 1", "Quốc lộ 50", "Đường tỉnh 864",
           "Võ Việt Tấn", "Tết Mậu Thân", "Ngô Quyền", "Yersin", "Cách Mạng Tháng Tám", "30 Tháng 4",
           "Nguyễn Văn Giác", "Đống Đa", "Lãnh Binh Cẩn", "Trương Định"]

# {s}: a street, {a}: "12 đường Lê Lợi, Phường Mỹ Tho".
PHRASES: dict[str, list[str]] = {
    "DO-THI-VE-SINH": [
        "Rác thải sinh hoạt tồn đọng nhiều ngày tại {a}, bốc mùi hôi thối ảnh hưởng người dân.",
        "Xe thu gom rác không đến lấy rác đã gần một tuần ở {a}.",
        "Người dân đổ rác thải bừa bãi ra lề đường {s}, ruồi nhặng nhiều.",
        "Cống rãnh đường {s} bốc mùi, nước đen chảy tràn ra đường.",
    ],
    "GIAO-THONG-HT": [
        "Đèn đường hỏng trên đường {s}, buổi tối tối om, dễ xảy ra tai nạn.",
        "Mặt đường {s} xuống cấp, nhiều ổ gà lớn, xe máy qua lại rất nguy hiểm.",
        "Đèn tín hiệu giao thông ngã tư {s} bị hỏng từ hôm qua.",
        "Cống thoát nước bị nghẹt, đường {s} ngập sâu sau mỗi cơn mưa.",
    ],
    "DIEN": [
        "Mất điện kéo dài từ sáng tại {a}, chưa thấy điện lực thông báo.",
        "Đèn đường hỏng nhiều bóng ở {a}, đề nghị điện lực sửa chữa.",
        "Dây điện võng thấp, chạm cây xanh trước nhà ở {a}, rất nguy hiểm.",
        "Trụ điện nghiêng sau cơn giông trên đường {s}.",
    ],
    "TN-MT": [
        "Khói lò gạch gây ô nhiễm không khí ở {a}, trẻ em trong xóm bị ho.",
        "Cơ sở sản xuất xả nước thải chưa qua xử lý ra kênh gần {a}, cá chết hàng loạt.",
        "Tiếng ồn từ xưởng cưa gỗ trên đường {s} ảnh hưởng sinh hoạt người dân.",
        "Khai thác cát trái phép trên sông gần {a} vào ban đêm.",
    ],
    "NUOC": [
        "Nước sinh hoạt có màu vàng đục, mùi lạ tại {a}.",
        "Mất nước ba ngày liền ở {a}, người dân phải mua nước bình.",
        "Đường ống nước bị vỡ trên đường {s}, nước chảy lênh láng.",
    ],
    "AN-NINH-TTATGT": [
        "Nhóm thanh niên đua xe trái phép trên đường {s} vào ban đêm.",
        "Xe tải chở quá tải chạy qua đường {s} làm hư hỏng mặt đường.",
        "Tụ tập gây mất trật tự, đánh nhau tại {a}.",
        "Lấn chiếm lòng đường để bán hàng trên đường {s}, gây ùn tắc giao thông.",
    ],
    "XAY-DUNG": [
        "Công trình xây dựng lấn chiếm vỉa hè ở {a}, vật liệu để bừa bãi dưới lòng đường.",
        "Xây dựng nhà không phép tại {a}.",
        "Công trình thi công gây nứt tường nhà bên cạnh ở {a}.",
    ],
    "DAT-DAI": [
        "Tranh chấp ranh giới đất với hộ bên cạnh tại {a}, đề nghị địa phương đo đạc lại.",
        "Lấn chiếm đất công làm nơi buôn bán trên đường {s}.",
        "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất ở {a} trễ hẹn nhiều tháng.",
    ],
    "Y-TE": [
        "Muỗi nhiều, đề nghị phun thuốc phòng sốt xuất huyết tại {a}.",
        "Cơ sở bán thuốc không rõ nguồn gốc trên đường {s}.",
        "Trạm y tế gần {a} thường xuyên đóng cửa giờ hành chính.",
    ],
    "GIAO-DUC": [
        "Trường tiểu học gần {a} thu các khoản phí ngoài quy định.",
        "Phòng học xuống cấp, mái tôn dột khi trời mưa ở trường trên đường {s}.",
    ],
    "NONG-NGHIEP": [
        "Dịch bệnh trên đàn heo ở {a}, đề nghị thú y kiểm tra.",
        "Thiếu nước tưới cho lúa vụ đông xuân tại {a}.",
        "Sạt lở bờ bao ven kênh gần {a}, ruộng lúa bị ngập.",
    ],
    "CONG-THUONG": [
        "Cửa hàng trên đường {s} bán hàng giả, hàng kém chất lượng.",
        "Cây xăng tại {a} bán thiếu số lượng.",
        "Chợ tạm trên đường {s} tăng giá bất hợp lý dịp lễ.",
    ],
    "VH-TT-DL": [
        "Quán karaoke tại {a} hát to sau 23 giờ đêm, người dân không ngủ được.",
        "Loa kẹo kéo mở lớn ở khu dân cư trên đường {s} suốt buổi tối.",
    ],
    "TT-TT": [
        "Nhận nhiều tin nhắn rác và cuộc gọi lừa đảo mạo danh cơ quan công an.",
        "Sóng điện thoại rất yếu khu vực {a}.",
        "Cáp viễn thông treo thấp, lộn xộn trên đường {s}.",
    ],
    "HANH-CHINH-CONG": [
        "Hồ sơ đăng ký hộ kinh doanh nộp tại bộ phận một cửa {a} quá hạn trả kết quả.",
        "Cán bộ tiếp dân tại {a} thái độ chưa đúng mực.",
    ],
    "KHAC": [
        "Đề nghị hướng dẫn thủ tục xin trợ cấp cho người cao tuổi tại {a}.",
        "Cây xanh nghiêng đổ sau cơn giông, đè lên hàng rào nhà dân ở {a}.",
        "Chó thả rông cắn người trên đường {s}.",
    ],
}
GENERIC = ["Người dân phản ánh sự việc tại {a}, đề nghị cơ quan chức năng kiểm tra."]

CLOSINGS = [
    "Kính đề nghị cơ quan chức năng kiểm tra, xử lý sớm.",
    "Người dân đã phản ánh nhiều lần nhưng chưa được khắc phục.",
    "Mong được giải quyết sớm để bà con yên tâm sinh hoạt.",
    "Đề nghị có biện pháp xử lý dứt điểm.",
    "Xin cảm ơn tổng đài 1022.",
]

ANSWERS = [
    "Đơn vị đã cử cán bộ kiểm tra hiện trường và khắc phục xong.",
    "Đã phối hợp với chính quyền địa phương xử lý, tình trạng đã được giải quyết.",
    "Đơn vị đã tiếp nhận, kiểm tra và xử lý vi phạm theo quy định.",
    "Sự việc đã được khắc phục, đề nghị người dân tiếp tục phản ánh nếu tái diễn.",
    "Đơn vị đã giải thích và hướng dẫn người dân thực hiện theo quy định hiện hành.",
]

# A few answers (RARE_ANSWER_SHARE of the answered tickets) name another body: a rare term for the
# published answers' search ("tư pháp"), found in under 1,000 published answers even at 1M tickets.
RARE_ANSWER = "Nội dung thuộc thẩm quyền của ngành tư pháp, đơn vị đã chuyển hồ sơ và hướng dẫn người dân liên hệ."
RARE_ANSWER_SHARE = 0.002

REJECT_REASONS = [
    "Nội dung không thuộc phạm vi tiếp nhận của Tổng đài 1022.",
    "Thông tin phản ánh không đủ để xác minh (không có địa chỉ cụ thể).",
    "Vụ việc đang được tòa án thụ lý giải quyết.",
]

INFO_NOTES = [
    "Đề nghị công dân cung cấp địa chỉ cụ thể và hình ảnh hiện trường.",
    "Cần số nhà hoặc vị trí gần nhất để cán bộ đến kiểm tra.",
]

ACK_COMMENTS = [
    "Đã nhắc nhở đơn vị, yêu cầu báo cáo nguyên nhân trễ hạn.",
    "Trễ hạn do phải phối hợp nhiều đơn vị, đã ghi nhận.",
    "Đơn vị đã giải trình, chấp nhận.",
]

EXTENSION_REASONS = [
    "Cần thêm thời gian phối hợp với các đơn vị liên quan để kiểm tra hiện trường.",
    "Chờ kết quả đo đạc của văn phòng đăng ký đất đai.",
]

AUTO_CLOSE_NOTE = "tự động đóng sau thời hạn phản hồi / auto-closed"  # as callcentre/sla/sweep.py writes it

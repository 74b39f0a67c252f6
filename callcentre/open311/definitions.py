"""Service definitions: the extra fields some categories ask of a reporter.

Data, not code: a category listed here gets ``metadata=true`` and these
attributes in ``services/{code}``; every other category has none. The views
and the POST validation are generic over this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Bump when this table changes: discovery's changeset tells clients to refresh their cache.
CHANGESET = "2026-11-23T00:00:00+07:00"

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description_vi: str
    description_en: str
    order: int
    # (key, name_vi, name_en) for the list datatypes.
    values: tuple[tuple[str, str, str], ...] = ()
    # False: informational text shown to the reporter, no answer expected.
    variable: bool = True

    def describe(self, lang: str) -> dict[str, Any]:
        """The spec's attribute object."""
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": None,
            "order": self.order,
            "description": self.description_en if lang == "en" else self.description_vi,
            "values": [{"key": key, "name": en if lang == "en" else vi} for key, vi, en in self.values],
        }

    def label(self, key: str) -> str:
        """The Vietnamese name of a list key (what staff read on the ticket)."""
        return next((vi for k, vi, _ in self.values if k == key), key)


DEFINITIONS: dict[str, tuple[Attribute, ...]] = {
    # Electricity: the power company routes faults by kind and finds the meter by customer code.
    "DIEN": (
        Attribute(
            "loai_su_co", "singlevaluelist", True, "Loại sự cố", "Kind of fault", 1,
            values=(
                ("mat_dien", "Mất điện", "Power outage"),
                ("day_dien", "Dây điện đứt, võng", "Fallen or sagging wire"),
                ("cot_dien", "Cột điện nghiêng, gãy", "Leaning or broken pole"),
                ("den_duong", "Đèn đường hỏng", "Street light out"),
            ),
        ),
        Attribute("ma_khach_hang", "string", False, "Mã khách hàng (trên hóa đơn tiền điện)",
                  "Customer code (on the electricity bill)", 2),
        Attribute("so_ho_anh_huong", "number", False, "Số hộ bị ảnh hưởng", "Households affected", 3),
    ),
}


def attributes_of(service_code: str) -> tuple[Attribute, ...]:
    return DEFINITIONS.get(service_code, ())


def validate_answers(service_code: str, answers: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Check ``attribute[...]`` answers; return (lines for the ticket, problems).

    Unknown attribute codes are ignored: some clients always send their own.
    """
    lines: list[str] = []
    problems: list[str] = []
    for attr in sorted(attributes_of(service_code), key=lambda a: a.order):
        if not attr.variable:
            continue
        given = [v.strip() for v in answers.get(attr.code, []) if v.strip()]
        if not given:
            if attr.required:
                problems.append(f"attribute[{attr.code}] is required ({attr.description_en})")
            continue
        problem = _check(attr, given)
        if problem:
            problems.append(f"attribute[{attr.code}] {problem}")
            continue
        shown = ", ".join(attr.label(v) for v in given) if attr.values else given[0]
        lines.append(f"{attr.description_vi}: {shown}")
    return lines, problems


def _check(attr: Attribute, given: list[str]) -> str | None:
    keys = {k for k, _, _ in attr.values}
    if attr.datatype == "multivaluelist":
        bad = [v for v in given if v not in keys]
        return f"has unknown values {bad}; allowed: {sorted(keys)}" if bad else None
    if len(given) > 1:
        return "takes one value"
    value = given[0]
    if attr.datatype == "singlevaluelist" and value not in keys:
        return f"must be one of {sorted(keys)}"
    if attr.datatype == "number":
        try:
            float(value)
        except ValueError:
            return "must be a number"
    if attr.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "must be an ISO 8601 date/time"
    if len(value) > 500:
        return "is longer than 500 characters"
    return None

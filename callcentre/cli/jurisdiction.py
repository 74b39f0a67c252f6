"""``jurisdiction apply [--dry-run] [--map FILE]``: the communes' People's Committees follow the map.

The administrative units come from ``vietnam-provinces`` (formats/geo.py); after the map changes
(a package upgrade with merged or renamed communes) this brings the ``UBND-<commune code>``
departments in line: new communes get one, renamed ones are renamed, those gone are deactivated
(never deleted: tickets point at them). A merge map (old code -> new code) moves the departments'
``commune_codes`` and the routing rules to the code that replaced them. Tickets keep the
commune and address they were filed with: nothing here writes to them. docs/jurisdiction.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats import geo
from callcentre.models import Category, Department, RoutingRule, User
from callcentre.services import audit

PREFIX = "UBND-"
# Unit type as vietnam-provinces spells it -> (in the Vietnamese department name, in the English one).
UNIT_TYPES = (("Phường ", "phường", "Ward"), ("Xã ", "xã", "Commune"),
              ("Đặc khu ", "đặc khu", "Special Zone"), ("Thị trấn ", "thị trấn", "Township"))
MAP_MAX_BYTES, MAP_MAX_ENTRIES, CODE_MAX = 1_000_000, 10_000, 10


@dataclass(frozen=True)
class CommuneDepartment:
    code: str
    name_vi: str
    name_en: str
    commune_code: str


def commune_department(commune_code: str, unit_name: str) -> CommuneDepartment:
    """The People's Committee of one unit: "Phường Mỹ Tho" -> "UBND phường Mỹ Tho"."""
    for prefix, vi, en in UNIT_TYPES:
        if unit_name.startswith(prefix):
            base = unit_name[len(prefix):]
            return CommuneDepartment(f"{PREFIX}{commune_code}", f"UBND {vi} {base}",
                                     f"{base} {en} People's Committee", commune_code)
    return CommuneDepartment(f"{PREFIX}{commune_code}", f"UBND {unit_name}",
                             f"{unit_name} People's Committee", commune_code)


def commune_departments(units: Mapping[str, str] | None = None) -> list[CommuneDepartment]:
    """One People's Committee per commune/ward of the jurisdiction, in the data's order."""
    units = geo.communes() if units is None else units
    return [commune_department(code, name) for code, name in units.items()]


class MapError(Exception):
    """A merge map that cannot be used; the message (Vietnamese) lists every problem."""


def _code(raw: object) -> str | None:
    """A unit code as formats/geo.py keys it (digits, leading zeros dropped), or None."""
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not text or len(text) > CODE_MAX or not text.isascii() or not text.isdigit():
        return None
    return str(int(text))


def _pairs(text: str, is_json: bool) -> list[tuple[str, object, object]]:
    """(where, old, new) as written in the file."""
    if is_json:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MapError(f"tệp bản đồ không phải JSON hợp lệ: {exc}") from exc
        if isinstance(data, dict):
            return [(f"khóa {k!r}", k, v) for k, v in data.items()]
        if isinstance(data, list):
            return [(f"mục {i}", item.get("old_code"), item.get("new_code")) if isinstance(item, dict)
                    else (f"mục {i}", None, None) for i, item in enumerate(data, 1)]
        raise MapError("tệp bản đồ JSON phải là một đối tượng {mã cũ: mã mới} hoặc một danh sách")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "old_code" not in header or "new_code" not in header:
        raise MapError("tệp bản đồ CSV phải có dòng tiêu đề với hai cột old_code,new_code")
    reader.fieldnames = header
    return [(f"dòng {reader.line_num}", row.get("old_code"), row.get("new_code"))
            for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))]


def read_merge_map(path: Path, units: Mapping[str, str]) -> dict[str, str]:
    """Old code -> new code from a CSV (``old_code,new_code``) or JSON file, checked against ``units``."""
    try:
        raw = path.read_bytes()[:MAP_MAX_BYTES + 1]
    except OSError as exc:
        raise MapError(f"không đọc được tệp bản đồ {path}: {exc.strerror}") from exc
    if len(raw) > MAP_MAX_BYTES:
        raise MapError(f"tệp bản đồ lớn hơn {MAP_MAX_BYTES} byte")
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise MapError("tệp bản đồ phải mã hóa UTF-8") from exc
    is_json = path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "[")
    pairs = _pairs(text, is_json)
    if len(pairs) > MAP_MAX_ENTRIES:
        raise MapError(f"tệp bản đồ có hơn {MAP_MAX_ENTRIES} mục")
    merge: dict[str, str] = {}
    problems: list[str] = []
    for where, raw_old, raw_new in pairs:
        old, new = _code(raw_old), _code(raw_new)
        if old is None or new is None:
            problems.append(f"{where}: mã xã/phường phải là 1 đến {CODE_MAX} chữ số")
        elif old == new:
            problems.append(f"{where}: mã cũ và mã mới trùng nhau ({old})")
        elif old in merge:
            problems.append(f"{where}: mã cũ {old} có hai lần")
        elif old in units:
            problems.append(f"{where}: mã cũ {old} vẫn còn trong dữ liệu ({units[old]}), không thể gộp")
        elif new not in units:
            problems.append(f"{where}: mã mới {new} không có trong dữ liệu")
        else:
            merge[old] = new
    if problems:
        raise MapError("tệp bản đồ không hợp lệ:\n  " + "\n  ".join(problems))
    return merge


@dataclass
class Summary:
    """What one run changed (or, with --dry-run, would change)."""

    units: int = 0
    created: list[str] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    moved_communes: list[dict[str, str]] = field(default_factory=list)
    moved_rules: list[dict[str, Any]] = field(default_factory=list)
    deactivated_rules: list[dict[str, Any]] = field(default_factory=list)
    repointed_categories: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.created, self.renamed, self.deactivated, self.reactivated, self.moved_communes,
                    self.moved_rules, self.deactivated_rules, self.repointed_categories))

    def details(self, merge: Mapping[str, str]) -> dict[str, Any]:
        return {"units": self.units, "map": dict(merge), "created": self.created, "renamed": self.renamed,
                "deactivated": self.deactivated, "reactivated": self.reactivated,
                "moved_commune_codes": self.moved_communes, "moved_rules": self.moved_rules,
                "deactivated_rules": self.deactivated_rules, "repointed_categories": self.repointed_categories}


def apply_map(units: Mapping[str, str], merge: Mapping[str, str]) -> Summary:
    """Bring the commune departments in line with ``units`` in the session; flushes, never commits.

    Refuses (MapError, nothing to keep) when a commune that is gone, with no merge entry naming its
    successor, is still a category's default department: as the admin screen refuses to
    deactivate one (services/org_admin.py).
    """
    summary = Summary(units=len(units))
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for want in commune_departments(units):
        dept = departments.get(want.code)
        if dept is None:
            dept = Department(code=want.code, name_vi=want.name_vi, name_en=want.name_en, level="commune",
                              commune_code=want.commune_code, commune_codes=[want.commune_code], active=True)
            db.session.add(dept)
            departments[want.code] = dept
            summary.created.append(want.code)
            continue
        if (dept.name_vi, dept.name_en, dept.level, dept.commune_code) != \
                (want.name_vi, want.name_en, "commune", want.commune_code):
            summary.renamed.append({"code": want.code, "before": dept.name_vi, "after": want.name_vi})
            dept.name_vi, dept.name_en, dept.level, dept.commune_code = \
                want.name_vi, want.name_en, "commune", want.commune_code
        if not dept.active:
            dept.active = True
            summary.reactivated.append(want.code)
    # Only the departments this command manages (code UBND-<their commune>); an admin's own are left alone.
    gone = {d.code: d for d in departments.values()
            if d.commune_code and d.code == f"{PREFIX}{d.commune_code}" and d.commune_code not in units}
    successor = {code: departments[f"{PREFIX}{merge[d.commune_code]}"] for code, d in gone.items()
                 if d.commune_code and d.commune_code in merge}
    db.session.flush()
    _repoint_categories(gone, successor, summary)
    for code, dept in sorted(gone.items()):
        if dept.active:
            dept.active = False
            summary.deactivated.append(code)
    _move_commune_codes(departments.values(), gone, merge, summary)
    _move_rules(gone, successor, merge, summary)
    _warn_about_staff(gone, summary)
    db.session.flush()
    return summary


def _repoint_categories(gone: Mapping[str, Department], successor: Mapping[str, Department],
                        summary: Summary) -> None:
    stuck: list[str] = []
    for category in db.session.scalars(select(Category).order_by(Category.code)):
        old = category.default_department
        if old.code not in gone:
            continue
        if old.code in successor:
            category.default_department = successor[old.code]
            summary.repointed_categories.append({"category": category.code, "before": old.code,
                                                 "after": successor[old.code].code})
        elif category.active:
            stuck.append(f"{category.code} ({old.code})")
    if stuck:
        raise MapError("xã/phường không còn trong dữ liệu nhưng UBND của nó là đơn vị mặc định của lĩnh vực: "
                       + ", ".join(stuck) + ". Đổi đơn vị mặc định của các lĩnh vực này, hoặc cho biết mã mới "
                       "trong tệp bản đồ (--map).")


def _move_commune_codes(departments: Any, gone: Mapping[str, Department], merge: Mapping[str, str],
                        summary: Summary) -> None:
    """Each merged-away code leaves every list; a department still in service answers for its successor."""
    for dept in sorted(departments, key=lambda d: d.code):
        codes = list(dept.commune_codes or [])
        if not any(c in merge for c in codes):
            continue
        moved = [c for c in codes if c not in merge]
        for old in (c for c in codes if c in merge):
            if dept.code not in gone and merge[old] not in moved:
                moved.append(merge[old])
            summary.moved_communes.append({"department": dept.code, "old": old,
                                           "new": merge[old] if dept.code not in gone else ""})
        dept.commune_codes = moved  # a new list: the JSON column sees the change


def _move_rules(gone: Mapping[str, Department], successor: Mapping[str, Department], merge: Mapping[str, str],
                summary: Summary) -> None:
    """A rule on a merged-away code moves to its successor (unless that has its own, which wins);
    a rule that sent work to a committee gone sends it to that committee's successor."""
    rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.id)))
    taken = {(r.category_id, r.commune_code) for r in rules}
    for rule in rules:
        moved: dict[str, Any] = {}
        if rule.department.code in successor:
            moved["department"] = [rule.department.code, successor[rule.department.code].code]
            rule.department = successor[rule.department.code]
        elif rule.department.code in gone and rule.active:
            summary.warnings.append(f"quy tắc định tuyến {rule.id} ({rule.category.code}, {rule.commune_code}) "
                                    f"chỉ đến {rule.department.code}, đơn vị đã ngừng hoạt động")
        new = merge.get(rule.commune_code)
        if new is not None and (rule.category_id, new) in taken:
            if rule.active:  # the successor already has its own rule for this category: that one wins
                rule.active = False
                summary.deactivated_rules.append({"rule": rule.id, "category": rule.category.code,
                                                  "commune": rule.commune_code, "kept_for": new})
        elif new is not None:
            taken.discard((rule.category_id, rule.commune_code))
            taken.add((rule.category_id, new))
            moved["commune"] = [rule.commune_code, new]
            rule.commune_code = new
        if moved:
            summary.moved_rules.append({"rule": rule.id, "category": rule.category.code, **moved})


def _warn_about_staff(gone: Mapping[str, Department], summary: Summary) -> None:
    if not gone:
        return
    ids = [d.id for d in gone.values()]
    for username, code in db.session.execute(
            select(User.username, Department.code).join(Department, User.department_id == Department.id)
            .where(User.department_id.in_(ids), User.active.is_(True)).order_by(User.username)):
        summary.warnings.append(f"tài khoản {username} thuộc {code}, đơn vị đã ngừng hoạt động")


def _rule_line(moved: Mapping[str, Any]) -> str:
    parts = [f"{key_vi} {moved[key][0]} → {moved[key][1]}" for key, key_vi in (("commune", "xã/phường"),
                                                                              ("department", "đơn vị")) if key in moved]
    return f"{moved['rule']} ({moved['category']}): " + ", ".join(parts)


def _lines(summary: Summary, merge: Mapping[str, str]) -> list[str]:
    out = [f"Dữ liệu hành chính: tỉnh {geo.province_name()}, {summary.units} xã/phường/đặc khu."]
    if merge:
        out.append(f"Bản đồ gộp: {len(merge)} mã cũ → mã mới.")
    rows = [("Thêm UBND mới", summary.created), ("Đổi tên", [f"{r['code']}: {r['before']} → {r['after']}"
                                                             for r in summary.renamed]),
            ("Ngừng hoạt động", summary.deactivated), ("Hoạt động lại", summary.reactivated),
            ("Chuyển mã xã/phường phụ trách", [f"{m['department']}: {m['old']} → {m['new']}" if m["new"]
                                               else f"{m['department']}: bỏ {m['old']}"
                                               for m in summary.moved_communes]),
            ("Chuyển quy tắc định tuyến", [_rule_line(r) for r in summary.moved_rules]),
            ("Tắt quy tắc định tuyến trùng", [f"{r['rule']}: {r['category']} tại {r['commune']}, "
                                              f"đã có quy tắc tại {r['kept_for']}" for r in summary.deactivated_rules]),
            ("Đổi đơn vị mặc định của lĩnh vực", [f"{c['category']}: {c['before']} → {c['after']}"
                                                  for c in summary.repointed_categories])]
    for label, items in rows:
        out.append(f"{label}: {len(items)}" + (f" ({'; '.join(items[:20])}{'; …' if len(items) > 20 else ''})"
                                               if items else ""))
    out.extend(f"Lưu ý: {w}" for w in summary.warnings)
    out.append("Phiếu phản ánh không thay đổi: giữ nguyên mã xã/phường và địa chỉ đã ghi nhận.")
    return out


@click.group()
def jurisdiction() -> None:
    """The jurisdiction's administrative map (communes and their People's Committees)."""


@jurisdiction.command("apply")
@click.option("--dry-run", is_flag=True, help="show what would change, write nothing")
@click.option("--map", "map_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="merge map: CSV with columns old_code,new_code, or JSON {old: new} (docs/jurisdiction.md)")
@with_appcontext
def apply_command(dry_run: bool, map_file: Path | None) -> None:
    """Bring the communes' People's Committee departments in line with the administrative data."""
    units = geo.communes()
    try:
        merge = read_merge_map(map_file, units) if map_file else {}
        summary = apply_map(units, merge)
    except MapError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except Exception:
        db.session.rollback()
        raise
    for line in _lines(summary, merge):
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo("Chạy thử (--dry-run): chưa ghi thay đổi nào.")
        return
    if not summary.changed:
        db.session.rollback()
        click.echo("Không có gì thay đổi: các đơn vị đã khớp với dữ liệu.")
        return
    audit.record("jurisdiction_apply", actor=None, label="cli", target_type="jurisdiction",
                 target_id=geo.DEFAULT_PROVINCE_CODE, details=summary.details(merge))
    db.session.commit()
    click.echo("Đã áp dụng.")

"""Write callcentre/formats/legacy_communes.json: the pre-2025 wards and communes of the former
Đồng Tháp and Tiền Giang provinces, each with the ward/commune of the merged Đồng Tháp it became.

The data is the old -> new mapping of `vietnam-address-converter` (Apache-2.0, mapping version
10_25), taken once and shipped, so the app needs neither the package (alpha, ~90 MB in memory,
seconds to load) nor the network. Re-run after the package's mapping changes:

    python -m venv /tmp/vac && /tmp/vac/bin/pip install vietnam-address-converter==1.0.5
    /tmp/vac/bin/python scripts/build_legacy_communes.py
"""

from __future__ import annotations

import json
from pathlib import Path

from vietnam_address_converter import data  # type: ignore[import-not-found]

OLD_PROVINCES = ("Tỉnh Đồng Tháp", "Tỉnh Tiền Giang")
OUT = Path(__file__).resolve().parent.parent / "callcentre" / "formats" / "legacy_communes.json"


def main() -> None:
    rows = sorted({(r["old"]["province_name"], r["old"]["district_name"], r["old"]["ward_name"], r["new"]["ward_name"])
                   for r in data.mapping["rows"] if r["old"]["province_name"] in OLD_PROVINCES})
    doc = {"source": "vietnam-address-converter 1.0.5, mapping " + data.mapping["meta"]["version"] + " (Apache-2.0)",
           "columns": ["old_province", "old_district", "old_ward", "new_ward"], "rows": rows}
    lines = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
    head = json.dumps({k: v for k, v in doc.items() if k != "rows"}, ensure_ascii=False)[:-1]
    OUT.write_text(f'{head}, "rows": [\n{lines}\n]}}\n', encoding="utf-8")  # a row per line: readable diffs
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()

"""Offset pagination: one page of rows and its total, counted up to ``COUNT_CAP`` rows.

A ``count(*)`` over every matching row costs more than the page it counts (1M tickets: 252 ms
for the count, 2 ms for the page), so the count stops at ``COUNT_CAP`` rows (a ``LIMIT``
subquery; for a text search at ``SEARCH_COUNT_CAP``): past it the total is a lower bound,
``Total.is_estimate`` is true, the API's envelope says ``"total_is_estimate": true`` and the
pages show "more than 10,000" (or 1,000).

The page itself is read in two steps (a "deferred join"): the primary keys of the page first,
``ORDER BY … LIMIT … OFFSET`` over the filtered table alone, which an index walks without
reading the skipped rows' other columns or joining anything to them; then those rows with the
statement's loader options (joined and selectin loads for one page, not for the skipped rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, inspect, select
from sqlalchemy.orm import QueryableAttribute

from callcentre.core.extensions import db
from callcentre.formats.limits import MAX_PAGE, MAX_PER_PAGE

COUNT_CAP = 10_000
# A text search counts its matches up to this many: a common word ("đèn đường", ~100k of 1M
# tickets) takes 150 ms to count to 10,000 through the trigram index and 40 ms to 1,000; nobody
# pages past a thousand search results.
SEARCH_COUNT_CAP = 1_000


def count_cap(query: dict[str, Any]) -> int:
    """The count cap of a ticket list with these filters (``TicketQuery``)."""
    return SEARCH_COUNT_CAP if query.get("q") else COUNT_CAP


@dataclass(frozen=True)
class Total:
    """How many rows a list has: exact, or (``is_estimate``) at least ``count``."""

    count: int
    is_estimate: bool = False


def capped_count(stmt: Select, cap: int | None = None) -> Total:
    """The rows of ``stmt``, counted up to ``cap`` (default ``COUNT_CAP``; more: ``Total(cap, True)``)."""
    cap = COUNT_CAP if cap is None else cap
    key = _key(stmt)
    inner = (stmt.with_only_columns(key) if key is not None else stmt).order_by(None).limit(cap + 1)
    n = db.session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    return Total(cap, True) if n > cap else Total(n)


def page_total(counted: Total, offset: int, shown: int) -> Total:
    """``counted`` knowing that the page at ``offset`` showed ``shown`` rows (so at least that many)."""
    if counted.is_estimate and shown:  # an empty page past the end proves nothing
        return Total(max(counted.count, offset + shown), True)
    return counted


def paginate(stmt: Select, page: int, per_page: int, cap: int | None = None) -> tuple[list[Any], Total]:
    """One page of the mapped rows ``stmt`` selects, in its order, and the total. Callers bound
    ``page`` (schemas, ``page_args``); past ``MAX_PAGE`` the page is empty here too, so no caller
    can ask the database for an offset it cannot hold. ``cap``: as ``capped_count``."""
    counted = capped_count(stmt, cap)
    if not (1 <= page <= MAX_PAGE and 1 <= per_page <= MAX_PER_PAGE):
        return [], counted
    offset = (page - 1) * per_page
    key = _key(stmt)
    if key is None:  # not one mapped entity: one statement
        rows = list(db.session.scalars(stmt.limit(per_page).offset(offset)).unique().all())
        return rows, page_total(counted, offset, len(rows))
    ids = list(db.session.scalars(stmt.with_only_columns(key).limit(per_page).offset(offset)))
    return load_in_order(stmt, key, ids), page_total(counted, offset, len(ids))


def load_in_order(stmt: Select, key: ColumnElement[Any] | QueryableAttribute[Any], ids: Sequence[Any]) -> list[Any]:
    """The rows of ``stmt`` (with its loader options) whose ``key`` is in ``ids``, in that order."""
    if not ids:
        return []
    rows = db.session.scalars(stmt.order_by(None).where(key.in_(ids))).unique().all()
    by_key = {inspect(row).identity[0]: row for row in rows}
    return [by_key[i] for i in ids if i in by_key]


def _key(stmt: Select) -> Any:
    """The primary key column of the one mapped class ``stmt`` selects, else None."""
    described = stmt.column_descriptions
    entity = described[0].get("entity") if len(described) == 1 else None
    if entity is None or described[0].get("expr") is not entity:
        return None
    primary = inspect(entity).primary_key
    return primary[0] if len(primary) == 1 else None


def envelope(items: Sequence[Any], page: int, per_page: int, total: Total | int) -> dict[str, Any]:
    counted = total if isinstance(total, Total) else Total(total)
    return {"items": items, "page": page, "per_page": per_page, "total": counted.count,
            "total_is_estimate": counted.is_estimate}

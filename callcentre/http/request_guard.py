"""Refuse input no view can handle, before any view runs: one place for every route.

- Path parameters: ``<int:...>`` matches 1..2**31-1 only and ``<string:...>`` at most 100
  characters without NUL, so a larger id or a NUL in a path is a 404 (it names nothing), never
  a PostgreSQL ``integer out of range``.
- Query strings and form fields with a NUL byte (PostgreSQL's ``text`` cannot hold one): 422 on
  the API (``{"errors": {"query": {name: [reason]}}}``), 400 elsewhere (Open311, pages). The
  forms that show their own errors beside the field (``checks_own_text``) and Open311 (its
  ``params.check_storable_values``, in the spec's format) read their fields themselves.
- Bodies that are not forms (JSON): at most ``MAX_JSON_BYTES`` (413), nested at most
  ``MAX_JSON_DEPTH`` deep and free of lone surrogates (400) — checked once here, before
  webargs, the Zalo MAC check or anything else parses them (a deep one overflows the stack).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, UnprocessableEntity
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from callcentre.formats.limits import (
    MAX_ID,
    MAX_JSON_DEPTH,
    NUL,
    PROBLEM_TEXT,
    SURROGATE,
    has_surrogate,
    text_problem,
)

MAX_JSON_BYTES = 1024 * 1024  # a ticket is a few kB; Open311's photos come as multipart, not JSON
MAX_PATH_SEGMENT = 100
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Read their own form fields: Open311 (after its own body limit) and the pages marked ``checks_own_text``.
SELF_CHECKED_BLUEPRINTS = frozenset({"open311"})
PAGE_BLUEPRINTS = ("web_", "public_pages")  # the server-rendered UI
F = TypeVar("F", bound=Callable[..., Any])


def digits_up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..``limit`` (no leading zero)."""
    text = str(limit)
    parts = [rf"[1-9]\d{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):  # same first i digits, a smaller digit at i, anything after
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            parts.append(rf"{text[:i]}[{low}-{int(digit) - 1}]\d{{{len(text) - i - 1}}}")
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>``: a row id, 1..2**31-1. The pattern itself excludes other numbers, so such a
    path matches no route for any method: 404, never a 405 from a sibling route's method."""

    regex = digits_up_to(MAX_ID)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,  # noqa: A002 - werkzeug's names
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedStringConverter(UnicodeConverter):
    """``<string:...>`` and ``<name>``: 1..100 characters, no ``/`` and no NUL."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int | None = MAX_PATH_SEGMENT,
                 length: int | None = None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


def checks_own_text(view: F) -> F:
    """Mark a page whose form shows a NUL or an overlong text beside its field (422)."""
    view._checks_own_text = True  # type: ignore[attr-defined]  # read by _guard
    return view


def install_converters(app: Flask) -> None:
    """Before any route is added: the bounded converters replace Werkzeug's ``int`` and ``string``."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["string"] = app.url_map.converters["default"] = BoundedStringConverter


def init_app(app: Flask) -> None:
    app.before_request(_guard)


def _guard() -> None:
    _check_fields("query", request.args.items(multi=True))
    view = current_app.view_functions.get(request.endpoint or "")
    if (request.mimetype in FORM_TYPES and request.blueprint not in SELF_CHECKED_BLUEPRINTS
            and not getattr(view, "_checks_own_text", False)):
        _check_fields("form", request.form.items(multi=True))
    if request.mimetype not in FORM_TYPES and _has_body():
        _check_json_body()


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _refuse(location: str, name: str, reason: str, status: int | None = None) -> HTTPException:
    """A field's value: 422 in the API's shape on ``/api/``, 400 for Open311, webhooks and pages.
    A body that is not usable JSON at all: 400 everywhere."""
    if status is None:
        status = 422 if request.path.startswith("/api/") else 400
    exc: HTTPException = UnprocessableEntity() if status == 422 else BadRequest()
    exc.description = f"request body: {reason}" if location == "json" else f"{location} parameter '{name}': {reason}"
    if (request.blueprint or "").startswith(PAGE_BLUEPRINTS):  # a person reads it: the page's language
        from flask_babel import gettext

        exc.description = gettext("Yêu cầu có ký tự không hợp lệ (ở “%(name)s”); hãy kiểm tra lại địa chỉ"
                                  " hoặc nội dung đã nhập", name=name)
    exc.data = {"messages": {location: {name: [reason]}}}  # type: ignore[attr-defined]  # read by http/errors.py
    return exc


def _check_fields(location: str, items: Iterable[tuple[str, str]]) -> None:
    for name, value in items:
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            raise _refuse(location, name.replace("\x00", "\\0"), PROBLEM_TEXT[problem])


def _check_json_body() -> None:
    limit = request.max_content_length
    request.max_content_length = MAX_JSON_BYTES if limit is None else min(limit, MAX_JSON_BYTES)
    raw = request.get_data(cache=True)  # 413 past the limit
    if raw.lstrip()[:1] not in (b"{", b"["):
        return  # not JSON: the view's parser says what is wrong with it
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _refuse("json", "_schema", f"nested deeper than {MAX_JSON_DEPTH} levels", 400) from None
    except ValueError:
        return  # malformed JSON or UTF-8: the view's parser answers 400 with the position
    # The API's schemas name the field holding a NUL (422); a webhook's body is refused whole.
    problem = _json_problem(value, refuse_nul=not request.path.startswith("/api/"))
    if problem is not None:
        raise _refuse("json", "_schema", problem, 400)


def _json_problem(value: Any, refuse_nul: bool) -> str | None:
    """Too deep, or a lone surrogate in a key or a string (UTF-8 cannot encode it, not even in
    an error message that quotes it), or (``refuse_nul``) a NUL. Walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                return PROBLEM_TEXT[SURROGATE]
            if refuse_nul and "\x00" in item:
                return PROBLEM_TEXT[NUL]
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
    return None

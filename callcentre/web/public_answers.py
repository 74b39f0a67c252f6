"""/cong-khai: the published answers (no login), mobile first; services/public_answers.py decides
which tickets and what of them. A refused filter is shown beside its field (422), with no list."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField

from callcentre.core.extensions import limiter
from callcentre.http.pagination import Total
from callcentre.services.public_answers import (
    Filters,
    PublicAnswersError,
    answers_page,
    category_choices,
    commune_choices,
)
from callcentre.web.forms import text_error
from callcentre.web.helpers import html_errors, lang, page_args, pager

bp = Blueprint("web_public_answers", __name__)
html_errors(bp)

MAX_Q = 100


class AnswersFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form: nothing to forge

    category = SelectField(_l("Lĩnh vực"), validate_choice=False)
    commune = SelectField(_l("Xã, phường"), validate_choice=False)
    q = SearchField(_l("Tìm trong nội dung trả lời"), render_kw={"maxlength": MAX_Q})


@bp.route("/cong-khai")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def answers():
    """The published answers, newest first, with the filters and a pager."""
    form = AnswersFilterForm(request.args)
    name = "name_en" if lang() == "en" else "name_vi"
    form.category.choices = [("", _l("Tất cả lĩnh vực"))] + [(c.code, getattr(c, name) or c.name_vi)
                                                              for c in category_choices()]
    form.commune.choices = [("", _l("Tất cả xã, phường"))] + commune_choices()
    page, per_page = page_args(20)
    rows: list[dict[str, object]] = []
    total, status = Total(0), 200
    values = {f: (request.args.get(f) or "").strip() or None for f in ("category", "commune", "q")}
    problems = {f: text_error(v, MAX_Q if f == "q" else 40) for f, v in values.items() if v is not None}
    for field, message in problems.items():
        if message is not None:
            getattr(form, field).errors = [message]
            status = 422
    if status == 200:
        try:
            rows, total = answers_page(Filters(**values), page, per_page)
        except PublicAnswersError as exc:
            getattr(form, exc.field).errors = [exc.text(lang())]
            status = 422
    return render_template("web/public_answers.html", form=form, rows=rows, p=pager(page, per_page, total),
                           searched=any(values.values())), status


# Read by the route audit (tests/api/test_platform.py): published answers need no login.
answers._roles = frozenset({"public"})  # type: ignore[attr-defined]  # a mark on a function

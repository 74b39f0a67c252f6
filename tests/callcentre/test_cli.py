"""The CLI contract: seed, users create, users token, worker."""

from __future__ import annotations

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import ApiToken, Category, Department, User, hash_token


def test_seed_is_idempotent(app, count) -> None:
    runner = app.test_cli_runner()
    before = (count(Department), count(Category), count(User))
    for _ in range(2):
        result = runner.invoke(args=["seed", "--demo"])
        assert result.exit_code == 0, result.output
    assert (count(Department), count(Category), count(User)) == before
    assert count(Department) >= 12 and count(Category) >= 10
    with app.app_context():
        for category in db.session.scalars(sa.select(Category)):
            assert category.default_department is not None and category.name_en


def test_users_create_and_token(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "hoa.sct", "--role", "department_head",
                                 "--department", "SCT", "--password", "mật-khẩu-dài"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "hoa.sct"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("cc_")  # the token and nothing else
    with app.app_context():
        row = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
        assert row.user.username == "hoa.sct" and row.user.department.code == "SCT"
        assert token not in (row.token_hash, row.prefix)  # stored hashed
        user = row.user
        assert user.check_password("mật-khẩu-dài") and "mật-khẩu-dài" not in user.password_hash
        db.session.delete(row)
        db.session.delete(user)
        db.session.commit()
    # The new token works against the API.
    resp = app.test_client().get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401  # deleted above: a removed token stops working


def test_users_create_rejects_bad_input(app) -> None:
    runner = app.test_cli_runner()
    cases = [
        (["users", "create", "operator", "--role", "operator", "--password", "longenough"], "already exists"),
        (["users", "create", "x1", "--role", "department_officer", "--password", "longenough"], "needs --department"),
        (["users", "create", "x2", "--role", "operator", "--password", "short"], "at least 10"),
        (["users", "create", "x3", "--role", "officer", "--password", "longenough"], "Invalid value"),
        (["users", "create", "x4", "--role", "department_head", "--department", "NOPE", "--password", "longenough"],
         "no department"),
        (["users", "token", "nobody"], "no user"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)

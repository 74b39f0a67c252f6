"""The accounts CLI: tokens (list, revoke, expiry), deactivation, the password policy, ``seed --demo``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.cli import seed_data
from callcentre.core.extensions import db
from callcentre.models import ApiToken, User, utcnow
from callcentre.services.password_policy import password_problem


@pytest.fixture()
def cli_user(app: Flask) -> Iterator[str]:
    """A user made by ``users create`` and deleted afterwards (users and tokens are session tables)."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli.tmp", "--role", "operator", "--password", "một-mật-khẩu-dài"])
    assert result.exit_code == 0, result.output
    yield "cli.tmp"
    with app.app_context():
        user_id = db.session.scalars(sa.select(User.id).where(User.username == "cli.tmp")).one()
        db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user_id))
        db.session.execute(sa.delete(User).where(User.id == user_id))
        db.session.commit()


def _works(app: Flask, token: str) -> bool:
    resp = app.test_client().get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 401)
    return resp.status_code == 200


def test_tokens_are_listed_and_revoked_by_prefix_or_id(app, cli_user) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "token", cli_user]).stdout.strip()
    second = runner.invoke(args=["users", "token", cli_user]).stdout.strip()
    assert _works(app, first) and _works(app, second)

    listing = runner.invoke(args=["users", "tokens", cli_user])
    assert listing.exit_code == 0, listing.output
    header, *rows = listing.stdout.strip().split("\n")
    assert header.split("\t") == ["id", "prefix", "created", "last_used", "expires", "revoked", "state"]
    assert len(rows) == 2 and first not in listing.stdout and second not in listing.stdout
    newest = rows[0].split("\t")
    assert newest[1] == second[:10] + "…" and newest[5] == "-" and newest[6] == "active"
    assert newest[3] != "-"  # used once above
    with app.app_context():
        row = db.session.get(ApiToken, int(newest[0]))
        assert newest[4] == row.expires_at.isoformat(timespec="seconds")
        assert row.expires_at - row.created_at == timedelta(days=90)

    # By prefix (as listed, with its ellipsis), then by id.
    result = runner.invoke(args=["users", "revoke-token", newest[1]])
    assert result.exit_code == 0 and "revoked token" in result.output and cli_user in result.output
    assert not _works(app, second) and _works(app, first)
    older_id = rows[1].split("\t")[0]
    assert runner.invoke(args=["users", "revoke-token", older_id]).exit_code == 0
    assert not _works(app, first)
    listed = runner.invoke(args=["users", "tokens", cli_user]).stdout.strip().split("\n")[1:]
    states = [r.split("\t")[6] for r in listed]
    assert states == ["revoked", "revoked"]
    assert runner.invoke(args=["users", "revoke-token", older_id]).exit_code == 0  # again: a no-op

    for args, message in ((["users", "revoke-token", "cc_nothere"], "no token with prefix"),
                          (["users", "revoke-token", "999999"], "no token with id"),
                          (["users", "tokens", "nobody"], "no user")):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_expired_token_is_listed_as_expired_and_refused(app, cli_user) -> None:
    runner = app.test_cli_runner()
    token = runner.invoke(args=["users", "token", cli_user]).stdout.strip()
    with app.app_context():
        row = db.session.scalars(sa.select(ApiToken).join(User).where(User.username == cli_user)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert not _works(app, token)
    assert runner.invoke(args=["users", "tokens", cli_user]).stdout.strip().endswith("\texpired")


def test_deactivate_stops_tokens_at_once_and_activate_restores_them(app, cli_user) -> None:
    runner = app.test_cli_runner()
    token = runner.invoke(args=["users", "token", cli_user]).stdout.strip()
    assert _works(app, token)
    result = runner.invoke(args=["users", "deactivate", cli_user])
    assert result.exit_code == 0 and "deactivated" in result.output
    assert not _works(app, token)
    refused = runner.invoke(args=["users", "token", cli_user])
    assert refused.exit_code != 0 and "deactivated" in refused.output and "cc_" not in refused.stdout
    assert runner.invoke(args=["users", "activate", cli_user]).exit_code == 0
    assert _works(app, token)
    assert runner.invoke(args=["users", "deactivate", "nobody"]).exit_code != 0


def test_users_create_applies_the_password_policy(app) -> None:
    runner = app.test_cli_runner()
    cases = [
        ("123456789012", "not be all digits"),
        ("lan.moi.tao", "not be the username"),
        ("LAN.MOI.TAO", "not be the username"),
        ("qwertyuiop", "too common"),
        ("Password123", "too common"),
        ("Demo@1022", "at least 10"),
    ]
    for password, message in cases:
        result = runner.invoke(args=["users", "create", "lan.moi.tao", "--role", "operator", "--password", password])
        assert result.exit_code != 0 and message in result.output and "Mật khẩu" in result.output, (password,
                                                                                                   result.output)
    bad_name = runner.invoke(args=["users", "create", "Có Dấu", "--role", "operator", "--password", "đủ-dài-và-lạ"])
    assert bad_name.exit_code != 0 and "username" in bad_name.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "lan.moi.tao")) is None


def test_password_policy_rules() -> None:
    assert password_problem("một câu dài dễ nhớ", "lan") is None
    assert password_problem("a" * 9, "lan") is not None and password_problem("a" * 10, "lan") is None
    assert password_problem("0" * 40, "lan") is not None
    assert password_problem("DEMO@1022x", "lan") is None  # only exact (case-blind) matches are "common"
    assert password_problem("MatKhau123", "lan") is not None


def _fresh_app(make_app, tmp_path: Path, **config) -> Flask:
    from flask_migrate import upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'seed.db'}", **config)
    with app.app_context():
        upgrade()
    return app


def _usernames(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(User.username)))


def test_seed_makes_demo_users_only_with_demo(make_app, tmp_path) -> None:
    app = _fresh_app(make_app, tmp_path, TESTING=False, PUBLIC_BASE_URL="http://127.0.0.1:8000")
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["seed"])
    assert plain.exit_code == 0 and "Demo@1022" not in plain.output
    assert _usernames(app) == set()
    demo = runner.invoke(args=["seed", "--demo"])
    assert demo.exit_code == 0, demo.output
    assert _usernames(app) == {u[0] for u in seed_data.DEMO_USERS}
    with app.app_context():
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        assert admin.check_password(seed_data.DEMO_PASSWORD)  # the demo bypasses the policy in development
    assert runner.invoke(args=["seed", "--demo", "--no-users"]).exit_code != 0


def test_seed_demo_is_refused_outside_development(make_app, tmp_path) -> None:
    base_url = "https://1022.dongthap.gov.vn"
    app = _fresh_app(make_app, tmp_path, TESTING=False, PUBLIC_BASE_URL=base_url)
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code != 0
    assert "refusing --demo" in result.output and base_url in result.output and "users create" in result.output
    assert _usernames(app) == set()
    assert app.test_cli_runner().invoke(args=["seed"]).exit_code == 0  # reference data is always fine


def test_development_is_an_http_loopback_public_url_or_a_test_app(make_app) -> None:
    from callcentre.cli.seed import demo_refusal

    for base_url in ("http://127.0.0.1:8000", "http://127.0.0.2", "http://localhost:8000", "http://[::1]:8000"):
        assert demo_refusal(make_app(TESTING=False, PUBLIC_BASE_URL=base_url)) is None, base_url
    for base_url in ("https://1022.dongthap.gov.vn", "http://1022.dongthap.gov.vn", "http://10.0.0.5:8000",
                     "http://0.0.0.0:8000", "https://127.0.0.1:8443", "http://localhost.example.vn"):
        assert demo_refusal(make_app(TESTING=False, PUBLIC_BASE_URL=base_url)), base_url
    # The test-suite's apps are TESTING (their PUBLIC_BASE_URL is https): allowed.
    testing = make_app()
    assert testing.config["PUBLIC_BASE_URL"].startswith("https://") and demo_refusal(testing) is None

"""``users create | token | tokens | revoke-token | deactivate | activate``: staff accounts."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext

from callcentre.core.extensions import db
from callcentre.services import accounts, audit
from callcentre.services.accounts import AccountError
from workflows.roles import DEPARTMENT_ROLES, Role


@click.group()
def users() -> None:
    """Manage staff accounts and their API tokens."""


def _audit(action: str, target_type: str, target_id: int, details: dict[str, Any]) -> None:
    """The command line's changes are audited too, with no account behind them (committed with the change)."""
    audit.record(action, actor=None, label="cli", target_type=target_type, target_id=target_id, details=details)


def _stamp(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", "department_code", default=None, help="department code (department roles)")
@click.option("--password", required=True,
              help="at least 10 characters, not all digits, not the username, not a common password")
@click.option("--full-name", default="")
@with_appcontext
def create_user(username: str, role: str, department_code: str | None, password: str, full_name: str) -> None:
    """Create a user (fails if the username exists)."""
    if Role(role) in DEPARTMENT_ROLES and not department_code:
        raise click.ClickException(f"role '{role}' needs --department")
    try:
        user = accounts.create_user(username, role, password, department_code=department_code, full_name=full_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("user_create", "user", user.id, audit.changes(None, audit.user_state(user)))
    db.session.commit()
    click.echo(f"created {role} '{username}'", err=True)


@users.command("token")
@click.argument("username")
@with_appcontext
def create_token(username: str) -> None:
    """Print a new API token for USERNAME (and nothing else on stdout); it expires after API_TOKEN_DAYS."""
    try:
        row, plaintext = accounts.issue_token(accounts.find_user(username))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("token_create", "token", row.id, audit.token_state(row))
    db.session.commit()
    sys.stdout.write(plaintext + "\n")


@users.command("tokens")
@click.argument("username")
@with_appcontext
def list_tokens(username: str) -> None:
    """USERNAME's tokens, newest first: id, prefix, created, last used, expires, revoked, state."""
    try:
        rows = accounts.tokens_of(accounts.find_user(username))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("id\tprefix\tcreated\tlast_used\texpires\trevoked\tstate")
    for row in rows:
        click.echo(f"{row.id}\t{row.prefix}…\t{_stamp(row.created_at)}\t{_stamp(row.last_used_at)}\t"
                   f"{_stamp(row.expires_at)}\t{_stamp(row.revoked_at)}\t{row.state}")


@users.command("revoke-token")
@click.argument("prefix_or_id")
@with_appcontext
def revoke_token(prefix_or_id: str) -> None:
    """Revoke a token by its id or prefix (as `users tokens` lists them): refused from the next request on."""
    try:
        row = accounts.find_token(prefix_or_id)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    accounts.revoke_token(row)
    _audit("token_revoke", "token", row.id, audit.token_state(row))
    db.session.commit()
    click.echo(f"revoked token {row.id} ({row.prefix}…) of '{row.user.username}'", err=True)


@users.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate(username: str) -> None:
    """Refuse USERNAME's tokens and web sessions from the next request on (the account stays)."""
    _set_active(username, False)


@users.command("activate")
@click.argument("username")
@with_appcontext
def activate(username: str) -> None:
    """Let USERNAME in again (tokens not expired or revoked work again)."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    try:
        user = accounts.find_user(username)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    before = audit.user_state(user)
    accounts.set_active(user, active)
    _audit("user_update", "user", user.id, audit.changes(before, audit.user_state(user)))
    db.session.commit()
    click.echo(f"{'activated' if active else 'deactivated'} '{username}'", err=True)

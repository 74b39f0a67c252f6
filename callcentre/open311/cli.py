"""``flask apikeys create NAME | revoke NAME | list``: Open311 client applications."""

from __future__ import annotations

import re
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.models import ApiClient, utcnow

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


@click.group()
def apikeys() -> None:
    """Manage API keys of Open311 client applications."""


def create_client(name: str) -> tuple[ApiClient, str]:
    """Shared by the CLI and the admin API; the caller commits."""
    if not NAME.match(name):
        raise ValueError("name: 1-32 lower-case letters, digits, '.', '_' or '-'")
    if db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise ValueError(f"an API client named '{name}' already exists")
    row, plaintext = ApiClient.issue(name)
    db.session.add(row)
    return row, plaintext


@apikeys.command("create")
@click.argument("name")
@with_appcontext
def create(name: str) -> None:
    """Print a new key for NAME (and nothing else on stdout); it is stored hashed."""
    try:
        _, plaintext = create_client(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    sys.stdout.write(plaintext + "\n")


@apikeys.command("revoke")
@click.argument("name")
@with_appcontext
def revoke(name: str) -> None:
    """Revoke NAME's key: its requests get 403 from now on."""
    row = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
    if row is None:
        raise click.ClickException(f"no API client named '{name}'")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"revoked '{name}'", err=True)


@apikeys.command("list")
@with_appcontext
def list_clients() -> None:
    """Name, key prefix, state, created and last used (never the key)."""
    for row in db.session.scalars(select(ApiClient).order_by(ApiClient.name)):
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "-"
        click.echo(f"{row.name}\t{row.prefix}…\t{state}\t{row.created_at.isoformat(timespec='seconds')}\t{used}")

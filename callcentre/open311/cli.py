"""``flask apikeys create NAME | revoke NAME | list``: Open311 client applications."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from callcentre.core.extensions import db
from callcentre.services import api_clients
from callcentre.services.api_clients import ApiClientError

CLI_LABEL = "cli"  # the audit rows' actor: the command line has no signed-in user


@click.group()
def apikeys() -> None:
    """Manage API keys of Open311 client applications."""


@apikeys.command("create")
@click.argument("name")
@with_appcontext
def create(name: str) -> None:
    """Print a new key for NAME (and nothing else on stdout); it is stored hashed."""
    try:
        with force_locale("en"):  # the command line speaks English, as its other messages
            _, plaintext = api_clients.create_client(name, actor=None, label=CLI_LABEL)
    except ApiClientError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    sys.stdout.write(plaintext + "\n")


@apikeys.command("revoke")
@click.argument("name")
@with_appcontext
def revoke(name: str) -> None:
    """Revoke NAME's key: its requests get 403 from now on."""
    try:
        with force_locale("en"):
            _, changed = api_clients.revoke_client(name, actor=None, label=CLI_LABEL)
    except ApiClientError as exc:
        raise click.ClickException(str(exc)) from exc
    if changed:
        db.session.commit()
    click.echo(f"revoked '{name}'", err=True)


@apikeys.command("list")
@with_appcontext
def list_clients() -> None:
    """Name, key prefix, state, created and last used (never the key)."""
    for row in db.session.scalars(api_clients.clients_query()):
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "-"
        click.echo(f"{row.name}\t{row.prefix}…\t{state}\t{row.created_at.isoformat(timespec='seconds')}\t{used}")

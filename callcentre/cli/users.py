"""``users create`` and ``users token``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.models import ApiToken, Department, User
from workflows.roles import DEPARTMENT_ROLES, Role


@click.group()
def users() -> None:
    """Manage staff accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", "department_code", default=None, help="department code (department roles)")
@click.option("--password", required=True)
@click.option("--full-name", default="")
@with_appcontext
def create_user(username: str, role: str, department_code: str | None, password: str, full_name: str) -> None:
    """Create a user (fails if the username exists)."""
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user '{username}' already exists")
    department = None
    if department_code:
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise click.ClickException(f"no department with code '{department_code}'")
    if Role(role) in DEPARTMENT_ROLES and department is None:
        raise click.ClickException(f"role '{role}' needs --department")
    if len(password) < 8:
        raise click.ClickException("password must have at least 8 characters")
    user = User(username=username, role=role, department=department, full_name=full_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} '{username}'", err=True)


@users.command("token")
@click.argument("username")
@with_appcontext
def create_token(username: str) -> None:
    """Print a new API token for USERNAME (and nothing else on stdout)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user '{username}'")
    row, plaintext = ApiToken.issue(user)
    db.session.add(row)
    db.session.commit()
    sys.stdout.write(plaintext + "\n")

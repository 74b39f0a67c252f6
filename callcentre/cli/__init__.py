"""``flask --app wsgi ...`` commands: seed, jurisdiction, users, worker."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from callcentre.cli.jurisdiction import jurisdiction
    from callcentre.cli.seed import seed_command
    from callcentre.cli.users import users
    from callcentre.cli.worker import worker_command

    app.cli.add_command(seed_command)
    app.cli.add_command(jurisdiction)
    app.cli.add_command(users)
    app.cli.add_command(worker_command)

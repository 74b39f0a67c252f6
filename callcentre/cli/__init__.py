"""``flask --app wsgi ...`` commands: seed, users, worker."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from .seed import seed_command
    from .users import users
    from .worker import worker_command

    app.cli.add_command(seed_command)
    app.cli.add_command(users)
    app.cli.add_command(worker_command)

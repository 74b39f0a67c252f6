"""``seed [--demo]``: reference data (and demo users), idempotent (run it as often as you like)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select, update

from callcentre.cli import seed_data
from callcentre.cli.jurisdiction import commune_departments
from callcentre.core.extensions import db
from callcentre.formats.geo import province_name
from callcentre.formats.textnorm import search_key
from callcentre.messaging import seed_message_templates
from callcentre.models import Category, Department, RoutingRule, SlaPolicy, User, WorkCalendar
from callcentre.sla.calendars import ensure_default_calendars


def seed_reference_data() -> None:
    """Create the departments and categories that are missing, by code; does not commit.

    A row that exists is left as it is (an admin may have renamed it, moved a category to another
    department or changed a list of communes). The People's Committees follow the administrative
    data; a changed map is re-applied by ``flask jurisdiction apply`` (cli/jurisdiction.py).
    """
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    wanted = [Department(code=code, name_vi=name_vi, name_en=name_en, level="province", commune_codes=[])
              for code, name_vi, name_en in seed_data.PROVINCE_DEPARTMENTS]
    wanted += [Department(code=c.code, name_vi=c.name_vi, name_en=c.name_en, level="commune",
                          commune_code=c.commune_code, commune_codes=[c.commune_code])
               for c in commune_departments()]
    for dept in wanted:
        if dept.code not in departments:
            db.session.add(dept)
            departments[dept.code] = dept
    db.session.flush()
    categories = {c.code: c for c in db.session.scalars(select(Category))}
    for code, name_vi, name_en, dept_code, level in seed_data.CATEGORIES:
        if code not in categories:
            db.session.add(Category(code=code, name_vi=name_vi, name_en=name_en, level=level,
                                    search_text=search_key(f"{name_vi} {name_en} {code}"),
                                    default_department=departments[dept_code]))
    retire_abolished_departments(departments)


def retire_abolished_departments(departments: dict[str, Department]) -> None:
    """An older database's abolished departments: deactivated, their work handed to the successor.

    Categories, routing rules and staff move; tickets keep the department they were filed with.
    Idempotent: a retired department holds nothing more to move.
    """
    for old_code, new_code in seed_data.ABOLISHED_DEPARTMENTS.items():
        old, new = departments.get(old_code), departments.get(new_code)
        if old is None or new is None or old is new:
            continue
        db.session.execute(update(Category).where(Category.default_department_id == old.id)
                           .values(default_department_id=new.id))
        db.session.execute(update(RoutingRule).where(RoutingRule.department_id == old.id)
                           .values(department_id=new.id))
        db.session.execute(update(User).where(User.department_id == old.id).values(department_id=new.id))
        old.active = False


def seed_sla_policies() -> None:
    """Create the default policy of each category and priority if it has none."""
    ensure_default_calendars()
    calendars = {c.name: c for c in db.session.scalars(select(WorkCalendar))}
    have = {(c, p) for c, p in db.session.execute(select(SlaPolicy.category_id, SlaPolicy.priority))}
    for category in db.session.scalars(select(Category)):
        for priority, accept, resolve, warn, calendar in seed_data.SLA_DEFAULTS:
            if (category.id, priority) not in have:
                db.session.add(SlaPolicy(category=category, priority=priority, accept_within=accept,
                                         resolve_within=resolve, warn_at=warn, calendar=calendars[calendar]))


def seed_demo_users() -> None:
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    existing = set(db.session.scalars(select(User.username)))
    for username, role, dept_code, full_name in seed_data.DEMO_USERS:
        if username in existing:
            continue  # never reset a password someone may have changed
        user = User(username=username, role=role, full_name=full_name,
                    department=departments[dept_code] if dept_code else None)
        user.set_password(seed_data.DEMO_PASSWORD)
        db.session.add(user)


def demo_refusal(app: Flask) -> str | None:
    """Why demo accounts with the published password may not be created here; None in development.

    The signal is the app's own ``PUBLIC_BASE_URL``: only an ``http://`` loopback address
    (127.0.0.0/8, ::1, localhost — ``scripts/run.sh``'s and the unset default) says that nobody
    else reaches this instance. A deployment sets its public origin there (QR codes, SMS links and
    webhook signatures need it), so https, a domain name or a LAN address all refuse. Tests pass.
    """
    if app.testing:
        return None
    base = app.config["PUBLIC_BASE_URL"]
    url = urlsplit(base)
    if url.scheme == "http" and _is_loopback(url.hostname or ""):
        return None
    return (f"refusing --demo: PUBLIC_BASE_URL is {base!r}, not an http:// loopback address, so this is not a "
            f"development machine and demo accounts with the published password {seed_data.DEMO_PASSWORD} "
            "would be open to others. Create real accounts with `flask users create`.")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("seed")
@click.option("--demo", is_flag=True,
              help="also one demo user per role, password Demo@1022 (development machines only)")
@click.option("--no-users", is_flag=True, hidden=True, help="the default now; kept for old scripts")
@with_appcontext
def seed_command(demo: bool, no_users: bool) -> None:
    """Load the jurisdiction's departments, categories, SLA policies and templates (and --demo users)."""
    if demo and no_users:
        raise click.UsageError("--demo and --no-users contradict each other")
    if demo and (reason := demo_refusal(current_app)):
        raise click.ClickException(reason)
    seed_reference_data()
    db.session.flush()
    seed_sla_policies()
    seed_message_templates()
    if demo:
        # The published password, set without the policy: development only (demo_refusal).
        seed_demo_users()
    db.session.commit()
    click.echo(f"seeded {province_name()}: {len(seed_data.PROVINCE_DEPARTMENTS)} provincial departments, "
               f"{len(commune_departments())} commune People's Committees, "
               f"{len(seed_data.CATEGORIES)} categories"
               + (f", demo users (password {seed_data.DEMO_PASSWORD})" if demo else ""), err=True)

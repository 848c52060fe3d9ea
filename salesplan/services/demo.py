"""The demo organisation: people, teams and a plan here; each app adds its own data via a seeder.

Seeding is idempotent: people are matched by username, and app seeders match their rows by a natural
key, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from salesplan.models import JobRun, Role, StrategyPlan, Team, User

DemoSeeder = Callable[..., dict[str, Any]]
_SEEDERS: list[tuple[str, DemoSeeder]] = []

# US states each demo rep covers; until territories exist, accounts go to the rep of their state.
DEMO_TEAMS: list[dict[str, Any]] = [
    {
        "name": "East",
        "manager": ("manager1", "Marcus", "Bell", "Regional Sales Manager, East"),
        "reps": [
            ("rep1", "Alicia", "Gomez", ["NY", "NJ", "CT", "MA", "RI", "NH", "VT", "ME", "PA", "DE", "MD", "DC"]),
            ("rep2", "Ben", "Okafor", ["FL", "GA", "NC", "SC", "VA", "WV", "TN", "AL", "MS", "KY"]),
            ("rep3", "Chloe", "Nguyen", ["OH", "MI", "IN", "IL", "WI", "MN", "IA", "MO"]),
        ],
    },
    {
        "name": "West",
        "manager": ("manager2", "Priya", "Raman", "Regional Sales Manager, West"),
        "reps": [
            ("rep4", "Diego", "Martins", ["CA", "HI"]),
            ("rep5", "Emma", "Larsen", ["WA", "OR", "ID", "MT", "WY", "AK", "NV", "UT", "CO"]),
            ("rep6", "Farid", "Haddad", ["TX", "OK", "AR", "LA", "AZ", "NM", "KS", "NE", "SD", "ND"]),
        ],
    },
]
DEMO_LEADER = ("leader", "Dana", "Whitfield", "VP Sales")
DEMO_EMAIL_DOMAIN = "demo.salesplan.test"  # every demo person's address: how the demo is recognised
# The demo company's figures: the market the seeders build is calibrated to them (our sales to the demo
# customers add up to the prior-year revenue), so the numbers a leader reads agree with each other.
DEMO_PRIOR_YEAR_REVENUE = 100_000_000
DEMO_REVENUE_TARGET = 130_000_000


def demo_seeder_register(*, name: str, seeder: DemoSeeder, before: str | None = None) -> None:
    """Called from an app's ``ready()`` so the core can seed data of apps it must not import. Seeders run in
    the order registered, except that one registered ``before`` another (by name) runs ahead of it."""
    names = [n for n, _ in _SEEDERS]
    if name in names:
        return
    _SEEDERS.insert(names.index(before) if before in names else len(_SEEDERS), (name, seeder))


def demo_rep_states() -> dict[str, list[str]]:
    """username -> the US states that demo rep covers."""
    return {rep[0]: rep[3] for team in DEMO_TEAMS for rep in team["reps"]}


def demo_logins() -> list[dict[str, str]]:
    """The demo people that exist, for the sign-in page and ``make run``."""
    usernames = [DEMO_LEADER[0]] + [t["manager"][0] for t in DEMO_TEAMS] + [r[0] for t in DEMO_TEAMS for r in t["reps"]]
    users = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True).select_related("team")}
    return [
        {
            "username": name,
            "name": str(users[name]),
            "role": users[name].get_role_display(),
            "team": users[name].team.name if users[name].team else "",
        }
        for name in usernames
        if name in users
    ]


def _demo_user(
    username: str, first: str, last: str, role: str, title: str, team: Team | None = None
) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "role": role,
            "title": title,
            "team": team,
            "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
        },
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user, created


@transaction.atomic
def demo_seed_org() -> dict[str, Any]:
    """The leader, two managers with three reps each, and the published FY plan."""
    leader, created = _demo_user(*DEMO_LEADER[:3], Role.LEADER, DEMO_LEADER[3])
    people_created = int(created)
    for spec in DEMO_TEAMS:
        username, first, last, title = spec["manager"]
        manager, created = _demo_user(username, first, last, Role.MANAGER, title)
        people_created += created
        team, _ = Team.objects.get_or_create(name=spec["name"], defaults={"manager": manager})
        for rep_username, rep_first, rep_last, _states in spec["reps"]:
            _, created = _demo_user(rep_username, rep_first, rep_last, Role.REP, "Account Executive", team)
            people_created += created
    year = dt.date.today().year + 1
    _, plan_created = StrategyPlan.objects.get_or_create(
        name=f"FY{year} Sales Strategy",
        defaults={
            "fiscal_year_start": dt.date(year, 1, 1),
            "fiscal_year_end": dt.date(year, 12, 31),
            "status": StrategyPlan.Status.PUBLISHED,
            "revenue_target": Decimal(DEMO_REVENUE_TARGET),
            "prior_year_revenue": Decimal(DEMO_PRIOR_YEAR_REVENUE),
            "strategic_growth_threshold": Decimal("250000"),
            "created_by": leader,
            "summary": "Grow revenue 30% by winning mid-market manufacturers and expanding wallet share "
            "with our top customers, funded by moving SMB accounts to inside sales.",
        },
    )
    return {"people_created": people_created, "plans_created": int(plan_created)}


def demo_is_loaded() -> bool:
    """Whether the demo organisation exists (its sales leader, by the demo's e-mail address, so a real
    person named "leader" is not taken for it): the rule ``seed_demo --once`` and the pages that offer to
    load the demo share."""
    return User.objects.filter(username=DEMO_LEADER[0], email=f"{DEMO_LEADER[0]}@{DEMO_EMAIL_DOMAIN}").exists()


def demo_seed(*, companies: int = 20_000, seed: int = 42, job: JobRun | None = None) -> dict[str, Any]:
    """Build or complete the demo organisation and every app's demo data."""
    from salesplan.services.freshness import refresh_paused, refresh_request

    # The seeders compute their own scores, placement and ranking; the chain then finds them current
    # (or brings up to date what a larger demo added to an existing one).
    with refresh_paused():
        result = demo_seed_org()
        for _name, seeder in _SEEDERS:
            result |= seeder(companies=companies, seed=seed, job=job)
    refresh_request()
    return result

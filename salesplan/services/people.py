"""Writes on people and teams: the org structure that decides who sees what."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from salesplan.models import Role, Team, User
from salesplan.selectors import visible_scope_changed


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
    team: Team | None = None,
    validate: bool = True,
) -> User:
    """Create a person who can sign in. ``validate=False`` skips password rules (demo users only)."""
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
        team=team if role == Role.REP else None,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def user_update(*, user: User, **fields: object) -> User:
    """Change a person's details, role or team. A manager who still leads a team keeps the role."""
    new_role = fields.get("role", user.role)
    if user.role == Role.MANAGER and new_role != Role.MANAGER and user.managed_teams.exists():
        raise ValidationError({"role": "This person still leads a team: give the team another manager first."})
    for name, value in fields.items():
        setattr(user, name, value)
    if user.role != Role.REP:
        user.team = None
    user.full_clean()
    user.save()
    visible_scope_changed()  # a new team or role: a new scope for them and for their managers
    return user


@transaction.atomic
def team_save(*, team: Team | None = None, name: str, manager: User, reps: list[User] | None = None) -> Team:
    """Create or update a team; ``reps`` (when given) becomes exactly the team's members."""
    team = team or Team()
    team.name = name
    team.manager = manager
    team.full_clean()
    team.save()
    if reps is not None:
        non_reps = [str(u) for u in reps if u.role != Role.REP]
        if non_reps:
            raise ValidationError({"reps": f"Only reps can be team members: {', '.join(non_reps)}."})
        User.objects.filter(team=team).exclude(pk__in=[u.pk for u in reps]).update(team=None)
        User.objects.filter(pk__in=[u.pk for u in reps]).update(team=team)
    visible_scope_changed()
    return team

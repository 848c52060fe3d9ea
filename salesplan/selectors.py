"""Reads of the core, each already scoped to the user asking (DESIGN.md §2).

Every list, choice list, export and single-object lookup starts from one of these, so the access rule
is written once: a leader sees everything, a manager sees their teams, a rep sees their own.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from salesplan.models import JobRun, Role, StrategyPlan, Team, User


def users_visible_to(user: User) -> QuerySet[User]:
    """People this user may see: everyone for a leader; self and their teams' reps for a manager."""
    qs = User.objects.select_related("team")
    if user.is_leader:
        return qs
    if user.is_manager:
        return qs.filter(Q(pk=user.pk) | Q(team__manager=user))
    return qs.filter(pk=user.pk)


def team_members_visible_to(user: User) -> QuerySet[User]:
    """The reps whose work this user may see (their own for a rep)."""
    return users_visible_to(user).filter(role=Role.REP)


def teams_visible_to(user: User) -> QuerySet[Team]:
    qs = Team.objects.select_related("manager").annotate(rep_count=Count("members", filter=Q(members__is_active=True)))
    if user.is_leader:
        return qs
    if user.is_manager:
        return qs.filter(manager=user)
    return qs.filter(pk=user.team_id) if user.team_id else qs.none()


def plans_visible_to(user: User) -> QuerySet[StrategyPlan]:
    """Drafts are the leader's work in progress; everyone else sees published plans."""
    qs = StrategyPlan.objects.select_related("created_by")
    if user.is_leader:
        return qs
    return qs.filter(status=StrategyPlan.Status.PUBLISHED)


def plan_current(user: User) -> StrategyPlan | None:
    """The plan a user works to now: the latest published one (for a leader, a draft if none is)."""
    visible = plans_visible_to(user)
    return visible.filter(status=StrategyPlan.Status.PUBLISHED).first() or visible.first()


def jobs_visible_to(user: User) -> QuerySet[JobRun]:
    """A leader sees every job; others see the jobs they started."""
    qs = JobRun.objects.select_related("started_by")
    if user.is_leader:
        return qs
    return qs.filter(started_by=user)

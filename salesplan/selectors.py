"""Reads of the core, each already scoped to the user asking (DESIGN.md §2).

Every list, choice list, export and single-object lookup starts from one of these, so the access rule
is written once: a leader sees everything, a manager sees their teams, a rep sees their own.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from salesplan.models import JobRun, Role, StrategyPlan, Team, Territory, TerritoryDesign, User


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


def territory_design_published() -> TerritoryDesign | None:
    """The territory design that governs who sees which accounts (at most one is published)."""
    return TerritoryDesign.objects.filter(status=TerritoryDesign.Status.PUBLISHED).select_related("plan").first()


_PUBLISHED_DESIGN_KEY = "territory-design:published"


def territory_design_published_id() -> int | None:
    """The id of the published design, cached: every scoped account query asks for it."""
    cached = cache.get(_PUBLISHED_DESIGN_KEY)
    if cached is None:
        design = territory_design_published()
        cached = design.pk if design else 0
        cache.set(_PUBLISHED_DESIGN_KEY, cached, 60)
    return cached or None


def territory_design_changed() -> None:
    cache.delete(_PUBLISHED_DESIGN_KEY)


def territory_designs_visible_to(user: User) -> QuerySet[TerritoryDesign]:
    """Drafts are the leader's work in progress; everyone sees the published and retired designs."""
    qs = TerritoryDesign.objects.select_related("plan")
    if user.is_leader:
        return qs
    return qs.exclude(status=TerritoryDesign.Status.DRAFT)


def territories_visible_to(user: User) -> QuerySet[Territory]:
    """A leader sees every territory; a manager their reps' (and the areas and regions above them); a rep
    their own and what contains them."""
    qs = Territory.objects.select_related("design", "parent")
    if user.is_leader:
        return qs
    mine = Territory.objects.filter(assignments__rep__in=users_visible_to(user).values("pk"))
    return qs.filter(
        Q(pk__in=mine.values("pk")) | Q(pk__in=mine.values("parent_id")) | Q(pk__in=mine.values("parent__parent_id"))
    ).exclude(design__status=TerritoryDesign.Status.DRAFT)

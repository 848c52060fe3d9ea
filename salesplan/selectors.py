"""Reads of the core, each already scoped to the user asking (DESIGN.md §2).

Every list, choice list, export and single-object lookup starts from one of these, so the access rule
is written once: a leader sees everything, a manager sees their teams, a rep sees their own.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Subquery

from salesplan.models import InputVersion, JobRun, Role, StrategyPlan, Team, Territory, TerritoryDesign, User


def users_visible_to(user: User) -> QuerySet[User]:
    """People this user may see: everyone for a leader; self and their teams' reps for a manager."""
    qs = User.objects.select_related("team")
    if user.is_leader:
        return qs
    if user.is_manager:
        return qs.filter(Q(pk=user.pk) | Q(team__manager=user))
    return qs.filter(pk=user.pk)


@dataclass(frozen=True)
class VisibleScope:
    """What a user may see, as ids: the people whose work they see, those people's territories (in every
    design, as (territory, design) pairs) and the published design that governs which accounts that gives.
    ``everything`` for a leader, who sees all and needs none of it."""

    everything: bool
    people: tuple[int, ...] = ()
    territories: tuple[tuple[int, int], ...] = ()
    design_id: int | None = None
    design_applied: str = ""  # when the published design last placed its accounts

    @property
    def published_territories(self) -> list[int]:
        """The people's territories in the published design: those whose accounts the user sees."""
        return [t for t, design in self.territories if design == self.design_id] if self.design_id else []


_scope_changes = itertools.count(1)
_scope_generation = next(_scope_changes)


def visible_scope_changed() -> None:
    """Called when people, teams, territory assignments, the published design or an input change: a user
    object that already read its scope in this process reads it again (a request reads it afresh anyway)."""
    global _scope_generation  # an int swapped in one step: safe across threads
    _scope_generation = next(_scope_changes)


def visible_scope(user: User) -> VisibleScope:
    """The ids of what ``user`` may see, read in one small query (none for a leader) and kept on the user
    object, so one request reads them once however many scoped queries and cached figures it shows."""
    kept = getattr(user, "_visible_scope", None)
    if kept is not None and kept[0] == _scope_generation:
        return kept[1]
    if user.is_leader:
        scope = VisibleScope(everything=True)
    else:
        # One query: each person in scope with their territories, and the published design read beside them
        # (an uncorrelated subquery, evaluated once); the user is always one of the people, so it comes back.
        published = TerritoryDesign.objects.filter(status=TerritoryDesign.Status.PUBLISHED)
        rows = (
            users_visible_to(user)
            .order_by()
            .annotate(
                published_id=Subquery(published.values("pk")[:1]),
                published_applied=Subquery(published.values("applied_at")[:1]),
            )
            .values_list(
                "pk",
                "territory_roles__territory_id",
                "territory_roles__territory__design_id",
                "published_id",
                "published_applied",
            )
        )
        rows = list(rows)
        published_id, applied = rows[0][3:] if rows else (None, None)
        scope = VisibleScope(
            everything=False,
            people=tuple(sorted({row[0] for row in rows})),
            territories=tuple(sorted({(row[1], row[2]) for row in rows if row[1] is not None})),
            design_id=published_id,
            design_applied=applied.isoformat() if applied else "",
        )
    user._visible_scope = (_scope_generation, scope)
    return scope


def visibility_fingerprint(user: User, *, inputs: Iterable[str] = ()) -> str:
    """A short key of what ``user`` may see now — their role, the people and territories in their scope, the
    published design and when it placed its accounts — and of the versions of ``inputs`` (the data the
    figure is computed from). Every per-user cache is keyed by it, never by the user's id: a team move, a
    territory assignment, a published or re-applied design or an import gives a new key at once, and two
    leaders share their figures.

    The versions are read once per request for each input, with the scope (``visible_scope``)."""
    scope = visible_scope(user)
    versions = _input_versions_for(user, list(dict.fromkeys(inputs)))
    if scope.everything:
        text = "all"
    else:
        text = (
            f"{user.role}|{','.join(map(str, scope.people))}|"
            f"{','.join(f'{t}@{d}' for t, d in scope.territories)}|{scope.design_id}@{scope.design_applied}"
        )
    text += "|" + ",".join(f"{key}={versions[key]}" for key in sorted(versions))
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _input_versions_for(user: User, keys: list[str]) -> dict[str, int]:
    kept = getattr(user, "_input_versions", None)
    if kept is None or kept[0] != _scope_generation:
        kept = (_scope_generation, {})
        user._input_versions = kept
    known = kept[1]
    missing = [key for key in keys if key not in known]
    if missing:
        found = dict(InputVersion.objects.filter(key__in=missing).values_list("key", "version"))
        known.update({key: found.get(key, 0) for key in missing})
    return {key: known[key] for key in keys}


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
    visible_scope_changed()


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

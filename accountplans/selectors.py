"""Reads of account plans, always scoped to the user asking."""

from __future__ import annotations

import datetime

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from accountplans.models import AccountPlan, PlanAction, PlanFollowUp, PlanObjective, PlanStatus
from accounts.models import Account
from salesplan.models import User


def account_plans_visible_to(user: User) -> QuerySet[AccountPlan]:
    """The one access rule for plans: a rep sees their own, a manager their own and their team's, the
    leader all. Every plan page, list, export, comment and follow-up starts here."""
    qs = AccountPlan.objects.select_related("account", "owner", "owner__team", "decided_by")
    if user.is_leader:
        return qs
    if user.is_manager:
        return qs.filter(Q(owner=user) | Q(owner__team__manager=user))
    return qs.filter(owner=user)


def account_plans_with_figures(plans: QuerySet[AccountPlan], today: datetime.date) -> QuerySet[AccountPlan]:
    """Each plan with its expected return (the objectives' targets), planned sales hours, the return per
    hour (ROSTI) and its overdue follow-ups."""
    targets = (
        PlanObjective.objects.filter(plan=OuterRef("pk")).values("plan").annotate(total=Sum("target")).values("total")
    )
    hours = PlanAction.objects.filter(plan=OuterRef("pk")).values("plan").annotate(total=Sum("hours")).values("total")
    late = (
        PlanFollowUp.objects.filter(plan=OuterRef("pk"), done_at=None, due__lt=today)
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return plans.annotate(
        expected=Subquery(targets),
        hours=Subquery(hours, output_field=DecimalField()),
        overdue=Coalesce(Subquery(late), 0),
    ).annotate(
        rosti=ExpressionWrapper(
            Cast(F("expected"), DecimalField(max_digits=20, decimal_places=2)) / NullIf(F("hours"), Value(0)),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
    )


def account_plans_by_status(plans: QuerySet[AccountPlan]) -> dict[str, int]:
    """How many of ``plans`` are in each status (one query)."""
    counts = plans.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in counts}


def plan_review_queue(user: User) -> QuerySet[AccountPlan]:
    """Submitted plans this user reviews (their team's; all for the leader), oldest submission first."""
    qs = account_plans_visible_to(user).filter(status=PlanStatus.SUBMITTED).exclude(owner=user)
    return qs.order_by("submitted_at", "pk")


def follow_ups_visible_to(user: User) -> QuerySet[PlanFollowUp]:
    """Follow-ups of the plans the user sees, and any given to the user."""
    plans = account_plans_visible_to(user).values("pk")
    return PlanFollowUp.objects.filter(Q(plan__in=plans) | Q(owner=user)).select_related(
        "plan__account", "owner", "created_by"
    )


def follow_ups_overdue_for(user: User, today: datetime.date) -> QuerySet[PlanFollowUp]:
    """Open follow-ups past their date: the user's own, and for a manager or leader those of the plans
    they see."""
    return follow_ups_visible_to(user).filter(done_at=None, due__lt=today).order_by("due", "pk")


def plan_detail_rows(plan: AccountPlan) -> dict[str, list]:
    """The rows of a plan, each with what its page shows next to it."""
    return {
        "contacts": list(plan.contacts.select_related("relationship_owner", "reports_to")),
        "competitors": list(plan.competitors.all()),
        "objectives": list(plan.objectives.all()),
        "actions": list(plan.actions.select_related("owner", "objective")),
        "comments": list(plan.comments.select_related("author")),
        "follow_ups": list(plan.follow_ups.select_related("owner", "created_by")),
        "events": list(plan.events.select_related("actor")[:60]),
    }


def account_plans_attach(accounts: list[Account], user: User) -> None:
    """Set ``visible_plan`` (the plan the user may open, or None) on each account of a list page, in one
    query (registered with accounts' list page from apps.py)."""
    visible = account_plans_visible_to(user).select_related(None).filter(account_id__in=[a.pk for a in accounts])
    plans = {p.account_id: p for p in visible.only("pk", "account_id", "status")}
    for account in accounts:
        account.visible_plan = plans.get(account.pk)

"""Writes on the fiscal-year StrategyPlan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from salesplan.models import StrategyPlan, User


def plan_create(
    *,
    name: str,
    fiscal_year_start: dt.date,
    fiscal_year_end: dt.date,
    created_by: User | None,
    revenue_target: Decimal | None = None,
    prior_year_revenue: Decimal | None = None,
    strategic_growth_threshold: Decimal | None = None,
    summary: str = "",
    share_company_totals: bool = False,
) -> StrategyPlan:
    plan = StrategyPlan(
        name=name,
        fiscal_year_start=fiscal_year_start,
        fiscal_year_end=fiscal_year_end,
        created_by=created_by,
        revenue_target=revenue_target,
        prior_year_revenue=prior_year_revenue,
        strategic_growth_threshold=strategic_growth_threshold,
        summary=summary,
        share_company_totals=share_company_totals,
    )
    plan.full_clean()
    plan.save()
    return plan


def plan_update(*, plan: StrategyPlan, **fields: object) -> StrategyPlan:
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    return plan


def plan_publish(*, plan: StrategyPlan) -> StrategyPlan:
    """Publish a draft: from now on managers and reps see it and work to it."""
    if plan.status == StrategyPlan.Status.PUBLISHED:
        raise ValidationError("This plan is already published.")
    plan.status = StrategyPlan.Status.PUBLISHED
    plan.published_at = timezone.now()
    plan.save(update_fields=["status", "published_at", "updated_at"])
    return plan


def plan_unpublish(*, plan: StrategyPlan) -> StrategyPlan:
    """Take a plan back to draft, e.g. to rework it; only the leader sees drafts."""
    plan.status = StrategyPlan.Status.DRAFT
    plan.published_at = None
    plan.save(update_fields=["status", "published_at", "updated_at"])
    return plan

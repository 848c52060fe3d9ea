"""Filters of the account list; every choice list is drawn from what the user may see."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import (
    Account,
    AccountStrategy,
    AccountTerritory,
    Lifecycle,
    Strategy,
    Vertical,
)
from accounts.selectors import account_country_choices, account_industry_choices, account_state_choices
from salesplan.filters import StyledFilterSet
from salesplan.models import User
from salesplan.selectors import team_members_visible_to

REVENUE_BANDS = {
    "lt10m": ("Under $10M", None, 10_000_000),
    "10m-100m": ("$10M – $100M", 10_000_000, 100_000_000),
    "100m-1b": ("$100M – $1B", 100_000_000, 1_000_000_000),
    "gt1b": ("$1B and over", 1_000_000_000, None),
    "unknown": ("Unknown", None, None),
}


EMPLOYEE_BANDS = {
    "1-49": ("1 – 49", 1, 50),
    "50-249": ("50 – 249", 50, 250),
    "250-999": ("250 – 999", 250, 1_000),
    "1000-4999": ("1,000 – 4,999", 1_000, 5_000),
    "5000+": ("5,000 and more", 5_000, None),
    "unknown": ("Unknown", None, None),
}


class AccountFilter(StyledFilterSet):
    rows_label = "accounts"

    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Company or domain"})
    )
    vertical = django_filters.ModelChoiceFilter(
        queryset=Vertical.objects.all(), empty_label="Any vertical", null_label="No vertical", null_value="none"
    )
    industry = django_filters.ChoiceFilter(choices=[], empty_label="Any industry")
    country = django_filters.ChoiceFilter(choices=[], empty_label="Any country")
    state = django_filters.ChoiceFilter(choices=[], empty_label="Any state")
    lifecycle = django_filters.ChoiceFilter(choices=Lifecycle.choices, empty_label="Any lifecycle")
    revenue = django_filters.ChoiceFilter(
        choices=[(k, v[0]) for k, v in REVENUE_BANDS.items()],
        method="revenue_band",
        empty_label="Any revenue",
        label="Revenue",
    )
    employees = django_filters.ChoiceFilter(
        choices=[(k, v[0]) for k, v in EMPLOYEE_BANDS.items()],
        method="employee_band",
        empty_label="Any size",
        label="Employees",
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    strategy = django_filters.ChoiceFilter(
        choices=[*Strategy.choices, ("none", "Not chosen yet")],
        method="by_strategy",
        empty_label="Any strategy",
        label="Strategy",
    )
    plan = django_filters.ChoiceFilter(
        choices=[("yes", "Has a strategic plan"), ("no", "No plan")],
        method="by_plan",
        empty_label="Plan or not",
        label="Plan",
    )
    unassigned_in = django_filters.NumberFilter(
        method="unassigned", label="Not placed by design", widget=forms.HiddenInput()
    )

    class Meta:
        model = Account
        fields = [
            "q", "vertical", "industry", "country", "state", "lifecycle", "revenue", "employees", "owner",
            "strategy", "plan", "unassigned_in",
        ]  # fmt: skip

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["industry"].extra["choices"] = [(i, i) for i in account_industry_choices(user)]
        self.filters["state"].extra["choices"] = [(s, s) for s in account_state_choices(user)]
        self.filters["country"].extra["choices"] = [(c, c) for c in account_country_choices(user)]
        self.filters["owner"].queryset = team_members_visible_to(user).order_by("last_name", "first_name")

    def unassigned(self, queryset: QuerySet[Account], name: str, value: int) -> QuerySet[Account]:
        """The accounts no rule of a territory design placed (the design page links here)."""
        placed = AccountTerritory.objects.filter(design_id=value, account=OuterRef("pk"))
        return queryset.exclude(Exists(placed))

    def by_strategy(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        """The accounts whose latest strategy choice is ``value`` ("none": never chosen). Strategy rows are
        few next to accounts, so the filter reads them and joins the account ids in."""
        if value == "none":
            return queryset.exclude(pk__in=AccountStrategy.objects.values("account_id"))
        latest = AccountStrategy.objects.filter(account=OuterRef("account")).order_by("-created_at", "-pk")
        current = AccountStrategy.objects.filter(strategy=value, pk=Subquery(latest.values("pk")[:1]))
        return queryset.filter(pk__in=current.values("account_id"))

    def by_plan(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        # The plan is account planning's (an app above accounts): reached through the account's relation.
        planned = Account._meta.get_field("plan").related_model.objects.values("account_id")
        return queryset.filter(pk__in=planned) if value == "yes" else queryset.exclude(pk__in=planned)

    def search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(domain__icontains=value.lower())) if value else queryset

    def employee_band(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        if value == "unknown":
            return queryset.filter(employees__isnull=True)
        _label, low, high = EMPLOYEE_BANDS[value]
        queryset = queryset.filter(employees__gte=low)
        return queryset.filter(employees__lt=high) if high is not None else queryset

    def revenue_band(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        if value == "unknown":
            return queryset.filter(annual_revenue__isnull=True)
        _label, low, high = REVENUE_BANDS[value]
        if low is not None:
            queryset = queryset.filter(annual_revenue__gte=low)
        if high is not None:
            queryset = queryset.filter(annual_revenue__lt=high)
        return queryset

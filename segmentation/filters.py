"""Filters of the ICP matrix; every choice list is drawn from what the user may see."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Lifecycle, Vertical
from accounts.selectors import account_state_choices
from salesplan.filters import StyledFilterSet
from salesplan.models import User
from salesplan.selectors import team_members_visible_to
from segmentation.models import SCORE_TIERS, AccountScore
from segmentation.selectors import scores_with_reviews
from segmentation.tiers import scores_in_effective_tiers


class MatrixFilter(StyledFilterSet):
    rows_label = "accounts"

    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Company or domain"})
    )
    tier = django_filters.ChoiceFilter(
        choices=SCORE_TIERS, method="tier_is", empty_label="Any tier", label="Tier (in force)"
    )
    lifecycle = django_filters.ChoiceFilter(
        field_name="account__lifecycle", choices=Lifecycle.choices, empty_label="Any lifecycle", label="Lifecycle"
    )
    vertical = django_filters.ModelChoiceFilter(
        field_name="account__vertical", queryset=Vertical.objects.all(), empty_label="Any vertical", label="Vertical"
    )
    state = django_filters.ChoiceFilter(field_name="account__state", choices=[], empty_label="Any state", label="State")
    owner = django_filters.ModelChoiceFilter(
        field_name="account__owner", queryset=User.objects.none(), empty_label="Any owner", label="Owner"
    )
    review = django_filters.ChoiceFilter(
        label="Review",
        choices=[("todo", "Not reviewed yet"), ("confirm", "Confirmed"), ("override", "Overridden")],
        method="reviewed",
        empty_label="Reviewed or not",
    )

    class Meta:
        model = AccountScore
        fields = ["q", "tier", "lifecycle", "vertical", "state", "owner", "review"]

    def __init__(self, *args: object, user: User, plan_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.plan_id = plan_id
        self.filters["state"].extra["choices"] = [(s, s) for s in account_state_choices(user)]
        self.filters["owner"].queryset = team_members_visible_to(user).order_by("last_name", "first_name")
        if user.is_rep:
            del self.filters["owner"]

    def search(self, queryset: QuerySet[AccountScore], name: str, value: str) -> QuerySet[AccountScore]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(account__name__icontains=value) | Q(account__domain__icontains=value.lower()))

    def tier_is(self, queryset: QuerySet[AccountScore], name: str, value: str) -> QuerySet[AccountScore]:
        """By the tier in force: a manager's review, else the computed tier (as the tier cards count)."""
        return scores_in_effective_tiers(queryset, self.plan_id, [value])

    def reviewed(self, queryset: QuerySet[AccountScore], name: str, value: str) -> QuerySet[AccountScore]:
        queryset = scores_with_reviews(queryset, self.plan_id)
        if value == "todo":
            return queryset.filter(review_action__isnull=True)
        return queryset.filter(review_action=value)

"""Filters of the account plan list; every choice list is drawn from what the user may see."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accountplans.models import AccountPlan, PlanFollowUp, PlanStatus
from salesplan.filters import StyledFilterSet
from salesplan.models import User
from salesplan.selectors import users_visible_to


class AccountPlanFilter(StyledFilterSet):
    rows_label = "account plans"

    q = django_filters.CharFilter(
        field_name="account__name",
        lookup_expr="icontains",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Account"}),
    )
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, empty_label="Any status")
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Anyone", label="Owner")
    follow_ups = django_filters.ChoiceFilter(
        label="Follow-ups", choices=[("overdue", "Overdue follow-ups")], empty_label="Any follow-ups", method="overdue"
    )

    class Meta:
        model = AccountPlan
        fields = ["q", "status", "owner", "follow_ups"]

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = users_visible_to(user).order_by("first_name", "last_name")
        if user.is_rep:
            del self.filters["owner"]

    def overdue(self, queryset: QuerySet[AccountPlan], name: str, value: str) -> QuerySet[AccountPlan]:
        late = PlanFollowUp.objects.filter(plan=OuterRef("pk"), done_at=None, due__lt=timezone.localdate())
        return queryset.filter(Exists(late)) if value == "overdue" else queryset

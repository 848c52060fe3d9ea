"""Filters for the core's lists (django-filter); choices come from scoped querysets."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from salesplan.models import JobRun, Role, StrategyPlan, Team, User


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet whose widgets carry Bootstrap's small form classes, for the shared filter bar."""

    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "styled", False):
            for field in form.fields.values():
                is_select = hasattr(field.widget, "choices")
                css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
                field.widget.attrs.setdefault("class", css)
            form.styled = True
        return form


class UserFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Name, username or email"})
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any role")
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.none(), empty_label="Any team")
    is_active = django_filters.ChoiceFilter(
        label="Status", choices=[("yes", "Active"), ("no", "Inactive")], empty_label="Active or not", method="active"
    )

    class Meta:
        model = User
        fields = ["q", "role", "team", "is_active"]

    def __init__(self, *args: object, teams: QuerySet[Team], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["team"].queryset = teams

    def active(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(is_active=value == "yes")

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class PlanFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(choices=StrategyPlan.Status.choices, empty_label="Any status")

    class Meta:
        model = StrategyPlan
        fields = ["status"]


class JobFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(choices=[], empty_label="Any job", label="Job")
    status = django_filters.ChoiceFilter(choices=JobRun.Status.choices, empty_label="Any status")

    class Meta:
        model = JobRun
        fields = ["kind", "status"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        from salesplan.services.jobs import job_kind_choices

        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = job_kind_choices()

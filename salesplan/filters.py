"""Filters for the core's lists (django-filter); choices come from scoped querysets."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from salesplan.models import JobRun, Role, StrategyPlan, Team, User


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet whose widgets carry Bootstrap's small form classes, for the shared filter bar, and which
    says which filters it could not apply (``refused``) instead of dropping them silently."""

    # What the list's rows are, for "You can't see that person's accounts".
    rows_label = "records"

    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "styled", False):
            for field in form.fields.values():
                is_select = hasattr(field.widget, "choices")
                css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
                field.widget.attrs.setdefault("class", css)
                if is_select:  # the short note under the field; ``refused`` says it in full above the list
                    field.error_messages["invalid_choice"] = "Not one you can choose: not applied."
            form.styled = True
        return form

    @property
    def refused(self) -> list[str]:
        """A sentence per filter asked for (in the address, a link, a bookmark) that was not applied: a choice
        outside the ones the user may see — a person of another team, a state where they have no account —
        or a value that cannot be read. Never names what the user may not see."""
        if not self.is_bound or self.form.is_valid():
            return []
        sentences = []
        for name, errors in self.form.errors.as_data().items():
            field = self.form.fields.get(name)
            label = str(field.label if field and field.label else name.replace("_", " ").capitalize())
            if isinstance(field, forms.ModelChoiceField) and issubclass(field.queryset.model, User):
                sentences.append(
                    f"You can't see that person's {self.rows_label}; the “{label}” filter was not applied."
                )
            elif any(error.code == "invalid_choice" for error in errors):
                value = self.form.data.get(self.form.add_prefix(name), "")
                sentences.append(
                    f"“{value}” is not one of the choices you can see for “{label}”; that filter was not applied."
                )
            else:
                reason = " ".join(message for error in errors for message in error.messages)
                sentences.append(f"The “{label}” filter was not applied: {reason}")
        return sentences


class UserFilter(StyledFilterSet):
    rows_label = "people"

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
    rows_label = "plans"

    status = django_filters.ChoiceFilter(choices=StrategyPlan.Status.choices, empty_label="Any status")

    class Meta:
        model = StrategyPlan
        fields = ["status"]


class JobFilter(StyledFilterSet):
    rows_label = "jobs"

    kind = django_filters.ChoiceFilter(choices=[], empty_label="Any job", label="Job")
    status = django_filters.ChoiceFilter(choices=JobRun.Status.choices, empty_label="Any status")

    class Meta:
        model = JobRun
        fields = ["kind", "status"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        from salesplan.services.jobs import job_kind_choices

        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = job_kind_choices()

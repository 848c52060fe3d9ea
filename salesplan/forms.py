"""Forms of the core: plans, people, teams, the demo-data job."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from salesplan.models import Role, StrategyPlan, Team, User


class LoginForm(AuthenticationForm):
    username = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))


class PlanForm(forms.ModelForm):
    class Meta:
        model = StrategyPlan
        fields = [
            "name", "fiscal_year_start", "fiscal_year_end", "prior_year_revenue", "revenue_target",
            "strategic_growth_threshold", "summary",
        ]  # fmt: skip
        widgets = {
            "fiscal_year_start": forms.DateInput(attrs={"type": "date"}),
            "fiscal_year_end": forms.DateInput(attrs={"type": "date"}),
            "summary": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "prior_year_revenue": "Prior-year revenue (USD)",
            "revenue_target": "Revenue target (USD)",
            "strategic_growth_threshold": "Growth that warrants a strategic account plan (USD per year)",
        }


class UserForm(forms.ModelForm):
    """Create or edit a person. A password is required only when creating."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="At least 8 characters, not only digits, not a common password. Leave empty to keep it.",
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "title", "role", "team", "is_active"]
        help_texts = {"username": "What they type to sign in.", "is_active": "Inactive people cannot sign in."}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.select_related("manager")
        self.fields["team"].help_text = "Reps only: the team whose manager reviews their work."
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        if not self.instance.pk:
            del self.fields["is_active"]  # a new person is active; deactivate later if needed
            self.fields["password"].required = True
            self.fields["password"].help_text = "At least 8 characters, not only digits, not a common password."

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("role") != Role.REP:
            data["team"] = None
        password = data.get("password")
        if password:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class TeamForm(forms.ModelForm):
    reps = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role=Role.REP, is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Reps who report to this team's manager. Moving a rep here takes them off their old team.",
    )

    class Meta:
        model = Team
        fields = ["name", "manager"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(role=Role.MANAGER, is_active=True)
        if self.instance.pk:
            self.fields["reps"].initial = list(self.instance.members.values_list("pk", flat=True))


class DemoDataForm(forms.Form):
    companies = forms.IntegerField(
        min_value=1_000,
        max_value=200_000,
        initial=20_000,
        help_text="How many synthetic companies the demo market should hold (1,000 to 200,000).",
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=10**6,
        initial=42,
        help_text="The same seed always gives the same companies, so a re-run adds nothing twice.",
    )

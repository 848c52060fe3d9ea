"""Forms of the core: plans, people, teams, the demo-data job."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from salesplan.models import Role, StrategyPlan, Team, User
from salesplan.services.logins import login_address_locked
from salesplan.templatetags.salesplan_tags import num, usd, usd_full, year

_AMOUNT = re.compile(r"^(?P<sign>-)?\s*(?:US)?\$?\s*(?P<digits>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[kmb])?$", re.I)
_UNITS = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def amount_parse(text: str) -> int | None:
    """A whole amount as people type it: 250000, 250,000, $250,000, 250K, $1.5M, 2B, 2002; None otherwise."""
    match = _AMOUNT.match(text.strip().replace(" ", ""))
    if not match:
        return None
    try:
        value = Decimal(match["digits"].replace(",", "")) * _UNITS[(match["unit"] or "").lower()]
    except InvalidOperation:
        return None
    if value != value.to_integral_value():
        return None
    return int(-value if match["sign"] else value)


class AmountInput(forms.TextInput):
    """A whole number shown as people read it in its unit ("usd": $250K, or $250,400 where the short form
    would round it; "count": 20,000; "year": 2002); what someone typed comes back as they typed it."""

    def __init__(self, attrs: dict[str, Any] | None = None, unit: str = "count") -> None:
        super().__init__({"inputmode": "decimal", **(attrs or {})})
        self.unit = unit

    def format_value(self, value: Any) -> str | None:
        if value is None or value == "" or isinstance(value, str):
            return super().format_value(value)
        if self.unit == "usd":
            short = usd(value)
            return short if amount_parse(short) == int(value) else usd_full(value)  # never a rounded amount
        return {"year": year}.get(self.unit, num)(value)


class TrimmedDecimalInput(forms.TextInput):
    """A decimal shown without trailing zeros: 0.5 (%) and 24 (hours), not 0.500 and 24.0."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            return f"{Decimal(str(value)).normalize():f}"
        return super().format_value(value)


class AmountField(forms.IntegerField):
    """An IntegerField that reads amounts the way they are written ($250,000, 250K, 1.5M) and shows them so."""

    widget = AmountInput
    default_error_messages = {"invalid": "Enter a whole amount, such as 250000, $250,000 or 250K."}

    def __init__(self, *, unit: str = "count", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit = unit

    @property
    def unit(self) -> str:
        return self.widget.unit

    @unit.setter
    def unit(self, value: str) -> None:
        self.widget.unit = value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        amount = amount_parse(str(value))
        if amount is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount


class LockoutMessageMixin:
    """A sign-in refused because of too many failures says so, instead of "wrong password" (django-axes
    marks the request; salesplan.services.logins counts)."""

    def get_invalid_login_error(self) -> forms.ValidationError:
        if getattr(self.request, "axes_locked_out", False):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            if login_address_locked(self.request):
                return forms.ValidationError(
                    "Too many failed sign-ins from this network, for several people: signing in from here is "
                    "paused for everyone. Try again in %(minutes)d minutes; an administrator can lift it at once "
                    "(manage.py axes_reset_ip).",
                    code="address_locked_out",
                    params={"minutes": minutes},
                )
            return forms.ValidationError(
                "Too many failed sign-ins: signing in from here is paused. Try again in %(minutes)d minutes, "
                "or ask your sales leader to unlock your account (People page).",
                code="locked_out",
                params={"minutes": minutes},
            )
        return super().get_invalid_login_error()


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    username = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass


class PlanForm(forms.ModelForm):
    # Whole dollars, shown and typed as people write them ($100M, 130,000,000, 250K), never as 100000000.00.
    prior_year_revenue = AmountField(
        unit="usd", required=False, min_value=0, label="Prior-year revenue", help_text="Last year's revenue: $100M."
    )
    revenue_target = AmountField(
        unit="usd", required=False, min_value=0, label="Revenue target", help_text="This year's target: $130M."
    )
    strategic_growth_threshold = AmountField(
        unit="usd",
        required=False,
        min_value=0,
        label="Growth that warrants a strategic account plan (per year)",
        help_text="Yearly $ growth an account must offer to warrant a strategic account plan: $250K.",
    )

    class Meta:
        model = StrategyPlan
        fields = [
            "name", "fiscal_year_start", "fiscal_year_end", "prior_year_revenue", "revenue_target",
            "strategic_growth_threshold", "summary", "share_company_totals",
        ]  # fmt: skip
        widgets = {
            "fiscal_year_start": forms.DateInput(attrs={"type": "date"}),
            "fiscal_year_end": forms.DateInput(attrs={"type": "date"}),
            "summary": forms.Textarea(attrs={"rows": 4}),
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
    companies = AmountField(
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

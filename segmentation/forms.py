"""Forms of segmentation: profiles, their criteria, answers and tier reviews."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from salesplan.forms import AmountField
from salesplan.models import StrategyPlan
from segmentation.models import Criterion, IdealCustomerProfile, Tier
from segmentation.scoring import CATEGORY_FIELDS, FACTS, RANGE_FIELDS
from segmentation.services.icp import criterion_clean

FIELD_CHOICES = [
    ("", "— (a question has no field)"),
    ("Numeric range", [(k, v[0]) for k, v in RANGE_FIELDS.items()]),
    ("One of a set", list(CATEGORY_FIELDS.items())),
    ("Yes/no fact", list(FACTS.items())),
]


class IcpCreateForm(forms.ModelForm):
    class Meta:
        model = IdealCustomerProfile
        fields = ["plan", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"plan": "The fiscal-year plan this profile serves."}

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["plan"].empty_label = None
        self.fields["name"].initial = "Ideal Customer Profile"


class IcpForm(forms.ModelForm):
    class Meta:
        model = IdealCustomerProfile
        fields = ["name", "description", "tier_a_min", "tier_b_min", "tier_c_min", "min_known_pct"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "tier_a_min": "Scores from here up are tier A.",
            "tier_c_min": "Below this: tier D.",
            "min_known_pct": "Below it: “Needs data”, not A or B.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left out of a post (an older form), the profile keeps its setting.
        self.fields["min_known_pct"].required = False

    def clean_min_known_pct(self) -> int:
        value = self.cleaned_data.get("min_known_pct")
        return self.instance.min_known_pct if value is None else value


class ValuesField(forms.CharField):
    """A list of texts typed as one comma-separated line."""

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        return [part.strip() for part in (value or "").split(",") if part.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        # An empty line is no change from an empty list (the blank row of a new criterion is not a change).
        return self.to_python(data) != self.to_python(initial)


_WRAP = {"rows": 1}  # with the "autosize" class below: a text that wraps and grows, so a long name is read whole


class CriterionForm(forms.ModelForm):
    field = forms.ChoiceField(choices=FIELD_CHOICES, required=False)
    values = ValuesField(
        required=False, widget=forms.Textarea(attrs=_WRAP), help_text="For “one of a set”: values separated by commas."
    )
    min_value = AmountField(required=False, label="From")
    max_value = AmountField(required=False, label="To")

    class Meta:
        model = Criterion
        fields = ["name", "kind", "field", "min_value", "max_value", "values", "expected", "weight", "question", "key"]
        widgets = {
            "name": forms.Textarea(attrs=_WRAP),
            "question": forms.Textarea(attrs=_WRAP),
            "key": forms.HiddenInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        # A range shows its bounds in the unit of the field it reads: $250,000, 20,000 employees, 2002.
        field = self.data.get(self.add_prefix("field")) if self.is_bound else self.instance.field
        unit = RANGE_FIELDS.get(field or "", ("", "count"))[1]
        self.fields["min_value"].unit = self.fields["max_value"].unit = unit
        # The criteria are edited as a table: compact widgets, placeholders instead of labels.
        placeholders = {"values": "Values, comma-separated", "question": "The question the rep answers",
                        "min_value": "no minimum", "max_value": "no maximum"}  # fmt: skip
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                autosize = " autosize" if isinstance(widget, forms.Textarea) else ""
                widget.attrs["class"] = f"form-control form-control-sm{autosize}"
            if name in placeholders:
                widget.attrs["placeholder"] = placeholders[name]
            widget.attrs["aria-label"] = field.label

    def has_changed(self) -> bool:
        # A new row removed in the page sends nothing at all: that is no criterion, not a blank one to check
        # (its "match = yes" box, ticked by default, would otherwise read as a change to "no").
        if self.is_bound and not any(key.startswith(f"{self.prefix}-") for key in self.data):
            return False
        return super().has_changed()

    def clean_name(self) -> str:
        return " ".join((self.cleaned_data.get("name") or "").split())  # a name is one line, even if typed in two

    def clean_question(self) -> str:
        return " ".join((self.cleaned_data.get("question") or "").split())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or data.get("DELETE"):
            return data
        from django.utils.text import slugify

        data["key"] = data.get("key") or slugify(data.get("name") or "")[:60] or "criterion"
        try:
            criterion_clean({k: v for k, v in data.items() if k != "DELETE"}, data.get("name") or "This criterion")
        except ValidationError as exc:
            raise ValidationError(exc.messages[0].split(": ", 1)[-1]) from None
        return data


class BaseCriterionFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        keys = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data.get("key")
            if key in keys:
                form.add_error("name", "Two criteria have this name; give each its own.")
            keys.add(key)


CriterionFormSet = inlineformset_factory(
    IdealCustomerProfile,
    Criterion,
    form=CriterionForm,
    formset=BaseCriterionFormSet,
    extra=0,  # a criterion is added with the editor's "Add a criterion" button, never by a blank row
    can_delete=True,
)


class IcpImportForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=StrategyPlan.objects.none(), empty_label=None)
    file = forms.FileField(help_text="A profile exported from salesplan (.json).")

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise ValidationError("A profile file is a few kilobytes; this one is over 1 MB.")
        return upload


class TierReviewForm(forms.Form):
    tier = forms.ChoiceField(choices=[("", "Keep the computed tier"), *Tier.choices], required=False)
    reason = forms.CharField(required=False, max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why?"}))

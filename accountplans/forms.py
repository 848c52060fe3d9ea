"""Forms of strategic account plans: one per section, each carrying the plan's version (optimistic lock)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory

from accountplans.models import AccountPlan, PlanAction, PlanCompetitor, PlanContact, PlanObjective, PlanSection
from salesplan.forms import AmountField, TrimmedDecimalInput
from salesplan.models import Role, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def plan_colleagues(plan: AccountPlan) -> QuerySet[User]:
    """Who can own a relationship or an action: the owner's team, its manager and the sales leaders."""
    owner = plan.owner
    people = Q(pk=owner.pk) | Q(role=Role.LEADER)
    if owner.team_id:
        people |= Q(team_id=owner.team_id) | Q(managed_teams=owner.team_id)
    return User.objects.filter(people, is_active=True).distinct().order_by("first_name", "last_name")


class VersionedForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class NeedsForm(VersionedForm):
    class Meta:
        model = AccountPlan
        fields = ["business_goals", "needs", "value_to_them"]
        labels = {
            "business_goals": "Their business goals this year",
            "needs": "Problems we can solve",
            "value_to_them": "What solving them is worth to them",
        }
        help_texts = {
            "needs": "In their words: what hurts, who feels it, what it costs them today.",
            "value_to_them": "Money saved or earned, risk removed — the case their economic buyer will make.",
        }
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in fields}


class BuyingForm(VersionedForm):
    class Meta:
        model = AccountPlan
        fields = ["buying_process", "buying_stages", "decision_date", "budget_month"]
        labels = {
            "buying_process": "How they buy",
            "buying_stages": "Stages and approvals",
            "decision_date": "Expected decision",
            "budget_month": "Budget is set in",
        }
        help_texts = {
            "buying_process": "Central procurement or local decision, tenders, frameworks, preferred suppliers.",
            "buying_stages": "From need to signature: who signs off at each step, and how long it takes.",
        }
        widgets = {
            "buying_process": forms.Textarea(attrs={"rows": 3}),
            "buying_stages": forms.Textarea(attrs={"rows": 3}),
            "decision_date": DATE,
        }


class SwotForm(VersionedForm):
    class Meta:
        model = AccountPlan
        fields = ["strengths", "weaknesses", "opportunities", "threats"]
        help_texts = {
            "strengths": "Ours, at this account: why they buy from us (or would).",
            "weaknesses": "Ours, at this account: where we fall short.",
            "opportunities": "Openings at the account: new projects, new sites, a competitor stumbling.",
            "threats": "What could cost us the business.",
        }
        widgets = {f: forms.Textarea(attrs={"rows": 4}) for f in fields}


class ContactForm(forms.ModelForm):
    class Meta:
        model = PlanContact
        fields = ["name", "title", "role", "influence", "sentiment", "relationship_owner", "last_contact", "reports_to"]
        widgets = {"last_contact": DATE}


class CompetitorForm(forms.ModelForm):
    class Meta:
        model = PlanCompetitor
        fields = ["name", "position", "share_pct", "threat", "strengths", "our_response"]
        labels = {"share_pct": "Share %"}


class ObjectiveForm(forms.ModelForm):
    target = AmountField(unit="usd", min_value=0, label="Target $")  # shown and typed as $120K, 120,000

    class Meta:
        model = PlanObjective
        fields = ["title", "target", "due"]
        labels = {"target": "Target $"}
        widgets = {"due": DATE}


class ActionForm(forms.ModelForm):
    class Meta:
        model = PlanAction
        fields = ["description", "objective", "owner", "due", "status", "hours"]
        widgets = {"due": DATE, "hours": TrimmedDecimalInput()}


class PlanRowsFormSet(BaseInlineFormSet):
    """Rows of one plan; choice lists limited to the plan's own contacts/objectives and its colleagues."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        for name, field in form.fields.items():
            if name == "reports_to":
                field.queryset = self.instance.contacts.exclude(pk=form.instance.pk or 0)
                field.empty_label = "— nobody mapped —"
            elif name == "objective":
                field.queryset = self.instance.objectives.all()
                field.empty_label = "— no objective —"
            elif name in {"relationship_owner", "owner"}:
                field.queryset = plan_colleagues(self.instance)
                field.empty_label = "— nobody yet —"
            css = "form-select form-select-sm" if hasattr(field.widget, "choices") else "form-control form-control-sm"
            if name != "DELETE":
                field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("aria-label", "Remove" if name == "DELETE" else field.label)


def _rows(model: type, form: type, extra: int) -> type[BaseInlineFormSet]:
    return inlineformset_factory(
        AccountPlan, model, form=form, formset=PlanRowsFormSet, extra=extra, can_delete=True, max_num=60
    )


ContactFormSet = _rows(PlanContact, ContactForm, 2)
CompetitorFormSet = _rows(PlanCompetitor, CompetitorForm, 1)
ObjectiveFormSet = _rows(PlanObjective, ObjectiveForm, 1)
ActionFormSet = _rows(PlanAction, ActionForm, 2)

TEXT_FORMS: dict[str, type[VersionedForm]] = {
    PlanSection.NEEDS: NeedsForm,
    PlanSection.BUYING: BuyingForm,
    PlanSection.SWOT: SwotForm,
}
ROW_FORMSETS: dict[str, tuple[tuple[str, type[BaseInlineFormSet]], ...]] = {
    PlanSection.RELATIONSHIPS: (("contacts", ContactFormSet),),
    PlanSection.COMPETITORS: (("competitors", CompetitorFormSet),),
    PlanSection.GROWTH: (("objectives", ObjectiveFormSet), ("actions", ActionFormSet)),
}


class CommentForm(forms.Form):
    section = forms.ChoiceField(choices=PlanSection.choices, initial=PlanSection.GENERAL)
    body = forms.CharField(label="Comment", max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("changes", "Request changes")])
    section = forms.ChoiceField(choices=PlanSection.choices, initial=PlanSection.GENERAL, required=False)
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class FollowUpForm(forms.Form):
    description = forms.CharField(max_length=300, label="Follow-up")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)
    due = forms.DateField(widget=DATE)

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in owners])
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if name == "owner" else "form-control form-control-sm"
            )

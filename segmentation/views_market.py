"""HTTP views of territories, TAM / SAM / SOM and the prioritized territory lists."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import plotly.graph_objects as go
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from accounts.models import Account, Lifecycle, Strategy
from accounts.selectors import accounts_visible_to
from salesplan.access import require_leader
from salesplan.exports import csv_response, xlsx_write
from salesplan.forms import AmountField, AmountInput, TrimmedDecimalInput
from salesplan.listing import PER_PAGE_CHOICES, list_paginate, list_sort
from salesplan.models import Territory, TerritoryDesign, TerritoryRep, User
from salesplan.selectors import (
    plan_current,
    plans_visible_to,
    territories_visible_to,
    territory_design_published_id,
    territory_designs_visible_to,
)
from salesplan.services.jobs import job_start
from salesplan.templatetags.salesplan_tags import usd
from segmentation.charts import chart_html, money_axis
from segmentation.models import (
    NEEDS_DATA,
    SCORE_TIERS,
    AccountPriority,
    AccountScore,
    IdealCustomerProfile,
    PriorityList,
    PriorityRun,
    TamBreakdown,
    TamModel,
    TamRun,
)
from segmentation.scoring import score_outlook
from segmentation.selectors import (
    design_figures_for,
    icp_current,
    priorities_visible_to,
    priority_inputs,
    priority_list_counts,
    priority_run_latest,
    priority_territory_ids,
    tam_report_for,
    tam_run_changed_since,
    tam_runs_listed_for,
    tam_runs_visible_to,
    territory_stats,
    territory_tree,
)
from segmentation.services import territories as territory_services
from segmentation.services.tam import DEFAULT_TAM_MODEL_NAME, TamFigures, sam_tiers, tam_model_of


class DesignForm(forms.Form):
    name = forms.CharField(max_length=120)


class TerritoryForm(forms.Form):
    level = forms.ChoiceField(choices=Territory.Level.choices)
    name = forms.CharField(max_length=120)
    parent = forms.ModelChoiceField(queryset=Territory.objects.none(), required=False, empty_label="— none (a region)")


class RepForm(forms.Form):
    territory = forms.ModelChoiceField(queryset=Territory.objects.none())
    rep = forms.ModelChoiceField(queryset=User.objects.filter(role="rep", is_active=True))
    role = forms.ChoiceField(choices=TerritoryRep.Role.choices)


def _codes(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class RuleForm(forms.Form):
    territory = forms.ModelChoiceField(queryset=Territory.objects.none())
    countries = forms.CharField(required=False, help_text="US, CA")
    states = forms.CharField(required=False, help_text="NY, NJ")
    cities = forms.CharField(required=False)
    postal_prefixes = forms.CharField(required=False, label="Postal code starts with", help_text="100, 101")
    verticals = forms.CharField(required=False, help_text="Vertical names")
    revenue_min = AmountField(required=False, min_value=0, unit="usd", label="Revenue from", help_text="$50M")
    revenue_max = AmountField(required=False, min_value=0, unit="usd", label="Revenue below")
    employees_min = forms.IntegerField(required=False, min_value=0, label="Employees from")
    employees_max = forms.IntegerField(required=False, min_value=0, label="Employees below")
    # Chosen by searching names on the design page; a hidden input per account carries its id.
    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
        label="Named accounts",
        error_messages={"invalid_choice": "An account chosen is not one you can see any more: search again."},
    )
    first = forms.BooleanField(
        required=False,
        label="Try this rule before the others",
        help_text="Rules are tried in order and the first match wins: a rule naming accounts usually goes first.",
    )

    def __init__(self, *args: Any, user: User, territories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = territories
        self.fields["accounts"].queryset = accounts_visible_to(user)

    def chosen_accounts(self) -> list[Account]:
        """The named accounts to show as chosen: the valid ones posted (in the order chosen), else none."""
        if not self.is_bound:
            return []
        ids = [int(v) for v in self.data.getlist(self.add_prefix("accounts")) if str(v).isdigit()]
        found = {a.pk: a for a in self.fields["accounts"].queryset.filter(pk__in=ids).only("pk", "name")}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def conditions(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions = {k: _codes(data[k]) for k in ("countries", "states", "cities", "postal_prefixes", "verticals")}
        conditions["accounts"] = sorted(a.pk for a in data["accounts"])
        as_given = ("revenue_min", "revenue_max", "employees_min", "employees_max", "first")
        return conditions | {k: data[k] for k in as_given}


class TamModelForm(forms.ModelForm):
    class Meta:
        model = TamModel
        fields = ["name", "method", "revenue_share_pct", "price_per_employee", "sam_min_tier", "som_share_pct"]
        labels = {
            "revenue_share_pct": "Share of revenue (%)",
            "som_share_pct": "Obtainable share of the SAM (%)",
            "sam_min_tier": "SAM: ICP tier at or above",
        }
        widgets = {"revenue_share_pct": TrimmedDecimalInput(), "som_share_pct": TrimmedDecimalInput()}


class BandForm(forms.Form):
    """One size band: from how many employees it starts, and the yearly contract value of such an account."""

    min_employees = forms.IntegerField(
        min_value=0,
        label="From employees",
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "placeholder": "e.g. 250"}),
    )
    acv = AmountField(
        min_value=0,
        unit="usd",
        label="Annual contract value",
        widget=AmountInput(attrs={"class": "form-control form-control-sm", "placeholder": "e.g. $60,000"}),
    )


class BaseBandFormSet(forms.BaseFormSet):
    """The TAM model's size bands as rows; stored as ``[{"min_employees": 0, "acv": 15000}, …]``, small to large.

    Every row may be removed or left empty (a formset without initial forms), so ``initial`` only fills the
    rows shown; ``required`` (the contract-value-per-band method is chosen) asks for at least one band."""

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required = required

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return max(len(self.initial or []), 1)  # the saved bands, or one row to start from

    def clean(self) -> None:
        # Every row's problem is said at once: a start given twice is named even while another row is wrong.
        starts: set[int] = set()
        for form in self.forms:
            start = getattr(form, "cleaned_data", {}).get("min_employees")
            if not form.has_changed() or start is None:
                continue
            if start in starts:
                form.add_error("min_employees", f"Another band starts at {start:,} employees too: give each its own.")
            starts.add(start)
        if self.required and not any(form.has_changed() for form in self.forms):
            raise ValidationError("A contract value per size band needs at least one band: add one below.")

    def bands(self) -> list[dict[str, int]]:
        rows = [form.cleaned_data for form in self.forms if form.has_changed()]
        return sorted(
            ({"min_employees": r["min_employees"], "acv": r["acv"]} for r in rows), key=lambda b: b["min_employees"]
        )


BandFormSet = forms.formset_factory(BandForm, formset=BaseBandFormSet, extra=0)


# --- Territory designs ------------------------------------------------------------------------------------


def territory_design_list(request: HttpRequest) -> HttpResponse:
    form = DesignForm(request.POST or None)
    if request.method == "POST":
        require_leader(request, "create a territory design")
        plan = plan_current(request.user)
        if plan is None:
            messages.error(request, "Create a plan first: a territory design belongs to a plan year.")
        elif form.is_valid():
            design = territory_services.design_create(plan=plan, user=request.user, name=form.cleaned_data["name"])
            messages.success(request, "Design created: add regions, areas and territories, then rules.")
            return redirect(design)
    designs, sorting = list_sort(
        request,
        territory_designs_visible_to(request.user),
        columns={"name": "name", "plan": "plan__fiscal_year_start", "status": "status", "applied": "applied_at"},
        default="-plan",
    )
    return render(
        request,
        "segmentation/design_list.html",
        {"page": list_paginate(request, designs), "sorting": sorting, "form": form},
    )


def territory_design_detail(request: HttpRequest, pk: int) -> HttpResponse:
    design = get_object_or_404(territory_designs_visible_to(request.user), pk=pk)
    territories = design.territories.all()
    leaves = territories.filter(level="territory")
    forms_ = {
        "territory_form": TerritoryForm(prefix="t"),
        "rule_form": RuleForm(prefix="r", user=request.user, territories=leaves),
        "rep_form": RepForm(prefix="p"),
    }
    forms_["territory_form"].fields["parent"].queryset = territories.exclude(level="territory")
    forms_["rep_form"].fields["territory"].queryset = leaves
    if request.method == "POST":
        require_leader(request, "change a territory design")
        if request.POST.get("action") != "rule":
            return _design_post(request, design, territories)
        # A rule that cannot be added comes back with what was entered (the named accounts too), and why.
        form = RuleForm(request.POST, prefix="r", user=request.user, territories=leaves)
        if form.is_valid():
            try:
                territory_services.rule_create(
                    design=design, territory=form.cleaned_data["territory"], **form.conditions()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                where = "before the others" if form.cleaned_data.get("first") else "at the end of the list"
                messages.success(request, f"Rule added {where}. {_placement_follows(design)}")
                return redirect(design)
        forms_["rule_form"] = form
    icp = icp_current(request.user, design.plan)
    model = tam_model_of(design.plan) or TamModel(plan=design.plan, name=DEFAULT_TAM_MODEL_NAME)  # read, never written
    stats = territory_stats(design, icp if icp and icp.scored_at else None, model) if design.applied_at else {}
    visible = None if request.user.is_leader else territories_visible_to(request.user)
    tree = territory_tree(design, stats, visible)
    figures = design_figures_for(request.user, design, stats)  # a manager's or rep's: their territories only
    return render(
        request,
        "segmentation/design_detail.html",
        {
            "design": design,
            "tree": tree,
            "figures": figures,
            "scope": None if request.user.is_leader else _scope_label(request.user),
            "balance": territory_services.balance(figures["leaves"]) if figures["whole"] else None,
            "rules": _rules_with_names(design, request.user) if request.user.is_leader else [],
            "model": model,
            "icp": icp,
            **forms_,
        },
    )


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _placement_follows(design: TerritoryDesign) -> str:
    if design.applied_at is None:
        return "Apply the rules to place the accounts."
    return "The accounts are placed again with the new rules in a moment."


def _rules_with_names(design: TerritoryDesign, user: User) -> list[Any]:
    """The design's rules, each with ``named``: its named accounts' names (one query for all the rules)."""
    rules = list(design.rules.select_related("territory"))
    ids = {int(i) for rule in rules for i in rule.accounts}
    names = dict(accounts_visible_to(user).filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for rule in rules:
        rule.named = sorted(names[int(i)] for i in rule.accounts if int(i) in names)
        rule.named_missing = sum(1 for i in rule.accounts if int(i) not in names)
    return rules


def rule_account_search(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: accounts the leader sees whose name holds the text typed, to name in a rule (chosen ones left out)."""
    design = get_object_or_404(territory_designs_visible_to(request.user), pk=pk)
    require_leader(request, "change a territory design")
    text = request.GET.get("account_q", "").strip()
    chosen = [int(v) for v in request.GET.getlist("r-accounts") if v.isdigit()]
    results = []
    if len(text) >= 2:
        results = list(
            accounts_visible_to(request.user)
            .filter(name__icontains=text)
            .exclude(pk__in=chosen)
            .order_by("name", "pk")
            .only("pk", "name", "city", "state")[:_SEARCH_LIMIT]
        )
    context = {"design": design, "text": text, "results": results, "limit": _SEARCH_LIMIT, "excluded": bool(chosen)}
    return render(request, "segmentation/partials/rule_account_results.html", context)


_SEARCH_LIMIT = 8


def rule_account_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the chip of one account chosen for a rule (its hidden id input inside), and the search cleared."""
    design = get_object_or_404(territory_designs_visible_to(request.user), pk=pk)
    require_leader(request, "change a territory design")
    chosen = request.GET.get("account", "")
    if not chosen.isdigit():
        raise Http404("No such account.")
    account = get_object_or_404(accounts_visible_to(request.user).only("pk", "name"), pk=chosen)
    return render(request, "segmentation/partials/rule_account_chosen.html", {"design": design, "a": account})


def _design_post(request: HttpRequest, design: TerritoryDesign, territories: Any) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "territory":
            form = TerritoryForm(request.POST, prefix="t")
            form.fields["parent"].queryset = territories
            if form.is_valid():
                territory_services.territory_create(design=design, **form.cleaned_data)
                messages.success(request, f"{form.cleaned_data['level'].capitalize()} added.")
            else:
                messages.error(request, "Give the territory a level and a name.")
        elif action == "rep":
            form = RepForm(request.POST, prefix="p")
            form.fields["territory"].queryset = territories
            if form.is_valid():
                territory_services.territory_rep_set(**form.cleaned_data)
                messages.success(request, "Rep assigned.")
        elif action == "remove_rule":
            if territory_services.rule_delete(design=design, rule_id=_int_or_none(request.POST.get("rule"))):
                messages.info(request, f"Rule removed. {_placement_follows(design)}")
        elif action == "apply":
            job, _created = job_start(
                kind="territories_apply",
                started_by=request.user,
                params={"design_id": design.pk},
                dedupe_key=f"territories_apply:{design.pk}",
            )
            return redirect(job)
        elif action == "publish":
            territory_services.design_publish(design)
            messages.success(request, "Published: reps now see the accounts of their territories.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(design)


# --- TAM / SAM / SOM ------------------------------------------------------------------------------------------


def tam_overview(request: HttpRequest) -> HttpResponse:
    plan = plan_current(request.user)
    if plan is None:
        return render(request, "segmentation/tam_overview.html", {"plan": None})
    model = tam_model_of(plan)
    if model is None and request.user.is_leader:  # saved by the form's first post, not by opening the page
        model = TamModel(plan=plan, name=DEFAULT_TAM_MODEL_NAME)
    form = TamModelForm(request.POST or None, instance=model)
    # The saved bands fill the rows shown; a posted row is read on its own (a row removed sends nothing).
    saved = model.bands if model and request.method != "POST" else None
    bands = BandFormSet(request.POST or None, initial=saved, prefix="bands")
    if request.method == "POST":
        require_leader(request, "size the market")
        bands.required = form.is_valid() and form.cleaned_data["method"] == TamModel.Method.ACV_BY_BAND
        if form.is_valid() and bands.is_valid():
            model = form.save(commit=False)
            model.bands = bands.bands()
            model.save()
            icp = icp_current(request.user, plan)
            job, _created = job_start(
                kind="tam_run",
                started_by=request.user,
                params={
                    "model_id": model.pk,
                    "icp_id": icp.pk if icp and icp.scored_at else None,
                    "user_id": request.user.pk,
                },
                dedupe_key=f"tam_run:{model.pk}",
            )
            return redirect(job)
    runs = tam_runs_listed_for(request.user, plan)
    return render(
        request,
        "segmentation/tam_overview.html",
        {
            "plan": plan,
            "form": form,
            "bands": bands,
            "runs": runs,
            "model": model,
            "scope": None if request.user.is_leader else _scope_label(request.user),
        },
    )


def _funnel(figures: TamFigures | TamRun, whole: bool) -> str:
    values = [figures.tam, figures.sam, figures.som]
    figure = go.Figure(
        go.Funnel(
            y=[f"TAM · {'all accounts' if whole else 'your accounts'}", "SAM · fit the ICP", "SOM · we can win"],
            x=[float(v) for v in values],
            text=[usd(v) for v in values],
            textinfo="text",
            hovertemplate="%{y}: %{text}<extra></extra>",
            marker={"color": ["#6c757d", "#0d6efd", "#198754"]},
        )
    )
    return chart_html(figure, height=260)


def _treemap(rows: list[TamBreakdown]) -> str:
    verticals: dict[str, float] = {}
    for r in rows:
        verticals[r.key] = verticals.get(r.key, 0) + float(r.tam)
    figure = go.Figure(
        go.Treemap(
            labels=[*verticals, *(f"{r.key2} · {r.key}" for r in rows)],
            parents=["" for _ in verticals] + [r.key for r in rows],
            values=[*verticals.values(), *(float(r.tam) for r in rows)],
            branchvalues="total",
            texttemplate="%{label}<br>%{customdata}",
            customdata=[usd(v) for v in verticals.values()] + [usd(r.tam) for r in rows],
            hovertemplate="%{label}: %{customdata}<extra></extra>",
        )
    )
    return chart_html(figure, height=420)


def _bars(rows: list[TamBreakdown]) -> str:
    figure = go.Figure()
    for name, color in (("TAM", "#adb5bd"), ("SAM", "#0d6efd"), ("SOM", "#198754")):
        values = [float(getattr(r, name.lower())) for r in rows]
        figure.add_bar(
            name=name,
            x=[r.key for r in rows],
            y=values,
            marker_color=color,
            customdata=[usd(v) for v in values],
            hovertemplate=f"%{{x}}: %{{customdata}}<extra>{name}</extra>",
        )
    figure.update_layout(barmode="group")
    figure.update_xaxes(title_text="Employees")
    figure.update_yaxes(title_text="$ per year", **money_axis(float(r.tam) for r in rows))
    return chart_html(figure, height=300)


def _scope_label(user: User) -> str:
    """What the figures of a manager's or rep's market pages cover."""
    return "your territories" if user.is_rep else "your team's territories"


_SIZE_ORDER = ["1–49", "50–249", "250–999", "1,000–4,999", "5,000+", "Unknown"]


def tam_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(tam_runs_visible_to(request.user), pk=pk)
    report = tam_report_for(request.user, run)  # a manager's or rep's part of it: their accounts
    breakdowns = report.breakdowns
    by: dict[str, list[TamBreakdown]] = {}
    for row in breakdowns:
        by.setdefault(row.dimension, []).append(row)
    for row in by.get("segment", []):
        row.key = dict(Lifecycle.choices).get(row.key, row.key)  # shown and exported as on the page, not saved
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        return _tam_export(run, breakdowns, export)
    compare = None
    if request.GET.get("compare"):
        compare = tam_runs_visible_to(request.user).filter(pk=request.GET["compare"]).first()
        if compare is not None:
            compare.figures = tam_report_for(request.user, compare, totals_only=True).figures
    sizes = sorted(by.get("size", []), key=lambda r: _SIZE_ORDER.index(r.key) if r.key in _SIZE_ORDER else 99)
    tables = [(TamBreakdown.Dimension(d).label, by.get(d, [])) for d in ("vertical", "region", "size", "segment")]
    return render(
        request,
        "segmentation/tam_run.html",
        {
            "run": run,
            "report": report,
            "scope": None if report.whole else _scope_label(request.user),
            "figures": report.figures,
            "changed_since": tam_run_changed_since(run),
            "compare": compare,
            "others": tam_runs_visible_to(request.user).exclude(pk=run.pk)[:20],
            "funnel": _funnel(report.figures, report.whole),
            "treemap": _treemap(by.get("vertical_region", [])),
            "sizes": _bars(sizes),
            "tables": [(label, sizes if label == "Size band" else rows) for label, rows in tables],
            "print": request.GET.get("print") == "1",
        },
    )


def _tam_export(run: TamRun, rows: list[TamBreakdown], file_format: str) -> HttpResponse:
    header = ["Dimension", "Value", "Region", "Accounts", "SAM accounts", "TAM $", "SAM $", "SOM $"]
    body = [
        [
            TamBreakdown.Dimension(r.dimension).label,
            r.key,
            r.key2,
            r.accounts,
            r.sam_accounts,
            int(r.tam),
            int(r.sam),
            int(r.som),
        ]
        for r in rows
    ]
    name = f"tam-{run.created_at:%Y-%m-%d-%H%M}"
    if file_format == "csv":
        return csv_response(filename=f"{name}.csv", header=header, rows=body)
    buffer = io.BytesIO()
    xlsx_write(target=buffer, header=header, rows=body, title="TAM SAM SOM")
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"{name}.xlsx")


# --- Prioritized lists -----------------------------------------------------------------------------------------

PRIORITY_SORT = {
    "rank": ("rank_territory",), "name": "account__name", "score": "score", "potential": "potential",
    "tier": ("tier", "-score"), "city": ("account__state", "account__city"), "strategy": ("strategy", "rank_territory"),
}  # fmt: skip
PRIORITY_LISTS = {
    PriorityList.RANKED: ("Ranked growth targets", "Acquire, Grow and Reactivate accounts that fit the ICP (tier in "
                          "force {tiers}), ranked by ICP score, then $ potential."),
    PriorityList.KEEP: ("Retain and retire", "Accounts whose strategy is to retain or retire them: served apart, "
                        "largest potential first, not ranked among the growth targets."),
    PriorityList.NEEDS_DATA: ("Needs data", "Growth targets with too little known to rate them: find out what "
                              "each row names, and the account can join the ranked list. Largest potential first."),
}  # fmt: skip


def _to_rate(icp: IdealCustomerProfile, criteria: list, rows: list[AccountPriority]) -> None:
    """Set ``to_rate`` (what to find out, by weight) and ``coverage`` on a page of needs-data rows: one query."""
    scores = dict(
        AccountScore.objects.filter(icp=icp, account_id__in=[r.account_id for r in rows]).values_list(
            "account_id", "points"
        )
    )
    for row in rows:
        outlook = score_outlook(icp, criteria, scores.get(row.account_id) or [])
        row.to_rate = [m.find_out for m in outlook.get("to_rate", [])]
        row.coverage = round(outlook.get("coverage", 0))


def _priority_rows(qs: Any, run: PriorityRun | None, listed: str) -> Any:
    """The rows of an export, in chunks (a needs-data chunk reads its scores once)."""
    criteria = list(run.icp.criteria.all()) if run else []
    chunk: list[AccountPriority] = []
    for p in qs.iterator(chunk_size=2000):
        chunk.append(p)
        if len(chunk) == 2000:
            if listed == PriorityList.NEEDS_DATA:
                _to_rate(run.icp, criteria, chunk)
            yield from chunk
            chunk = []
    if chunk and listed == PriorityList.NEEDS_DATA:
        _to_rate(run.icp, criteria, chunk)
    yield from chunk


def _tier_text(tier: str) -> str:
    return "Needs data" if tier == NEEDS_DATA else tier


class RankPaginator(Paginator):
    """Pages of one territory's list in its own order, found by their numbers (``rank_territory`` runs 1, 2, …
    on each list of each territory): an index seek for any page, where OFFSET would read every row before it."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list.filter(rank_territory__gt=bottom, rank_territory__lte=bottom + self.per_page)
        return self._get_page(list(rows), number, self)


def _scope_leaves(territory: Territory) -> list[int]:
    """The leaf territories in a territory, an area or a region."""
    leaves = Territory.objects.filter(design_id=territory.design_id, level=Territory.Level.TERRITORY)
    inside = Q(pk=territory.pk) | Q(parent=territory) | Q(parent__parent=territory)
    return list(leaves.filter(inside).values_list("pk", flat=True))


def _priority_page(
    request: HttpRequest,
    qs: Any,
    run: PriorityRun | None,
    leaves: list[int] | None,
    rank_field: str,
    count: int,
    *,
    plain: bool,
    mine: list[int] | None,
) -> Page:
    """The page asked for: by rank numbers when the list is one territory's, unfiltered and in its own order
    (a rep's usual view), else through the shared paginator. ``mine``: the user's leaf territories (None: all)."""
    if plain and run is not None and rank_field == "rank_territory":
        scope = set(leaves if leaves is not None else (mine or []))
        if mine is not None:
            scope &= set(mine)
        if len(scope) == 1 and run.design_id == territory_design_published_id():
            per_page = 50
            with contextlib.suppress(ValueError):
                per_page = int(request.GET.get("per_page", per_page))
            per_page = per_page if per_page in PER_PAGE_CHOICES else 50
            return RankPaginator(qs, per_page, count=count).get_page(request.GET.get("page"))
    return list_paginate(request, qs)


def my_territory(request: HttpRequest) -> HttpResponse:
    plan = plan_current(request.user)
    run = priority_run_latest(plan) if plan else None
    mine = priority_territory_ids(request.user)
    qs = (
        priorities_visible_to(request.user, plan, run=run, territory_ids=mine)
        if plan
        else AccountPriority.objects.none()
    )
    territories = territories_visible_to(request.user).filter(design__status="published")
    listed = request.GET.get("list", PriorityList.RANKED)
    if listed not in PRIORITY_LISTS:
        listed = PriorityList.RANKED
    scope = request.GET.get("territory", "")
    rank_field, leaves = "rank_territory", None
    refused = []  # filters asked for that are not applied, said on the page (see partials/filter_refused.html)
    if scope:
        chosen = territories.filter(pk=scope).first() if scope.isdigit() else None
        if chosen is not None:
            field = {"territory": "territory_id", "area": "area_id", "region": "region_id"}[chosen.level]
            qs = qs.filter(**{field: chosen.pk})
            leaves = _scope_leaves(chosen)
            if listed == PriorityList.RANKED:  # the lists apart are numbered in their territory only
                rank_field = {"territory": "rank_territory", "area": "rank_area", "region": "rank_region"}[chosen.level]
        else:
            refused.append("You can't see that territory; the “Territory” filter was not applied.")
    counts = priority_list_counts(request.user, run, qs, leaves=leaves, territory_ids=mine)
    qs = qs.filter(list=listed)
    filtered = False
    tier = request.GET.get("tier", "")
    if tier in {t for t, _label in SCORE_TIERS}:
        qs, filtered = qs.filter(tier=tier), True
    elif tier:
        refused.append(f"“{tier}” is not a tier (A, B, C, D or Needs data); the “Tier” filter was not applied.")
    search = request.GET.get("q", "").strip()
    if search:
        qs, filtered = qs.filter(Q(account__name__icontains=search) | Q(account__city__icontains=search)), True
    # Ranked: the best of every territory first (rank 1s, then 2s …). Apart: territory by territory, each in
    # its own order, which the (run, list, territory, rank) index reads as it is, however long the list.
    order = (rank_field, "territory_id") if listed == PriorityList.RANKED else ("territory_id", "rank_territory")
    columns = {**PRIORITY_SORT, "rank": order}
    qs, sorting = list_sort(request, qs, columns=columns, default="rank")
    if request.GET.get("export") == "csv":
        header = [
            "Rank" if listed == PriorityList.RANKED else "# in territory",
            "Company",
            "City",
            "State",
            "Tier in force",
            "Computed tier",
            "Score",
            "$ potential",
            "Strategy",
            "Strategy chosen",
            "Lifecycle",
            "Territory",
        ]
        if listed == PriorityList.NEEDS_DATA:
            header += ["Known %", "To rate it, find out"]
        rows = (
            [getattr(p, rank_field), p.account.name, p.account.city, p.account.state, _tier_text(p.tier),
             _tier_text(p.computed_tier), p.score, p.potential, Strategy(p.strategy).label if p.strategy else "",
             "yes" if p.strategy_chosen else "suggested", p.account.get_lifecycle_display(), p.territory.name,
             *([p.coverage, "; ".join(p.to_rate)] if listed == PriorityList.NEEDS_DATA else [])]
            for p in _priority_rows(qs, run, listed)
        )  # fmt: skip
        name = {"rank": "territory-priorities", "keep": "territory-retain-retire", "data": "territory-needs-data"}
        return csv_response(filename=f"{name[listed]}.csv", header=header, rows=rows)
    plain = not filtered and sorting.param == "rank"
    page = _priority_page(request, qs, run, leaves, rank_field, counts.get(listed, 0), plain=plain, mine=mine)
    if listed == PriorityList.NEEDS_DATA and run is not None:
        _to_rate(run.icp, list(run.icp.criteria.all()), list(page.object_list))
    inputs = priority_inputs(plan) if plan and request.user.is_leader else None
    # The ranked list holds the SAM's tiers of the model it was ranked with (A and B by default).
    ranked_tiers = sam_tiers(run.tam_model) if run is not None and run.tam_model else ["A", "B"]
    return render(
        request,
        "segmentation/my_territory.html",
        {
            "plan": plan,
            "run": run,
            "page": page,
            "sorting": sorting,
            "rank_field": rank_field,
            "list": listed,
            "lists": [
                (key, label, help_text.format(tiers=" or ".join(ranked_tiers)), counts.get(key, 0))
                for key, (label, help_text) in PRIORITY_LISTS.items()
            ],
            "list_help": PRIORITY_LISTS[listed][1].format(tiers=" or ".join(ranked_tiers)),
            "ranked_tiers": ranked_tiers,
            "strategies": dict(Strategy.choices),
            "territories": territories.order_by("level", "name"),
            "tiers": SCORE_TIERS,
            "can_run": inputs is not None,
            "has_run": run is not None,
            "refused_filters": refused,
        },
    )


@require_POST
def prioritize_start(request: HttpRequest) -> HttpResponse:
    require_leader(request, "prioritize the accounts")
    plan = get_object_or_404(plans_visible_to(request.user), pk=request.POST.get("plan"))
    if priority_inputs(plan) is None:
        messages.error(request, "Prioritizing needs placed territories and a published, scored ICP for this plan.")
        return redirect("my_territory")
    job, _created = job_start(
        kind="prioritize", started_by=request.user, params={"plan_id": plan.pk}, dedupe_key=f"prioritize:{plan.pk}"
    )
    return redirect(job)

"""HTTP views of what an import did: the accounts it changed (before → after, territory moves), the
possible duplicates the leader resolves, and its undo. Leader-only, like imports: every read goes through a
scoped selector, so anyone else meets a 404."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import (
    Account,
    AccountImport,
    AccountTerritory,
    ImportChange,
    ImportLedger,
    Lifecycle,
    Ownership,
    PossibleDuplicate,
    Vertical,
)
from accounts.placement import account_territories_by_rules
from accounts.selectors import import_changes_visible_to, imports_visible_to, possible_duplicates_visible_to
from accounts.services.import_review import column_changed, possible_duplicate_resolve
from accounts.services.import_undo import account_import_undo_plan, account_import_undo_start
from salesplan.exports import csv_response
from salesplan.filters import StyledFilterSet
from salesplan.listing import list_paginate, list_sort
from salesplan.models import Territory, User
from salesplan.redirects import next_url_or
from salesplan.selectors import territory_design_published_id
from salesplan.services.jobs import JobError
from salesplan.templatetags.salesplan_tags import num, usd

# The tracked columns as people name them (the normalized name is bookkeeping, never shown).
COLUMN_LABELS = {
    "name": "Name", "website": "Website", "industry": "Industry", "annual_revenue": "Revenue",
    "employees": "Employees", "country": "Country", "state": "State", "city": "City", "postal_code": "Postal code",
    "ownership": "Ownership", "ticker": "Ticker", "founded_year": "Founded", "lifecycle": "Lifecycle",
    "current_sales": "Our sales", "wallet": "Category spend", "owner_id": "Owner", "domain": "Domain",
    "vertical_id": "Vertical", "parent_id": "Parent company",
}  # fmt: skip
_MONEY = {"annual_revenue", "current_sales", "wallet"}


def _leader_only(request: HttpRequest) -> None:
    # Others meet the same 404 as for any object they may not see.
    if not request.user.is_leader:
        raise Http404


# --- Values as people read them --------------------------------------------------------------------


class _Names:
    """The names behind the ids a page shows (owners, verticals, parent companies, territories), each
    kind read in one query."""

    def __init__(self, ids: dict[str, set[int]]) -> None:
        self.owner_id = {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids["owner_id"])}
        self.vertical_id = dict(Vertical.objects.filter(pk__in=ids["vertical_id"]).values_list("pk", "name"))
        self.parent_id = dict(Account.objects.filter(pk__in=ids["parent_id"]).values_list("pk", "name"))
        self.territory = dict(Territory.objects.filter(pk__in=ids["territory"]).values_list("pk", "name"))

    def show(self, column: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if column in _MONEY:
            return usd(value)
        if column == "employees":
            return num(value)
        if column == "founded_year":
            return str(value)
        if column == "lifecycle":
            return Lifecycle(value).label if value in Lifecycle.values else str(value)
        if column == "ownership":
            return Ownership(value).label if value in Ownership.values else str(value)
        if column in {"owner_id", "vertical_id", "parent_id"}:
            return getattr(self, column).get(int(value), f"#{value} (deleted)")
        return str(value)


def _change_rows(changes: list[ImportChange]) -> list[dict[str, Any]]:
    ids: dict[str, set[int]] = {"owner_id": set(), "vertical_id": set(), "parent_id": set(), "territory": set()}
    for change in changes:
        for column, before, after in change.changed_fields():
            if column in ids:
                ids[column].update(v for v in (before, after) if v is not None)
        ids["territory"].update(t for t in (change.territory_before_id, change.territory_after_id) if t)
    names = _Names(ids)
    rows = []
    for change in changes:
        rows.append(
            {
                "change": change,
                "name": change.account.name if change.account else change.after_name,
                "exists": change.account is not None,
                "fields": [
                    (COLUMN_LABELS[column], names.show(column, before), names.show(column, after))
                    for column, before, after in change.changed_fields()
                ],
                "territory_before": names.territory.get(change.territory_before_id, "Unassigned"),
                "territory_after": names.territory.get(change.territory_after_id, "Unassigned"),
            }
        )
    return rows


def import_change_summary(account_import: AccountImport, ledger: ImportLedger, user: User) -> dict[str, Any]:
    """What the report shows of the changed accounts: how many (per field, and moving territory, as the
    import counted them), and the first few with their changes, the moving ones first."""
    changes = import_changes_visible_to(user).filter(account_import=account_import)
    first = list(changes.filter(territory_moves=True).order_by("pk")[:10])
    first += list(changes.filter(territory_moves=False).order_by("pk")[: 10 - len(first)])
    fields = ledger.change_counts.get("fields", {})
    return {
        "total": ledger.change_counts.get("total", 0),
        "moves": ledger.territory_moves or 0,
        "per_field": [(COLUMN_LABELS[c], n) for c, n in sorted(fields.items(), key=lambda i: -i[1])],
        "rows": _change_rows(first) if user.is_leader else [],
    }


# --- The accounts an import changed ---------------------------------------------------------------


class ImportChangeFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Account name"})
    )
    moves = django_filters.ChoiceFilter(
        choices=[("yes", "Changes territory"), ("no", "Stays where it is")],
        method="by_moves",
        empty_label="Moving or not",
        label="Territory",
    )
    field = django_filters.ChoiceFilter(
        choices=list(COLUMN_LABELS.items()), method="by_field", empty_label="Any field", label="Field changed"
    )

    class Meta:
        model = ImportChange
        fields = ["q", "moves", "field"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(account__name__icontains=value) | Q(after_name__icontains=value))

    def by_moves(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(territory_moves=value == "yes")

    def by_field(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(column_changed(value))


def account_import_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Every account the import changed, each changed field before → after, and its territory move."""
    _leader_only(request)
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    changes = import_changes_visible_to(request.user).filter(account_import=account_import)
    flt = ImportChangeFilter(request.GET or None, queryset=changes)
    qs, sorting = list_sort(
        request,
        flt.qs,
        columns={"name": "after_name", "moves": ("territory_moves", "after_name"), "action": "action"},
        default="-moves",
    )
    if request.GET.get("export") == "csv":
        return _changes_csv(account_import, qs)
    page = list_paginate(request, qs)
    ledger = ImportLedger.objects.filter(account_import=account_import).select_related("territory_design").first()
    return render(
        request,
        "accounts/import_changes.html",
        {
            "imp": account_import,
            "ledger": ledger,
            "filter": flt,
            "sorting": sorting,
            "page": page,
            "rows": _change_rows(list(page.object_list)),
        },
    )


def _changes_csv(account_import: AccountImport, changes: QuerySet[ImportChange]) -> HttpResponse:
    """The list as it is filtered and sorted, one line per account (names looked up a chunk at a time)."""

    def lines(rows: list[ImportChange]) -> list[list[object]]:
        return [
            [
                row["change"].account_id,
                row["name"],
                "; ".join(f"{label}: {before} → {after}" for label, before, after in row["fields"]),
                row["territory_before"] if row["change"].territory_moves else "",
                row["territory_after"] if row["change"].territory_moves else "",
            ]
            for row in _change_rows(rows)
        ]

    def rows():
        chunk: list[ImportChange] = []
        for change in changes.iterator(chunk_size=2_000):
            chunk.append(change)
            if len(chunk) == 2_000:
                yield from lines(chunk)
                chunk = []
        yield from lines(chunk)

    return csv_response(
        filename=f"import-{account_import.pk}-changes.csv",
        header=["Account id", "Account", "Changes (before → after)", "Territory before", "Territory after"],
        rows=rows(),
    )


# --- Possible duplicates --------------------------------------------------------------------------


class PossibleDuplicateFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Company name"})
    )
    status = django_filters.ChoiceFilter(
        choices=[*PossibleDuplicate.Status.choices, ("all", "All")],
        method="by_status",
        empty_label=None,
        label="Status",
    )
    account_import = django_filters.ModelChoiceFilter(
        queryset=AccountImport.objects.none(), empty_label="Any import", label="Import"
    )

    class Meta:
        model = PossibleDuplicate
        fields = ["q", "status", "account_import"]

    def __init__(self, *args: object, imports: QuerySet[AccountImport], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["account_import"].queryset = imports

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(row_name__icontains=value) | Q(account__name__icontains=value) | Q(existing__name__icontains=value)
        )

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(status=value)


_SIDE_BY_SIDE = [
    ("Domain", "domain"), ("City", "city"), ("State", "state"), ("Country", "country"),
    ("Postal code", "postal_code"), ("Industry", "industry"), ("Revenue", "annual_revenue"),
    ("Employees", "employees"), ("Lifecycle", "lifecycle"), ("Owner", "owner_id"),
]  # fmt: skip


def _pair_rows(pairs: list[PossibleDuplicate]) -> list[dict[str, Any]]:
    """Each pair field by field: what the file's row said (what a merge would write) beside the account it
    may be, the fields that differ marked; and the territory of each under the published design (the new
    record's by the design's rules, as it will be placed)."""
    owners = {p.row_owner_id for p in pairs if p.row_owner_id} | {p.existing.owner_id for p in pairs}
    names = _Names({"owner_id": owners - {None}, "vertical_id": set(), "parent_id": set(), "territory": set()})
    new_ids = [p.account_id for p in pairs if p.account_id]
    by_rules = account_territories_by_rules(new_ids)
    placed: dict[int, str] = {}
    if by_rules is not None:
        placed = dict(
            AccountTerritory.objects.filter(
                design_id=territory_design_published_id(), account__in=[p.existing_id for p in pairs]
            ).values_list("account_id", "territory__name")
        )
        names.territory = dict(
            Territory.objects.filter(pk__in=set(by_rules.values()) - {None}).values_list("pk", "name")
        )
    rows = []
    for pair in pairs:
        fields = []
        for label, column in _SIDE_BY_SIDE:
            mine, theirs = getattr(pair, f"row_{column}"), getattr(pair.existing, column)
            fields.append(
                {
                    "label": label,
                    "new": names.show(column, mine),
                    "existing": names.show(column, theirs),
                    "differs": bool(mine) and bool(theirs) and str(mine).lower() != str(theirs).lower(),
                }
            )
        if by_rules is not None:
            mine = names.territory.get(by_rules.get(pair.account_id), "Unassigned") if pair.account_id else "—"
            theirs = placed.get(pair.existing_id, "Unassigned")
            fields.append({"label": "Territory", "new": mine, "existing": theirs, "differs": mine not in {theirs, "—"}})
        rows.append({"pair": pair, "new_name": pair.account.name if pair.account else pair.row_name, "fields": fields})
    return rows


def possible_duplicate_list(request: HttpRequest) -> HttpResponse:
    """The review screen: each possible duplicate side by side, answered "same company" or "two companies"."""
    _leader_only(request)
    imports = imports_visible_to(request.user).filter(possible_duplicates__isnull=False).distinct()
    data = request.GET.copy()
    data.setdefault("status", PossibleDuplicate.Status.OPEN)
    pairs = possible_duplicates_visible_to(request.user)
    flt = PossibleDuplicateFilter(data, queryset=pairs, imports=imports.order_by("-created_at"))
    qs, sorting = list_sort(
        request,
        flt.qs,
        columns={"import": ("account_import_id", "row"), "name": "row_name", "status": "status"},
        default="-import",
    )
    if request.GET.get("export") == "csv":
        return _pairs_csv(qs)
    page = list_paginate(request, qs, per_page=25)
    open_count = pairs.filter(status=PossibleDuplicate.Status.OPEN).count()
    return render(
        request,
        "accounts/possible_duplicates.html",
        {
            "filter": flt,
            "sorting": sorting,
            "page": page,
            "rows": _pair_rows(list(page.object_list)),
            "open_count": open_count,
            "status": flt.form.cleaned_data.get("status") if flt.form.is_valid() else "open",
            "chosen_import": flt.form.cleaned_data.get("account_import") if flt.form.is_valid() else None,
        },
    )


def _pairs_csv(pairs: QuerySet[PossibleDuplicate]) -> HttpResponse:
    rows = (
        (
            p.account_import_id,
            p.row,
            p.account.name if p.account else p.row_name,
            p.row_city or "",
            p.row_state or "",
            p.existing.name,
            p.existing.city,
            p.existing.state,
            p.reason,
            p.get_status_display(),
        )
        for p in pairs.iterator(chunk_size=2_000)
    )
    return csv_response(
        filename="possible-duplicates.csv",
        header=[
            "Import",
            "Row",
            "Company in the file",
            "City",
            "State",
            "Account it may be",
            "Its city",
            "Its state",
            "Why",
            "Status",
        ],
        rows=rows,
    )


@require_POST
def possible_duplicate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _leader_only(request)
    duplicate = get_object_or_404(possible_duplicates_visible_to(request.user), pk=pk)
    decision = request.POST.get("decision")
    if decision not in {"same", "different"}:
        messages.error(request, "Choose “same company” or “two companies”.")
    else:
        try:
            possible_duplicate_resolve(duplicate=duplicate, same=decision == "same", user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            name = duplicate.existing.name
            messages.success(
                request,
                f"Merged row {duplicate.row} into “{name}”."
                if decision == "same"
                else f"Kept row {duplicate.row} and “{name}” as two companies.",
            )
    return redirect(next_url_or(request, reverse("possible_duplicate_list")))


# --- Undo -----------------------------------------------------------------------------------------


def account_import_undo_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's undo panel (loaded after the page: counting what can be undone reads every account
    the import wrote)."""
    _leader_only(request)
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    ledger = ImportLedger.objects.filter(account_import=account_import).select_related("undo_job", "undone_by").first()
    running = ledger is not None and ledger.undo_job is not None and ledger.undo_job.is_active
    plan = None if running or (ledger and ledger.undone_at) else account_import_undo_plan(account_import=account_import)
    return render(
        request, "accounts/partials/import_undo.html", {"imp": account_import, "ledger": ledger, "plan": plan}
    )


@require_POST
def account_import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    _leader_only(request)
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    try:
        job = account_import_undo_start(account_import=account_import, user=request.user)
    except JobError as exc:
        messages.error(request, str(exc))
        return redirect(account_import)
    return redirect(job)

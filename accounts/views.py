"""HTTP views of accounts: the scoped list with filters and export, and the account page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.filters import AccountFilter
from accounts.selectors import accounts_summary, accounts_visible_to
from salesplan.exports import csv_response
from salesplan.listing import list_paginate, list_sort

ACCOUNT_COLUMNS = {
    "name": "name",
    "industry": "industry",
    "revenue": "annual_revenue",
    "employees": "employees",
    "location": ("state", "city"),
    "lifecycle": "lifecycle",
    "sales": "current_sales",
    "wallet": "wallet",
    "owner": "owner__last_name",
}
EXPORT_HEADER = [
    "Name",
    "Domain",
    "Website",
    "Industry",
    "Annual revenue (USD)",
    "Employees",
    "Country",
    "State",
    "City",
    "Postal code",
    "Ownership",
    "Ticker",
    "Founded",
    "Lifecycle",
    "Current sales (USD)",
    "Wallet (USD)",
    "Owner",
    "Source",
]
_EXPORT_FIELDS = [
    "name",
    "domain",
    "website",
    "industry",
    "annual_revenue",
    "employees",
    "country",
    "state",
    "city",
    "postal_code",
    "ownership",
    "ticker",
    "founded_year",
    "lifecycle",
    "current_sales",
    "wallet",
    "owner__username",
    "source",
]


def account_list(request: HttpRequest) -> HttpResponse:
    filterset = AccountFilter(request.GET, queryset=accounts_visible_to(request.user), user=request.user)
    qs, sorting = list_sort(request, filterset.qs, columns=ACCOUNT_COLUMNS, default="name")
    if request.GET.get("export") == "csv":
        rows = qs.values_list(*_EXPORT_FIELDS).iterator(chunk_size=2_000)
        return csv_response(filename="accounts.csv", header=EXPORT_HEADER, rows=rows)
    return render(
        request,
        "accounts/account_list.html",
        {
            "page": list_paginate(request, qs.select_related("owner")),
            "filter": filterset,
            "sorting": sorting,
            "summary": accounts_summary(filterset.qs),
            "has_any": accounts_visible_to(request.user).exists(),
        },
    )


def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(accounts_visible_to(request.user).select_related("owner", "owner__team"), pk=pk)
    return render(request, "accounts/account_detail.html", {"account": account})

"""Template helpers for list pages and figures."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str, align: str = "") -> str:
    """A column header that sorts by ``key`` and toggles direction, keeping the other filters."""
    request = context["request"]
    sorting = context.get("sorting")
    params = request.GET.copy()
    params.pop("page", None)
    active = sorting is not None and sorting.key == key
    params["sort"] = f"-{key}" if active and not sorting.descending else key
    if active:
        icon = "bi-caret-down-fill" if sorting.descending else "bi-caret-up-fill"
        aria = "descending" if sorting.descending else "ascending"
    else:
        icon, aria = "bi-arrow-down-up text-body-tertiary", "none"
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}">'
        '<a class="sort-link" href="?{}">{} <i class="bi {}" aria-hidden="true"></i></a></th>',
        align,
        aria,
        params.urlencode(),
        label,
        icon,
    )


@register.filter
def usd(value: Any) -> str:
    """Whole dollars in a compact form: $1.2B, $36.9M, $850K, $900; an unknown figure shows a dash."""
    if value is None or value == "":
        return "—"
    amount = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= limit:
            return f"${amount / limit:,.1f}{suffix}"
    return f"${amount:,.0f}"


@register.filter
def num(value: Any) -> str:
    """A count with thousands separators; an unknown count shows a dash."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{int(digits)}f}%"


@register.filter
def get_item(mapping: dict, key: str) -> Any:
    """``mapping|get_item:key`` — a dict lookup by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("partials/freshness.html", takes_context=True)
def freshness(context: dict[str, Any], step: str, pk: Any) -> dict[str, Any]:
    """``{% freshness "score" icp.pk %}``: when a derived result was computed, and whether it is being
    brought up to date (polled while it is). Renders nothing for a result that does not exist."""
    from salesplan.services.freshness import derived_freshness

    request = context.get("request")
    return {
        "freshness": derived_freshness(f"{step}:{pk}") if pk else None,
        "user": context.get("user"),
        "page_url": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }

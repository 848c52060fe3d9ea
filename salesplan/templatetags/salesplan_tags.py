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


_COMPACT_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


@register.filter
def usd(value: Any) -> str:
    """Whole dollars in a compact form: $1.5B, $36.9M, $250K, $900 (a round figure drops its “.0”, and a
    figure that rounds up to the next unit takes it: $999,960 is $1M, not $1,000.0K); unknown shows a dash."""
    if value is None or value == "":
        return "—"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for limit, suffix in _COMPACT_UNITS:
        if amount >= limit * 0.99995:
            figure = f"{amount / limit:,.1f}".removesuffix(".0")
            return f"{sign}${figure}{suffix}"
    return f"{sign}${amount:,.0f}"


@register.filter
def usd_full(value: Any) -> str:
    """Whole dollars in full, for figures a person types or checks to the dollar: $250,000."""
    if value is None or value == "":
        return "—"
    amount = round(float(value))
    return f"-${-amount:,}" if amount < 0 else f"${amount:,}"


@register.filter
def num(value: Any) -> str:
    """A count with thousands separators; an unknown count shows a dash."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


@register.filter
def year(value: Any) -> str:
    """A year as people write it, never with a thousands separator (2002, not 2,002)."""
    if value is None or value == "":
        return "—"
    return str(int(value))


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{int(digits)}f}%"


MEASURES = {"usd": usd, "count": num, "year": year}


@register.filter
def measure(value: Any, unit: str) -> str:
    """``value`` shown in its unit ("usd", "count" or "year", as segmentation.scoring.RANGE_FIELDS name them)."""
    return MEASURES.get(unit, num)(value)


@register.filter
def get_item(mapping: dict, key: str) -> Any:
    """``mapping|get_item:key`` — a dict lookup by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("partials/freshness.html", takes_context=True)
def freshness(context: dict[str, Any], step: str, pk: Any = None) -> dict[str, Any]:
    """``{% freshness "score" icp.pk %}``: when a derived result was computed, and whether it is being
    brought up to date (polled while it is); ``{% freshness "all" %}`` for every result at once. Renders
    nothing for a result that does not exist."""
    from salesplan.services.freshness import ALL_KEY, derived_freshness

    request = context.get("request")
    key = ALL_KEY if step == ALL_KEY else (f"{step}:{pk}" if pk else None)
    return {
        "freshness": derived_freshness(key) if key else None,
        "user": context.get("user"),
        "page_url": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }

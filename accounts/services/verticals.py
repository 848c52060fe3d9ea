"""The managed list of verticals and the mapping of industries onto them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower

from accounts.models import Account, IndustryMapping, Vertical
from accounts.selectors import accounts_data_changed


def vertical_create(*, name: str, description: str = "") -> Vertical:
    vertical = Vertical(name=name.strip(), description=description.strip())
    vertical.full_clean()
    vertical.save()
    return vertical


@transaction.atomic
def industry_map(*, mapping: IndustryMapping, vertical: Vertical | None) -> int:
    """Put an industry in a vertical (or take it out); every account of that industry follows at once."""
    mapping.vertical = vertical
    mapping.save(update_fields=["vertical"])
    moved = (
        Account.objects.annotate(industry_key=Lower("industry"))
        .filter(industry_key=mapping.industry_key)
        .exclude(Q(vertical=vertical) if vertical else Q(vertical__isnull=True))
        .update(vertical=vertical)
    )
    if moved:
        accounts_data_changed()  # scores and placements read the vertical
    return moved


@transaction.atomic
def industry_mappings_refresh() -> int:
    """Add the industries accounts carry that the list lacks (unmapped), and give accounts their vertical."""
    known = set(IndustryMapping.objects.values_list("industry_key", flat=True))
    found = (
        Account.objects.exclude(industry="")
        .annotate(industry_key=Lower("industry"))
        .values_list("industry_key", "industry")
        .distinct()
    )
    new = {key: industry for key, industry in found if key not in known}
    IndustryMapping.objects.bulk_create(
        [IndustryMapping(industry_key=key, industry=industry) for key, industry in new.items()], ignore_conflicts=True
    )
    # One set-based UPDATE: every account takes the vertical its industry maps to.
    mapped_vertical = IndustryMapping.objects.filter(industry_key=Lower(OuterRef("industry"))).values("vertical")[:1]
    moved = (
        Account.objects.exclude(industry="")
        .annotate(mapped=Subquery(mapped_vertical))
        .exclude(vertical=F("mapped"))
        .filter(mapped__isnull=False)
        .update(vertical=Subquery(mapped_vertical))
    )
    if moved:
        accounts_data_changed()
    return moved

"""Sorting that every list shares (salesplan.listing)."""

from __future__ import annotations

import pytest

from salesplan.listing import sort_queryset
from salesplan.models import User

pytestmark = pytest.mark.django_db

COLUMNS = {"role": ("role", "-username"), "name": "last_name"}


def _sorted(raw: str) -> list[tuple[str, str]]:
    queryset, _sorting = sort_queryset(User.objects.all(), raw, columns=COLUMNS, default="name")
    return list(queryset.values_list("role", "username"))


def test_a_column_can_sort_its_second_field_the_other_way(org):
    # Worked example: roles ascending (leader, manager, rep), and within a role usernames from z to a.
    assert _sorted("role") == [
        ("leader", "leader"),
        ("manager", "manager_b"),
        ("manager", "manager_a"),
        ("rep", "rep_b1"),
        ("rep", "rep_a2"),
        ("rep", "rep_a1"),
    ]


def test_descending_reverses_every_field_of_the_column(org):
    assert _sorted("-role") == list(reversed(_sorted("role")))

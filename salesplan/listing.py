"""Sorting and pagination that every list page shares."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

PER_PAGE_CHOICES = (25, 50, 100)


@dataclass(frozen=True)
class Sorting:
    key: str  # the column key as in the URL, e.g. "name"
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def list_sort(
    request: HttpRequest, queryset: QuerySet, *, columns: dict[str, str | tuple[str, ...]], default: str
) -> tuple[QuerySet, Sorting]:
    return sort_queryset(queryset, request.GET.get("sort", default), columns=columns, default=default)


def sort_queryset(
    queryset: QuerySet, raw: str, *, columns: dict[str, str | tuple[str, ...]], default: str
) -> tuple[QuerySet, Sorting]:
    """Order by the ``sort`` parameter if it names an allowed column, else by ``default``.

    A column may sort by several fields (location: state, then city). Unknown values fall back
    silently: a sort link is never an error. NULLs sort last either way; the primary key breaks ties
    so pages never repeat or skip a row.
    """
    key = raw.lstrip("-")
    if key not in columns:
        raw, key = default, default.lstrip("-")
    sorting = Sorting(key=key, descending=raw.startswith("-"))
    fields = columns[key] if isinstance(columns[key], tuple) else (columns[key],)
    # A field written "-name" sorts against the column's direction (tier A first, then its best score).
    order = [
        F(f.lstrip("-")).desc(nulls_last=True)
        if sorting.descending != f.startswith("-")
        else F(f.lstrip("-")).asc(nulls_last=True)
        for f in fields
    ]
    return queryset.order_by(*order, "pk"), sorting


class EstimatedCountPaginator(Paginator):
    """A paginator that does not count a million rows on every page view.

    On PostgreSQL it asks the planner how many rows the query returns; above ``EXACT_BELOW`` that
    estimate is used (and shown as "about"), below it the rows are counted exactly.
    """

    EXACT_BELOW = 20_000

    @cached_property
    def estimated(self) -> bool:
        return self._estimate() >= self.EXACT_BELOW

    @cached_property
    def count(self) -> int:
        estimate = self._estimate()
        return estimate if estimate >= self.EXACT_BELOW else super().count

    @cached_property
    def _estimate_value(self) -> int:
        queryset = self.object_list
        if connections[queryset.db].vendor != "postgresql":
            return 0
        try:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a queryset that can match nothing (.none(), an empty IN list)
            return 0
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])

    def _estimate(self) -> int:
        return self._estimate_value


def list_paginate(request: HttpRequest, queryset: QuerySet, *, per_page: int = 50) -> Page:
    with contextlib.suppress(ValueError):
        per_page = int(request.GET.get("per_page", per_page))
    per_page = per_page if per_page in PER_PAGE_CHOICES else 50
    return EstimatedCountPaginator(queryset, per_page).get_page(request.GET.get("page"))

"""Plotly charts of the ICP scores, drawn from the aggregates of selectors.scores_summary."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from salesplan.templatetags.salesplan_tags import usd

TIER_COLORS = {"A": "#198754", "B": "#0d6efd", "C": "#fd7e14", "D": "#adb5bd", "N": "#ffe69c"}
TIER_NAMES = {"N": "Needs data"}  # the others read "Tier A" …
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart_html(figure: go.Figure, height: int = 320) -> str:
    figure.update_layout(
        height=height,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, sans-serif", "size": 12},
        legend={"orientation": "h", "y": -0.2},
    )
    # The figure travels as a JSON data block that static/js/app.js draws: the page runs no inline script,
    # which its Content-Security-Policy forbids. Escaped as json_script does (no "<" can end the block).
    document = json.dumps({**json.loads(figure.to_json()), "config": _CONFIG}, separators=(",", ":"))
    return format_html(
        '<div class="chart" data-chart><script type="application/json">{}</script>'
        '<div class="plotly-graph-div" style="height:{}px; width:100%"></div></div>',
        mark_safe(document.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 (escaped on the line above)
        height,
    )


# Counts on an axis read like counts everywhere else: 5,000, not 5000 (and 0.5 stays 0.5 on a short axis).
COUNT_TICKS = ",~f"


def money_axis(values: Iterable[float], *, ticks: int = 4) -> dict[str, Any]:
    """Axis settings whose ticks read like every other amount in the app ($1.5B, $250M, $40K): plotly's own
    SI format would write $1.5G. Round steps of 1, 2, 2.5 or 5 times a power of ten, from 0 past the top."""
    top = max((float(v) for v in values), default=0.0)
    if top <= 0:
        return {"tickmode": "array", "tickvals": [0], "ticktext": [usd(0)], "rangemode": "tozero"}
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    vals = [i * step for i in range(math.ceil(top / step) + 1)]
    return {"tickmode": "array", "tickvals": vals, "ticktext": [usd(v) for v in vals], "rangemode": "tozero"}


def score_distribution(bands: list[list[int]]) -> str:
    """Accounts per band of 10 points (band 10, a score of exactly 100, joins 90–100), rated accounts and
    "Needs data" ones stacked apart. Rows are (band, rated, accounts); (band, accounts) rows of summaries
    stored before "Needs data" existed count as rated."""
    counts = {True: dict.fromkeys(range(10), 0), False: dict.fromkeys(range(10), 0)}
    for row in bands:
        band, rated, n = row if len(row) == 3 else (row[0], True, row[1])
        counts[bool(rated)][min(int(band), 9)] += n
    labels = [f"{b * 10}–{b * 10 + 10}" for b in range(10)]
    figure = go.Figure()
    for rated, name, color in ((True, "Rated", "#0d6efd"), (False, "Needs data", TIER_COLORS["N"])):
        if rated or any(counts[False].values()):
            figure.add_bar(
                name=name,
                x=labels,
                y=list(counts[rated].values()),
                marker_color=color,
                hovertemplate="%{y:,} accounts<extra>" + name + ", score %{x}</extra>",
            )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(title_text="ICP score")
    figure.update_yaxes(title_text="Accounts", tickformat=COUNT_TICKS)
    return chart_html(figure)


def tiers_by(rows: list[list[Any]], label: str, limit: int = 12) -> str:
    """Stacked bars of tiers for the ``limit`` largest groups; ``rows`` are (group, tier, accounts)."""
    totals: dict[str, int] = {}
    for group, _tier, n in rows:
        totals[group or "Unknown"] = totals.get(group or "Unknown", 0) + n
    groups = sorted(totals, key=lambda g: -totals[g])[:limit]
    figure = go.Figure()
    for tier, color in TIER_COLORS.items():
        by_group = {(g or "Unknown"): n for g, t, n in rows if t == tier}
        name = TIER_NAMES.get(tier, f"Tier {tier}")
        figure.add_bar(
            name=name,
            y=groups,
            x=[by_group.get(g, 0) for g in groups],
            orientation="h",
            marker_color=color,
            hovertemplate="%{x:,} accounts<extra>" + name + "</extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_yaxes(autorange="reversed", title_text=label)
    figure.update_xaxes(title_text="Accounts", tickformat=COUNT_TICKS)
    return chart_html(figure, height=max(260, 40 + 28 * len(groups)))

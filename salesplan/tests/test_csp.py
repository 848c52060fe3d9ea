"""Every page says what it may run (Content-Security-Policy): this site's scripts only, no inline script, no
eval. The browser tests fail on any violation (conftest's ``page``); the walk of test_crawl.py checks the
header on every page it meets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesplan.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {name: sources.split() for name, _, sources in (p.strip().partition(" ") for p in header.split(";"))}


@pytest.mark.parametrize("name", ["login", "home", "plan_list", "account_list", "matrix", "tam_overview"])
def test_every_page_allows_only_the_sites_own_scripts(client, org, name):
    PlanFactory(status="published")
    client.force_login(org["leader"])
    response = client.get(reverse(name), follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_error_pages_carry_the_policy_too(client, org):
    client.force_login(org["rep_a1"])
    assert _policy(client.get("/no-such-page/"))["script-src"] == ["'self'"]
    assert _policy(client.get(reverse("user_list")))["script-src"] == ["'self'"]  # a rep's 403


def test_charts_travel_as_data_not_as_inline_script():
    import plotly.graph_objects as go

    from segmentation.charts import chart_html

    html = chart_html(go.Figure(go.Bar(x=["<b>A</b>"], y=[1])))
    assert '<script type="application/json">' in html
    assert "Plotly.newPlot" not in html
    assert "<b>" not in html  # the data block escapes markup in the figure's text

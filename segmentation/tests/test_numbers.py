"""Numbers read as people write them, everywhere: $1.5B (never plotly's $1.5G), $250K, 2002 (never 2,002),
counts with separators; on the pages, in the criteria and on the chart axes and hover text."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from salesplan.templatetags.salesplan_tags import measure, num, pct, usd, usd_full, year
from salesplan.tests.factories import PlanFactory
from segmentation.charts import money_axis
from segmentation.models import TamModel
from segmentation.services.icp import icp_create, icp_publish, icp_score_all
from segmentation.services.tam import tam_run


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (None, "—"),
        (0, "$0"),
        (900, "$900"),
        (40_000, "$40K"),
        (250_000, "$250K"),
        (250_400, "$250.4K"),
        (999_960, "$1M"),  # rounds up to the next unit instead of "$1,000.0K"
        (36_900_000, "$36.9M"),
        (250_000_000, "$250M"),
        (1_500_000_000, "$1.5B"),
        (-1_500_000, "-$1.5M"),
    ],
)
def test_dollars_read_compact_without_a_trailing_zero(amount, shown):
    assert usd(amount) == shown


def test_years_counts_and_full_dollars():
    assert year(2002) == "2002"
    assert year(None) == "—"
    assert num(20_000) == "20,000"
    assert usd_full(250_000) == "$250,000"
    assert pct(21.04, 1) == "21.0%"
    assert measure(2002, "year") == "2002"
    assert measure(250_000, "usd") == "$250K"
    assert measure(20_000, "count") == "20,000"


def test_money_axis_ticks_read_like_the_rest_of_the_app():
    axis = money_axis([1_600_000_000, 300_000_000])
    assert axis["ticktext"] == ["$0", "$500M", "$1B", "$1.5B", "$2B"]
    assert axis["tickvals"] == [0, 500_000_000, 1_000_000_000, 1_500_000_000, 2_000_000_000]
    assert money_axis([42_000])["ticktext"] == ["$0", "$20K", "$40K", "$60K"]
    assert money_axis([])["ticktext"] == ["$0"]


CRITERIA = [
    {"key": "founded", "name": "Founded", "kind": "range", "field": "founded_year", "min_value": 2002,
     "max_value": 2015, "weight": 5},
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 50_000_000,
     "max_value": 5_000_000_000, "weight": 5},
    {"key": "size", "name": "Employees", "kind": "range", "field": "employees", "min_value": 1_000, "weight": 5},
]  # fmt: skip


@pytest.fixture
def scored(org):
    plan = PlanFactory(status="published")
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="Founded ICP", criteria=CRITERIA))
    account = AccountFactory(owner=org["rep_a1"], founded_year=2004, annual_revenue=1_500_000_000, employees=12_000)
    icp_score_all(icp)
    return {"plan": plan, "icp": icp, "account": account}


@pytest.mark.django_db
def test_profile_and_account_pages_write_years_without_separators(client, org, scored):
    client.force_login(org["leader"])
    profile = client.get(reverse("icp_detail", args=[scored["icp"].pk])).content.decode()
    assert "Founded (year) from 2002 to 2015" in profile
    assert "Annual revenue from $50M to $5B" in profile
    assert "Employees at least 1,000" in profile
    assert "2,002" not in profile
    account = client.get(scored["account"].get_absolute_url()).content.decode()
    assert "2004" in account
    assert "2,004" not in account
    panel = client.get(reverse("account_icp_panel", args=[scored["account"].pk])).content.decode()
    assert re.search(r"<td>\s*2004\s*</td>", panel)  # its founded year, against the criterion
    assert "2,004" not in panel
    assert "$1.5B" in panel
    assert "12,000" in panel


@pytest.mark.django_db
def test_tam_charts_write_billions_as_b_on_the_axis_and_in_the_hover(client, org, scored):
    for i in range(3):
        AccountFactory(state="NY", annual_revenue=300_000_000_000 + i, employees=6_000)
    model = TamModel.objects.create(plan=scored["plan"], name="Share")
    run = tam_run(model=model, icp=scored["icp"], user=org["leader"])
    client.force_login(org["leader"])
    page = client.get(reverse("tam_run_detail", args=[run.pk])).content.decode()

    assert "~s" not in page  # plotly's SI format, which writes $1.5G
    ticktexts = re.findall(r'"ticktext":\[([^\]]*)\]', page)
    assert ticktexts, "the size-band chart has its own tick labels"
    labels = json.loads(f"[{ticktexts[0]}]")
    assert labels[0] == "$0"
    assert any(label.endswith("B") for label in labels)
    assert not any(label.endswith("G") for label in labels)
    hovers = re.findall(r'"hovertemplate":"([^"]*)"', page)
    assert hovers
    assert all("$%{" not in h and ":,.0f" not in h for h in hovers)
    assert '"customdata":["$' in page  # hover text is the app's own dollars

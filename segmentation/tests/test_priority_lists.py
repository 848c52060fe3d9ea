"""Decisions people make are used: the strategy decides who is ranked (growth targets ranked; retain and
retire listed apart; needs-data growth targets listed as work), a manager's tier is the tier ranking and the
SAM read, and a rep's focus is measured against their own share of the growth target."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AccountStrategy
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountPriority, AccountScore, TamModel
from segmentation.services.icp import icp_create, icp_publish, icp_score_all, tier_review
from segmentation.services.priority import prioritize
from segmentation.services.tam import tam_run
from segmentation.services.territories import (
    design_create,
    design_publish,
    rule_create,
    territories_apply,
    territory_create,
    territory_rep_set,
)

pytestmark = pytest.mark.django_db

# Revenue 6 and employees 4 are data; the budget question 5 (W = 15). With nothing answered 10 of 15 (67 %)
# is known: enough to be rated (60 %).
CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**8, "weight": 6},
    {"key": "emp", "name": "Employees", "kind": "range", "field": "employees", "min_value": 500, "weight": 4},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget confirmed?", "weight": 5},
]


@pytest.fixture
def market(org):
    plan = PlanFactory(status="published", prior_year_revenue=Decimal(100_000_000), revenue_target=Decimal(130_000_000))
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    east = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="North East", parent=east)
    ny = territory_create(design=design, level="territory", name="NY State", parent=area)
    ma = territory_create(design=design, level="territory", name="Massachusetts", parent=area)
    territory_rep_set(territory=ny, rep=org["rep_a1"])
    territory_rep_set(territory=ma, rep=org["rep_b1"])
    rule_create(design=design, territory=ny, states=["NY"])
    rule_create(design=design, territory=ma, states=["MA"])
    big = {"annual_revenue": 2 * 10**8, "employees": 1000}  # both data criteria match
    accounts = {
        # A prospect that fits: (10 + 2.5) / 15 = 83.3, tier A → ranked.
        "fit prospect": AccountFactory(name="Fit Prospect", **big),
        # A former customer that fits less: revenue only, (6 + 2.5) / 15 = 56.7, tier B → ranked (Reactivate).
        "former": AccountFactory(name="Former Fit", lifecycle="former", annual_revenue=2 * 10**8, employees=10),
        # A customer with 30 % of its wallet: Grow, tier A → ranked.
        "grow": AccountFactory(
            name="Grow Customer", lifecycle="customer", wallet=10**6, current_sales=3 * 10**5, **big
        ),
        # A customer with 80 % of its wallet: Retain → listed apart, even though it fits.
        "retain": AccountFactory(
            name="Retain Customer", lifecycle="customer", wallet=10**6, current_sales=8 * 10**5, **big
        ),
        # A customer that fits poorly: 2.5 / 15 = 16.7, tier D → Retire → listed apart.
        "retire": AccountFactory(
            name="Retire Customer",
            lifecycle="customer",
            wallet=10**6,
            current_sales=10,
            annual_revenue=10,
            employees=10,
        ),
        # A prospect with the employees unknown: 6 of 15 known (40 %) → Needs data → the work list.
        "needs data": AccountFactory(name="Unknown Size", annual_revenue=2 * 10**8, employees=None),
        # A prospect that fits poorly: tier D → on no list.
        "poor": AccountFactory(name="Poor Prospect", annual_revenue=10, employees=10),
        # A fitting prospect whose rep chose Retain (a distributor we serve through a partner): listed apart.
        "chosen retain": AccountFactory(name="Chosen Retain", **big),
        # A poor prospect the manager overrode to A: ranked, its computed D shown beside.
        "override up": AccountFactory(name="Override Up", annual_revenue=10, employees=10),
        # A fitting prospect the manager overrode to C: out of the ranking and the SAM.
        "override down": AccountFactory(name="Override Down", **big),
        # In the other territory.
        "ma": AccountFactory(name="Boston Fit", state="MA", **big),
    }
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    territories_apply(design)
    design_publish(design)
    icp_score_all(icp)
    AccountStrategy.objects.create(
        account=accounts["chosen retain"],
        strategy="retain",
        suggested="acquire",
        reason="Partner",
        chosen_by=org["rep_a1"],
    )
    tiers = dict(AccountScore.objects.filter(icp=icp).values_list("account_id", "tier"))
    tier_review(account=accounts["override up"], plan=plan, reviewer=org["manager_a"],
                computed_tier=tiers[accounts["override up"].pk], tier="A", reason="Strategic logo")  # fmt: skip
    tier_review(account=accounts["override down"], plan=plan, reviewer=org["manager_a"],
                computed_tier=tiers[accounts["override down"].pk], tier="C", reason="Buys centrally")  # fmt: skip
    model = TamModel.objects.create(plan=plan, name="Share of revenue", revenue_share_pct=Decimal("0.5"))
    run = prioritize(plan=plan, design=design, icp=icp, model=model)
    return {"plan": plan, "design": design, "icp": icp, "accounts": accounts, "run": run, "model": model, "ny": ny}


def _lists(run) -> dict[str, tuple]:
    rows = AccountPriority.objects.filter(run=run).select_related("account")
    return {r.account.name: (r.list, r.strategy, r.tier, r.computed_tier, r.rank_territory) for r in rows}


def test_the_strategy_decides_who_is_ranked_and_the_managers_tier_is_read(market):
    assert _lists(market["run"]) == {
        # Ranked growth targets of NY: score, then potential (revenue share).
        "Override Up": ("rank", "acquire", "A", "D", 4),
        "Fit Prospect": ("rank", "acquire", "A", "A", 1),
        "Grow Customer": ("rank", "grow", "A", "A", 2),  # the same score and potential: the lower id first
        "Former Fit": ("rank", "reactivate", "B", "B", 3),
        "Boston Fit": ("rank", "acquire", "A", "A", 1),  # first in its own territory
        # Listed apart: to retain or retire, whatever the tier; largest potential first.
        "Retain Customer": ("keep", "retain", "A", "A", 1),
        "Chosen Retain": ("keep", "retain", "A", "A", 2),
        "Retire Customer": ("keep", "retire", "D", "D", 3),
        # Work for the rep.
        "Unknown Size": ("data", "acquire", "N", "N", 1),
    }  # "Poor Prospect" (D) and "Override Down" (C, by the manager) are on no list
    run = market["run"]
    assert (run.ranked, run.kept, run.needs_data) == (5, 3, 1)


def test_ranks_of_the_ranked_list_by_score_then_potential(market):
    ranked = AccountPriority.objects.filter(run=market["run"], list="rank", territory=market["ny"])
    rows = list(ranked.order_by("rank_territory").values_list("account__name", "score", "potential"))
    # Fit Prospect and Grow Customer: 83.3 and the same potential (0.5 % of $200M = $1M), the lower id first;
    # Former Fit 56.7; Override Up scored 16.7 (its manager's A ranks it, its score orders it).
    assert [name for name, _s, _p in rows] == ["Fit Prospect", "Grow Customer", "Former Fit", "Override Up"]
    assert [s for _n, s, _p in rows] == [Decimal("83.3"), Decimal("83.3"), Decimal("56.7"), Decimal("16.7")]


def test_the_sam_reads_the_tier_in_force(market):
    run = tam_run(model=market["model"], icp=market["icp"], user=None)
    # SAM: A or B in force. Fit Prospect, Grow, Retain, Chosen Retain, Boston Fit ($200M each), Former Fit
    # ($200M) and Override Up ($10 of revenue) — not Override Down (C by review), not Unknown Size (needs data).
    assert run.sam_accounts == 7
    assert int(run.sam) == round(6 * 2 * 10**8 * 0.005 + 10 * 0.005)


def test_my_territory_lists_apart_with_their_own_pages_sorts_and_exports(market, org, client):
    client.force_login(org["rep_a1"])
    url = reverse("my_territory")
    page = client.get(url).content.decode()
    for tab in ("Ranked growth targets", "Retain and retire", "Needs data"):
        assert tab in page
    assert "Grow Customer" in page
    assert "Retain Customer" not in page  # listed apart
    assert "Unknown Size" not in page
    assert "Boston Fit" not in page  # another rep's territory
    keep = client.get(url, {"list": "keep", "sort": "name"})
    assert [r.account.name for r in keep.context["page"]] == ["Chosen Retain", "Retain Customer", "Retire Customer"]
    data = client.get(url, {"list": "data"}).content.decode()
    assert "Unknown Size" in data
    # 6 of 15 known; 60 % is 9: 3 more to find out, and the budget (5) outweighs the employees (4).
    assert "Budget confirmed?" in data  # what to find out, in the rep's words
    response = client.get(url, {"list": "data", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Known %", "To rate it, find out"]
    assert rows[1][1] == "Unknown Size"
    assert rows[1][-2:] == ["40", "Budget confirmed?"]
    response = client.get(url, {"list": "keep", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["Retain Customer", "Chosen Retain", "Retire Customer"]
    assert rows[2][8:10] == ["Retain", "yes"]  # chosen by the rep, not suggested
    home = client.get(reverse("home")).content.decode()
    ranked_panel = home.split("My focus accounts")[0]
    assert "Grow Customer" in ranked_panel
    assert "Retain Customer" not in ranked_panel


def test_a_reps_focus_is_measured_against_their_share_of_the_target(market, org, client):
    # Potential placed (0.5 % of revenue): NY holds 7 accounts of $200M revenue ($1M each) and 3 of $10
    # ($0.05 each), MA one of $200M: NY $7,000,000.15 of $8,000,000.15 — 87.5 %. The growth target is
    # $130M − $100M = $30M; rep_a1's share: 30,000,000 × 7,000,000.15 / 8,000,000.15 = $26,250,000.
    client.force_login(org["rep_a1"])
    response = client.get(reverse("icp_matrix", args=[market["icp"].pk]))
    focus = response.context["focus"]
    assert focus["share"]["target"] == round(30_000_000 * 7_000_000.15 / 8_000_000.15) == 26_250_000
    assert focus["growth_target"] == 26_250_000
    # rep_a1's focus accounts (A or B in force): Fit Prospect, Former Fit, Grow (wallet $1M − $0.3M), Retain
    # ($1M − $0.8M), Chosen Retain, Override Up: opportunity 0.7M + 0.2M (the others have no wallet).
    assert (focus["accounts"], focus["opportunity"]) == (6, 900_000)
    assert focus["gap"] == 26_250_000 - 900_000
    page = response.content.decode()
    assert "Your share of the growth target: <strong>$26.2M</strong>" in page
    assert "87.5%" in page
    assert "$30M growth target" in page
    client.force_login(org["manager_b"])  # rep_b1's team: Massachusetts, 1,000,000 of 8,000,000.15
    focus = client.get(reverse("icp_matrix", args=[market["icp"].pk])).context["focus"]
    assert focus["share"]["target"] == round(30_000_000 * 1_000_000 / 8_000_000.15) == 3_750_000
    client.force_login(org["rep_a2"])  # covers no territory
    response = client.get(reverse("icp_matrix", args=[market["icp"].pk]))
    assert response.context["focus"]["share"]["target"] == 0
    assert "You cover no territory yet, so no share of the target." in response.content.decode()
    client.force_login(org["leader"])
    focus = client.get(reverse("icp_matrix", args=[market["icp"].pk])).context["focus"]
    assert (focus["growth_target"], focus["share"]) == (30_000_000, None)  # the whole company's


def test_the_four_gap_options_link_to_pages_that_answer(market, org, client):
    import re

    for user in ("rep_a1", "manager_a", "leader"):
        client.force_login(org[user])
        page = client.get(reverse("icp_matrix", args=[market["icp"].pk])).content.decode()
        options = page.split('id="gap-options"')[1].split("</ol>")[0]
        links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', options)]
        assert len(links) >= 4, user
        for href in links:
            assert client.get(href).status_code == 200, (user, href)
    client.force_login(org["rep_a1"])
    data = client.get(reverse("my_territory") + "?list=data").content.decode()
    assert "Unknown Size" in data


def test_a_reps_list_pages_by_rank_numbers_not_offset(market, org, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AccountFactory.create_batch(70, annual_revenue=3 * 10**8, employees=None)  # 70 more needing data in NY
    territories_apply(market["design"])
    icp_score_all(market["icp"])
    run = prioritize(plan=market["plan"], design=market["design"], icp=market["icp"], model=market["model"])
    client.force_login(org["rep_a1"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_territory"), {"list": "data", "per_page": 25, "page": 3})
    page = response.context["page"]
    expected = AccountPriority.objects.filter(run=run, list="data", territory=market["ny"]).order_by("rank_territory")
    assert [p.account_id for p in page] == [p.account_id for p in expected[50:75]]
    assert (page.paginator.count, page.paginator.num_pages, page.number) == (71, 3, 3)
    assert [p.rank_territory for p in page][:2] == [51, 52]
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries if "accountpriority" in q["sql"])
    next_page = client.get(reverse("my_territory"), {"list": "data", "per_page": 25, "page": 2}).context["page"]
    assert {p.account_id for p in next_page}.isdisjoint({p.account_id for p in page})


def test_an_opportunity_past_the_target_says_how_many_times_over_it_holds_it(market, org, client):
    # manager_b's share is $3,750,000 (above); one Boston account with $40M of wallet left to win is 10.7×.
    from accounts.models import Account
    from segmentation.selectors import focus_and_gap, icp_summary

    Account.objects.filter(name="Boston Fit").update(wallet=40_000_000, current_sales=None)
    icp = market["icp"]
    icp_score_all(icp)
    focus = focus_and_gap(org["manager_b"], icp, icp_summary(org["manager_b"], icp))
    assert focus["opportunity"] == 40_000_000
    assert focus["gap"] == 0
    assert focus["coverage_times"] == pytest.approx(40_000_000 / 3_750_000)
    client.force_login(org["manager_b"])
    page = client.get(reverse("icp_matrix", args=[icp.pk])).content.decode()
    assert "10.7×" in page
    assert "growth target, in focus $ opportunity" in page


def test_a_plan_without_prior_year_revenue_asks_for_it_rather_than_blaming_the_territories(market, org, client):
    from segmentation.selectors import focus_and_gap, icp_summary

    icp = market["icp"]
    icp.plan.prior_year_revenue = None
    icp.plan.save(update_fields=["prior_year_revenue"])
    icp_score_all(icp)
    focus = focus_and_gap(org["manager_b"], icp, icp_summary(org["manager_b"], icp))
    assert (focus["growth_target"], focus["no_share"], focus["covered_pct"]) == (None, False, None)
    client.force_login(org["manager_b"])
    page = client.get(reverse("icp_matrix", args=[icp.pk])).content.decode()
    assert "Set the plan's prior-year revenue and target" in page
    assert "no territory design" not in page


@pytest.mark.parametrize("target_delta", [0, -1_000_000])
def test_a_target_that_asks_for_no_growth_draws_no_bar_and_no_gap(market, org, client, target_delta):
    from segmentation.selectors import focus_and_gap, icp_summary

    icp = market["icp"]
    plan = icp.plan
    plan.revenue_target = plan.prior_year_revenue + target_delta
    plan.save(update_fields=["revenue_target"])
    icp_score_all(icp)
    for user in (org["leader"], org["manager_b"]):
        focus = focus_and_gap(user, icp, icp_summary(user, icp))
        assert focus["no_growth"] is True
        assert (focus["growth_target"], focus["gap"], focus["covered_pct"], focus["no_share"]) == (None, 0, None, False)
        client.force_login(user)
        page = client.get(reverse("icp_matrix", args=[icp.pk])).content.decode()
        assert 'id="no-growth"' in page
        assert 'role="progressbar"' not in page
        assert 'id="gap-options"' not in page

"""Who sees company-wide figures (issue 13, part 6): private by default. A rep reads the TAM run and the
territory design of their own territories, a manager of their team's, a leader all; the company's totals
appear beside a manager's or rep's own only when the leader shares them on the plan."""

from __future__ import annotations

import csv
import html
import io
import random
import re
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Account, AccountTerritory, Vertical
from salesplan.models import StrategyPlan, TerritoryRep, User
from salesplan.templatetags.salesplan_tags import usd
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore, TamModel, TierReview
from segmentation.services.icp import icp_create, icp_publish, icp_score_all, tier_review
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

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**8, "weight": 6},
    {"key": "emp", "name": "Employees", "kind": "range", "field": "employees", "min_value": 500, "weight": 4},
]
STATES = {"NY": "rep_a1", "MA": "rep_a2", "TX": "rep_b1"}  # each state is one territory, covered by one rep


@pytest.fixture
def market(org):
    """300 accounts over NY, MA, TX (one territory each) and CA (no territory; rep_a1 owns some there),
    scored, some reviewed, placed, and a TAM run of the whole market by the leader."""
    plan = PlanFactory(status="published", created_by=org["leader"])
    rng = random.Random(13)
    verticals = [Vertical.objects.create(name=f"Vertical {i}") for i in range(3)]
    Account.objects.bulk_create(
        Account(
            name=f"Market {i}",
            name_key=f"market {i}",
            domain=f"market{i}.com",
            annual_revenue=rng.choice([None, rng.randint(10**5, 10**10)]),
            employees=rng.choice([None, rng.randint(1, 20_000)]),
            state=state,
            lifecycle=rng.choice(["prospect", "customer", "former"]),
            vertical=rng.choice([None, *verticals]),
            owner=org["rep_a1"] if state == "CA" and i % 2 else None,
        )
        for i, state in enumerate(rng.choice(["NY", "MA", "TX", "CA"]) for _ in range(300))
    )
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    region = territory_create(design=design, level="region", name="Country")
    area = territory_create(design=design, level="area", name="Three states", parent=region)
    for state, rep in STATES.items():
        territory = territory_create(design=design, level="territory", name=f"{state} territory", parent=area)
        territory_rep_set(territory=territory, rep=org[rep])
        rule_create(design=design, territory=territory, states=[state])
    territories_apply(design)
    design_publish(design)
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    icp_score_all(icp)
    computed = dict(AccountScore.objects.filter(icp=icp).values_list("account_id", "tier"))
    for account in rng.sample(list(Account.objects.order_by("pk")), 40):
        tier_review(account=account, plan=plan, reviewer=org["manager_a"], computed_tier=computed[account.pk],
                    tier=rng.choice("ABCD"), reason="Reviewed")  # fmt: skip
    model = TamModel.objects.create(
        plan=plan, name="M", method="revenue_share", revenue_share_pct=Decimal("0.75"), sam_min_tier="B",
        som_share_pct=Decimal("12.5"),
    )  # fmt: skip
    run = tam_run(model=model, icp=icp, user=org["leader"])
    return {"plan": plan, "design": design, "icp": icp, "run": run}


def _frame(user: User | None, market) -> pd.DataFrame:
    """The accounts ``user`` may see (every one for None), worked out here from the rows: owned by them or
    their reps, or placed in one of those people's territories; with their potential and whether they are in
    the SAM (tier in force A or B)."""
    frame = pd.DataFrame(
        list(Account.objects.values("id", "annual_revenue", "state", "owner_id", "lifecycle", "vertical__name"))
    )
    if user is not None:
        people = {user.pk, *User.objects.filter(team__manager=user).values_list("pk", flat=True)}
        covered = set(TerritoryRep.objects.filter(rep__in=people).values_list("territory_id", flat=True))
        placed = dict(
            AccountTerritory.objects.filter(design=market["design"]).values_list("account_id", "territory_id")
        )
        frame = frame[frame["owner_id"].isin(people) | frame["id"].map(placed).isin(covered)]
    tiers = dict(AccountScore.objects.filter(icp=market["icp"]).values_list("account_id", "tier"))
    reviews = dict(TierReview.objects.filter(plan=market["plan"], current=True).values_list("account_id", "tier"))
    frame = frame.assign(
        potential=frame["annual_revenue"].astype("float64") * 0.0075,
        tier=frame["id"].map(lambda a: reviews.get(a, tiers[a])),
        region=frame["state"].replace("", "Unknown"),
    )
    return frame.assign(in_sam=frame["tier"].isin(["A", "B"]))


def _totals(frame: pd.DataFrame) -> dict[str, object]:
    sam = frame.loc[frame["in_sam"], "potential"].sum()
    return {"accounts": len(frame), "tam": round(frame["potential"].sum()), "sam": round(sam),
            "som": round(sam * 0.125), "sam_accounts": int(frame["in_sam"].sum())}  # fmt: skip


def _kpis(page: str) -> dict[str, str]:
    """The three cards of the TAM page: label → the value shown."""
    return dict(re.findall(r'<div class="kpi-label">([^<]+)</div><div class="kpi-value[^"]*">([^<]+)</div>', page))


def _export(client, run, file_format: str = "csv") -> list[dict[str, str]]:
    response = client.get(reverse("tam_run_detail", args=[run.pk]), {"export": file_format})
    assert response.status_code == 200
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    return [dict(zip(rows[0], [str(v) for v in row], strict=True)) for row in rows[1:]]


def _by_region(rows: list[dict[str, str]]) -> dict[str, int]:
    return {r["Value"]: int(r["TAM $"]) for r in rows if r["Dimension"] == "Region (state)"}


@pytest.mark.parametrize(("viewer", "label", "states"), [
    ("rep_a1", "your territories", {"NY", "CA"}),
    ("manager_a", "your team's territories", {"NY", "MA", "CA"}),
    ("manager_b", "your team's territories", {"TX"}),
])  # fmt: skip
def test_a_rep_or_manager_reads_the_tam_of_their_own_territories_and_exports_only_those(
    client, org, market, viewer, label, states
):
    frame = _frame(org[viewer], market)
    mine = _totals(frame)
    assert set(frame["state"]) == states
    client.force_login(org[viewer])
    page = html.unescape(client.get(reverse("tam_run_detail", args=[market["run"].pk])).content.decode())

    assert _kpis(page) == {
        f"TAM · {label}": usd(mine["tam"]),
        "SAM · fit the ICP": usd(mine["sam"]),
        "SOM · we can win": usd(mine["som"]),
    }
    assert f"{mine['accounts']:,} accounts" in page
    assert "data-company" not in page  # the company's totals are not shared
    assert "company:" not in page
    for state in {"NY", "MA", "TX", "CA"} - states:
        assert f"<td>{state}</td>" not in page
    for file_format in ("csv", "xlsx"):
        rows = _export(client, market["run"], file_format)
        assert _by_region(rows) == frame.groupby("region")["potential"].sum().round().astype(int).to_dict()
        verticals = {r["Value"]: int(r["Accounts"]) for r in rows if r["Dimension"] == "Vertical"}
        assert verticals == frame["vertical__name"].fillna("No vertical").value_counts().to_dict()


def test_the_leader_reads_and_exports_the_whole_run(client, org, market):
    run, whole = market["run"], _totals(_frame(None, market))
    assert (run.accounts, int(run.tam), int(run.sam), int(run.som)) == (
        whole["accounts"], whole["tam"], whole["sam"], whole["som"]
    )  # fmt: skip
    client.force_login(org["leader"])
    page = client.get(reverse("tam_run_detail", args=[run.pk])).content.decode()
    assert _kpis(page)["TAM · all accounts"] == usd(whole["tam"])
    rows = _export(client, run)
    assert len(rows) == run.breakdowns.count()
    assert set(_by_region(rows)) == {"NY", "MA", "TX", "CA"}


def test_with_the_company_totals_shared_a_rep_sees_them_beside_their_own(client, org, market):
    StrategyPlan.objects.filter(pk=market["plan"].pk).update(share_company_totals=True)
    run, mine = market["run"], _totals(_frame(org["rep_a1"], market))
    client.force_login(org["rep_a1"])
    page = client.get(reverse("tam_run_detail", args=[run.pk])).content.decode()
    assert _kpis(page)["TAM · your territories"] == usd(mine["tam"])
    assert f"company: {usd(run.tam)} · {run.accounts:,} accounts" in page
    assert f"company: {usd(run.sam)} · {run.sam_accounts:,} accounts" in page
    assert f"company: {usd(run.som)}" in page
    assert set(_by_region(_export(client, run))) == {"NY", "CA"}  # totals beside, never the other rows


def test_the_list_of_runs_shows_each_person_their_own_tam(client, org, market):
    run = market["run"]
    for viewer, expected in (("rep_b1", _totals(_frame(org["rep_b1"], market))["tam"]), ("leader", int(run.tam))):
        client.force_login(org[viewer])
        page = client.get(reverse("tam_overview")).content.decode()
        assert f'<td class="text-end">{usd(expected)}</td>' in page, viewer
    assert usd(run.tam) != usd(_totals(_frame(org["rep_b1"], market))["tam"])


def _design_page(client, market) -> str:
    return html.unescape(client.get(reverse("territory_design_detail", args=[market["design"].pk])).content.decode())


def _placed(design, state: str) -> dict[str, int]:
    rows = AccountTerritory.objects.filter(design=design, territory__name=f"{state} territory")
    revenue = [r or 0 for r in rows.values_list("account__annual_revenue", flat=True)]
    return {"accounts": rows.count(), "potential": round(sum(revenue) * 0.005)}  # the plan's default model


@pytest.mark.parametrize(("viewer", "states"), [("rep_a1", ["NY"]), ("manager_a", ["MA", "NY"])])
def test_the_design_page_shows_a_rep_or_manager_only_their_territories(client, org, market, viewer, states):
    client.force_login(org[viewer])
    page = _design_page(client, market)
    shown = re.findall(r'<span class="">(\w+) territory</span>', page)
    assert sorted(shown) == states
    for state in {"NY", "MA", "TX"} - set(states):
        assert f"{state} territory" not in page
    own = {"accounts": 0, "potential": 0}
    for state in states:
        placed = _placed(market["design"], state)
        own = {k: own[k] + placed[k] for k in own}
    label = "your territories" if viewer == "rep_a1" else "your team's territories"
    assert f"{own['accounts']:,} accounts placed in {label}" in page
    assert _kpis(page)[f"Accounts · {label}"] == f"{own['accounts']:,}"
    assert _kpis(page)[f"TAM $ · {label}"] == usd(own["potential"])
    assert f"{market['design'].assigned_count:,} accounts placed" not in page
    assert "Largest territory" not in page  # the company's balance
    assert "data-company" not in page  # and totals


def test_the_design_page_shows_the_company_totals_when_the_plan_shares_them(client, org, market):
    StrategyPlan.objects.filter(pk=market["plan"].pk).update(share_company_totals=True)
    design = market["design"]
    client.force_login(org["rep_a1"])
    page = _design_page(client, market)
    every = [_placed(design, state) for state in STATES]
    assert f"company: {sum(p['accounts'] for p in every):,}" in page
    assert f"company: {usd(sum(p['potential'] for p in every))}" in page
    assert f"company: {design.assigned_count:,} placed, {design.unassigned_count:,} unassigned" in page
    assert re.findall(r'<span class="">(\w+) territory</span>', page) == ["NY"]  # still only their territory


def test_the_leader_sees_every_territory_and_the_balance(client, org, market):
    client.force_login(org["leader"])
    page = _design_page(client, market)
    assert sorted(re.findall(r'<span class="">(\w+) territory</span>', page)) == ["MA", "NY", "TX"]
    assert "Largest territory" in page
    assert f"{market['design'].assigned_count:,} accounts placed" in page


def test_only_the_leader_shares_the_company_totals_on_the_plan_form(client, org, market):
    plan = market["plan"]
    data = {"name": plan.name, "fiscal_year_start": "2027-01-01", "fiscal_year_end": "2027-12-31",
            "share_company_totals": "on"}  # fmt: skip
    client.force_login(org["manager_a"])
    assert client.post(reverse("plan_edit", args=[plan.pk]), data).status_code == 403
    plan.refresh_from_db()
    assert plan.share_company_totals is False  # private by default
    client.force_login(org["leader"])
    assert "Share the company totals" in client.get(reverse("plan_edit", args=[plan.pk])).content.decode()
    response = client.post(reverse("plan_edit", args=[plan.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    plan.refresh_from_db()
    assert plan.share_company_totals is True
    client.force_login(org["rep_a1"])
    assert "Company totals shared" in client.get(plan.get_absolute_url()).content.decode()


def test_comparing_two_runs_compares_a_reps_own_figures(client, org, market):
    other = TamModel.objects.create(plan=market["plan"], name="Per head", method="per_employee", price_per_employee=50)
    second = tam_run(model=other, icp=market["icp"], user=org["leader"])
    client.force_login(org["rep_a1"])
    page = client.get(reverse("tam_run_detail", args=[market["run"].pk]), {"compare": second.pk}).content.decode()
    frame = _frame(org["rep_a1"], market)
    employees = Account.objects.filter(pk__in=list(frame["id"])).values_list("employees", flat=True)
    assert f"vs {usd(sum(e for e in employees if e) * 50)} in the run of" in page
    assert f"vs {usd(second.tam)} in" not in page


def test_the_design_list_tells_a_rep_when_accounts_were_placed_not_how_many(client, org, market):
    design = market["design"]
    client.force_login(org["rep_a1"])
    page = client.get(reverse("territory_design_list")).content.decode()
    assert "Placed" in page
    assert f"{design.assigned_count:,} placed" not in page
    StrategyPlan.objects.filter(pk=market["plan"].pk).update(share_company_totals=True)
    page = client.get(reverse("territory_design_list")).content.decode()
    assert f"{design.assigned_count:,} placed · {design.unassigned_count:,} unassigned" in page


def test_a_reps_growth_share_names_the_company_potential_only_when_shared(client, org, market):
    StrategyPlan.objects.filter(pk=market["plan"].pk).update(prior_year_revenue=10**8, revenue_target=13 * 10**7)
    whole = usd(sum(_placed(market["design"], state)["potential"] for state in STATES))
    client.force_login(org["rep_a1"])
    share = re.search(r'<div[^>]*id="target-share">(.*?)</div>', _matrix_page(client, market), re.S)[1]
    assert usd(_placed(market["design"], "NY")["potential"]) in share
    assert whole not in share
    StrategyPlan.objects.filter(pk=market["plan"].pk).update(share_company_totals=True)
    share = re.search(r'<div[^>]*id="target-share">(.*?)</div>', _matrix_page(client, market), re.S)[1]
    assert f"of the {whole} potential placed" in share


def _matrix_page(client, market) -> str:
    return html.unescape(client.get(reverse("icp_matrix", args=[market["icp"].pk])).content.decode())


def test_a_managers_tam_follows_a_team_move_on_the_next_request(client, org, market):
    from salesplan.services.people import user_update

    client.force_login(org["manager_a"])
    url = reverse("tam_run_detail", args=[market["run"].pk])
    assert _kpis(html.unescape(client.get(url).content.decode()))["TAM · your team's territories"] == usd(
        _totals(_frame(org["manager_a"], market))["tam"]
    )
    user_update(user=User.objects.get(pk=org["rep_a2"].pk), team=org["team_b"])  # MA goes to team B
    page = html.unescape(client.get(url).content.decode())
    assert _kpis(page)["TAM · your team's territories"] == usd(_totals(_frame(org["manager_a"], market))["tam"])
    assert set(_by_region(_export(client, market["run"]))) == {"NY", "CA"}

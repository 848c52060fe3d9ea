"""Territories, TAM / SAM / SOM and prioritization: rules, numbers against pandas, ranks, visibility."""

from __future__ import annotations

import random
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Account, AccountTerritory, Vertical
from accounts.selectors import accounts_visible_to
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountPriority, AccountScore, TamBreakdown, TamModel, TierReview
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


@pytest.fixture
def design(org):
    plan = PlanFactory(status="published")
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    east = territory_create(design=design, level="region", name="East")
    ny_area = territory_create(design=design, level="area", name="New York", parent=east)
    ny = territory_create(design=design, level="territory", name="NY State", parent=ny_area)
    ma_area = territory_create(design=design, level="area", name="New England", parent=east)
    ma = territory_create(design=design, level="territory", name="Massachusetts", parent=ma_area)
    territory_rep_set(territory=ny, rep=org["rep_a1"])
    territory_rep_set(territory=ma, rep=org["rep_b1"], role="farmer")
    return {"plan": plan, "design": design, "ny": ny, "ma": ma, "east": east, "ny_area": ny_area}


def _placed(design) -> dict[str, str]:
    rows = AccountTerritory.objects.filter(design=design["design"]).select_related("account", "territory")
    return {r.account.name: r.territory.name for r in rows}


def test_rules_in_order_first_match_wins_and_the_rest_is_unassigned(design):
    AccountFactory(name="Big NY", state="NY", annual_revenue=5_000_000_000)
    AccountFactory(name="Small NY", state="NY", annual_revenue=1_000_000)
    AccountFactory(name="Boston Co", state="MA", postal_code="02108")
    named = AccountFactory(name="Named in Texas", state="TX")
    AccountFactory(name="Nowhere", state="CA")
    rule_create(design=design["design"], territory=design["ma"], accounts=[named.pk])  # named accounts first
    rule_create(design=design["design"], territory=design["ma"], states=["NY"], revenue_min=1_000_000_000)
    rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    rule_create(design=design["design"], territory=design["ma"], postal_prefixes=["021"])

    counts = territories_apply(design["design"])

    assert _placed(design) == {
        "Big NY": "Massachusetts",  # the earlier, narrower rule wins
        "Small NY": "NY State",
        "Boston Co": "Massachusetts",
        "Named in Texas": "Massachusetts",
    }
    assert counts == {"assigned": 4, "unassigned": 1}
    design["design"].refresh_from_db()
    assert design["design"].unassigned_count == 1


def test_applying_again_replaces_the_placement(design):
    AccountFactory(name="Moving Co", state="NY")
    rule = rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    territories_apply(design["design"])
    rule.territory = design["ma"]
    rule.save()
    territories_apply(design["design"])
    assert _placed(design) == {"Moving Co": "Massachusetts"}


def test_hierarchy_and_reps_are_checked(design, org):
    with pytest.raises(ValidationError, match="sits in a area"):
        territory_create(design=design["design"], level="territory", name="Loose", parent=design["east"])
    with pytest.raises(ValidationError, match="Reps are assigned to territories"):
        territory_rep_set(territory=design["east"], rep=org["rep_a2"])
    with pytest.raises(ValidationError, match="Place the accounts"):
        design_publish(design["design"])


def test_a_rep_sees_the_accounts_of_their_territories_and_nothing_else(design, org, client):
    mine = AccountFactory(name="In my territory", state="NY", owner=None)
    theirs = AccountFactory(name="In another territory", state="MA", owner=None)
    rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    rule_create(design=design["design"], territory=design["ma"], states=["MA"])
    territories_apply(design["design"])
    assert not accounts_visible_to(org["rep_a1"]).filter(pk=mine.pk).exists()  # a draft governs nothing
    design_publish(design["design"])

    assert set(accounts_visible_to(org["rep_a1"]).values_list("name", flat=True)) == {"In my territory"}
    assert set(accounts_visible_to(org["manager_b"]).values_list("name", flat=True)) == {"In another territory"}
    client.force_login(org["rep_a1"])
    assert client.get(reverse("account_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("account_detail", args=[mine.pk])).status_code == 200
    page = client.get(reverse("account_list")).content.decode()
    assert "In my territory" in page
    assert "In another territory" not in page
    export = b"".join(client.get(reverse("account_list"), {"export": "csv"}).streaming_content).decode()
    assert "In my territory" in export
    assert "In another territory" not in export


def _market(n: int = 400, seed: int = 3) -> list[Account]:
    rng = random.Random(seed)
    verticals = [Vertical.objects.create(name=f"Market vertical {i}") for i in range(3)]
    return Account.objects.bulk_create(
        Account(
            name=f"Market {i}",
            name_key=f"market {i}",
            domain=f"market{i}.com",
            annual_revenue=rng.choice([None, rng.randint(10**5, 10**10)]),
            employees=rng.choice([None, rng.randint(1, 20_000)]),
            state=rng.choice(["NY", "MA", "", "TX"]),
            lifecycle=rng.choice(["prospect", "customer", "former"]),
            vertical=rng.choice([None, *verticals]),
        )
        for i in range(n)
    )


CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**8, "weight": 6},
    {"key": "emp", "name": "Employees", "kind": "range", "field": "employees", "min_value": 500, "weight": 4},
]


@pytest.mark.parametrize("method", ["revenue_share", "per_employee", "acv_by_band"])
def test_tam_sam_som_match_an_independent_pandas_computation(org, method):
    plan = PlanFactory()
    _market()
    icp = icp_create(plan=plan, user=None, name="ICP", criteria=CRITERIA)
    icp_score_all(icp)
    # Managers reviewed some accounts (a few twice): the SAM reads the tier in force.
    rng = random.Random(8)
    computed = dict(AccountScore.objects.filter(icp=icp).values_list("account_id", "tier"))
    for account in rng.sample(list(Account.objects.order_by("pk")), 60):
        for tier in rng.sample("ABCD", rng.randint(1, 2)):
            tier_review(account=account, plan=plan, reviewer=org["manager_a"], computed_tier=computed[account.pk],
                        tier=tier, reason="Reviewed")  # fmt: skip
    bands = [
        {"min_employees": 0, "acv": 10_000},
        {"min_employees": 250, "acv": 40_000},
        {"min_employees": 5000, "acv": 150_000},
    ]
    model = TamModel.objects.create(
        plan=plan, name="M", method=method, revenue_share_pct=Decimal("0.75"), price_per_employee=90, bands=bands,
        sam_min_tier="B", som_share_pct=Decimal("12.5"),
    )  # fmt: skip
    run = tam_run(model=model, icp=icp, user=org["leader"])

    frame = pd.DataFrame(
        list(Account.objects.values("id", "annual_revenue", "employees", "state", "lifecycle", "vertical__name"))
    )
    tiers = dict(AccountScore.objects.filter(icp=icp).values_list("account_id", "tier"))
    reviews = pd.DataFrame(list(TierReview.objects.filter(plan=plan).values("pk", "account_id", "tier", "created_at")))
    latest = reviews.sort_values(["created_at", "pk"]).groupby("account_id")["tier"].last().to_dict()
    frame["tier"] = frame["id"].map(lambda a: latest.get(a, tiers[a]))
    assert {"N", "A", "D"} <= set(frame["tier"])  # needs data, rated and reviewed accounts all met
    revenue = frame["annual_revenue"].astype("float64")
    employees = frame["employees"].astype("float64")
    if method == "revenue_share":
        frame["potential"] = revenue * 0.0075
    elif method == "per_employee":
        frame["potential"] = employees * 90
    else:
        frame["potential"] = employees.map(
            lambda e: None if pd.isna(e) else 150_000 if e >= 5000 else 40_000 if e >= 250 else 10_000
        )
    frame["in_sam"] = frame["tier"].isin(["A", "B"])
    tam = frame["potential"].sum()
    sam = frame.loc[frame["in_sam"], "potential"].sum()
    assert int(run.tam) == round(tam)
    assert int(run.sam) == round(sam)
    assert int(run.som) == round(sam * 0.125)
    assert run.accounts_unknown == int(frame["potential"].isna().sum())
    assert run.sam_accounts == int(frame["in_sam"].sum())
    frame["region"] = frame["state"].replace("", "Unknown")
    by_region = frame.groupby("region")["potential"].sum().round().astype(int).to_dict()
    stored = {b.key: int(b.tam) for b in TamBreakdown.objects.filter(run=run, dimension="region")}
    assert stored == by_region
    frame["vertical"] = frame["vertical__name"].fillna("No vertical")
    pairs = frame.groupby(["vertical", "region"])["potential"].sum().round().astype(int).to_dict()
    stored = {(b.key, b.key2): int(b.tam) for b in TamBreakdown.objects.filter(run=run, dimension="vertical_region")}
    assert stored == pairs


def test_ranks_follow_score_then_potential_with_stable_ties(design, org):
    icp = icp_publish(icp_create(plan=design["plan"], user=None, name="ICP", criteria=CRITERIA))
    same = [AccountFactory(state="NY", annual_revenue=2 * 10**8, employees=1000) for _ in range(3)]
    richer = AccountFactory(state="NY", annual_revenue=9 * 10**8, employees=1000)
    weaker = AccountFactory(state="NY", annual_revenue=2 * 10**8, employees=10)  # 60: tier B
    AccountFactory(state="NY", annual_revenue=10, employees=10)  # tier D: not ranked
    rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    territories_apply(design["design"])
    icp_score_all(icp)
    model = TamModel.objects.create(plan=design["plan"], name="M", sam_min_tier="B")

    prioritize(plan=design["plan"], design=design["design"], icp=icp, model=model)
    first = list(
        AccountPriority.objects.order_by("rank_territory").values_list("account_id", "rank_territory", "rank_region")
    )
    prioritize(plan=design["plan"], design=design["design"], icp=icp, model=model)
    second = list(
        AccountPriority.objects.order_by("rank_territory").values_list("account_id", "rank_territory", "rank_region")
    )

    expected = [richer.pk, *sorted(a.pk for a in same), weaker.pk]
    assert [a for a, _r, _g in first] == expected
    assert [r for _a, r, _g in first] == [1, 2, 3, 4, 5]
    assert first == second  # a re-run ranks the same way


def test_unassigned_accounts_are_listed_for_the_leader(design, org, client):
    AccountFactory(name="Placed Co", state="NY")
    AccountFactory(name="Left Out Co", state="CA")
    rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    territories_apply(design["design"])
    client.force_login(org["leader"])
    page = client.get(reverse("account_list"), {"unassigned_in": design["design"].pk}).content.decode()
    assert "Left Out Co" in page
    assert "Placed Co" not in page
    design_page = client.get(reverse("territory_design_detail", args=[design["design"].pk])).content.decode()
    assert f"?unassigned_in={design['design'].pk}" in design_page


def test_market_pages_render_for_every_role(design, org, client):
    AccountFactory(state="NY", annual_revenue=2 * 10**8, employees=1000)
    icp = icp_publish(icp_create(plan=design["plan"], user=None, name="ICP", criteria=CRITERIA))
    rule_create(design=design["design"], territory=design["ny"], states=["NY"])
    territories_apply(design["design"])
    design_publish(design["design"])
    icp_score_all(icp)
    model = TamModel.objects.create(plan=design["plan"], name="M")
    run = tam_run(model=model, icp=icp, user=org["leader"])
    prioritize(plan=design["plan"], design=design["design"], icp=icp, model=model)
    for role in ("leader", "manager_a", "rep_a1", "rep_b1"):
        client.force_login(org[role])
        for url in (
            reverse("territory_design_list"),
            reverse("territory_design_detail", args=[design["design"].pk]),
            reverse("tam_overview"),
            reverse("tam_run_detail", args=[run.pk]),
            reverse("my_territory"),
        ):
            assert client.get(url).status_code == 200, (role, url)
    client.force_login(org["rep_a1"])
    assert "1</td>" in client.get(reverse("my_territory")).content.decode()  # rank 1 of rep_a1's territory
    client.force_login(org["rep_b1"])
    page = client.get(reverse("my_territory")).content.decode()
    assert "None of your territories' growth targets fit" in page
    export = b"".join(client.get(reverse("tam_run_detail", args=[run.pk]), {"export": "csv"}).streaming_content)
    assert b"Dimension,Value" in export

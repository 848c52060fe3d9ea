"""Cached figures follow what each person may see: a team move, a published design or an import shows on the
very next request, on every page that keeps a figure for a while (issue 13, part 4)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.urls import reverse

from accounts.models import Account, AccountTerritory
from accounts.selectors import accounts_data_changed
from accounts.tests.factories import AccountFactory
from salesplan.models import TerritoryDesign, TerritoryRep, User
from salesplan.services.people import team_save, user_update
from salesplan.templatetags.salesplan_tags import usd
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore
from segmentation.services.icp import icp_create, icp_publish, icp_score_all
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
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**7, "weight": 5}
]


@pytest.fixture
def market(org):
    """Team A's rep_a1 covers NY and owns two accounts in CA; rep_a2 covers MA; team B's rep_b1 covers TX."""
    plan = PlanFactory(status="published")
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    east = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="Atlantic", parent=east)
    covered = {}
    for state, rep in (("NY", "rep_a1"), ("MA", "rep_a2"), ("TX", "rep_b1")):
        covered[state] = territory_create(design=design, level="territory", name=f"{state} territory", parent=area)
        territory_rep_set(territory=covered[state], rep=org[rep])
        rule_create(design=design, territory=covered[state], states=[state])
    for i in range(9):
        AccountFactory(state="NY", annual_revenue=10 ** (5 + i % 4), lifecycle=["prospect", "customer"][i % 2])
    for i in range(5):
        AccountFactory(state="MA", annual_revenue=10 ** (6 + i % 3))
    for i in range(4):
        AccountFactory(state="TX", annual_revenue=10 ** (5 + i % 4))
    AccountFactory.create_batch(2, state="CA", owner=org["rep_a1"], annual_revenue=10**8)
    AccountFactory(state="WA", owner=org["rep_b1"])
    territories_apply(design)
    design_publish(design)
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    icp_score_all(icp)
    return {"plan": plan, "design": design, "icp": icp, "territories": covered}


def _seen_by(manager: User) -> list[Account]:
    """The accounts a manager may see, worked out here from the rows themselves: owned by them or their reps,
    or placed in a territory of their reps in the published design."""
    people = {manager.pk, *User.objects.filter(team__manager=manager).values_list("pk", flat=True)}
    design = TerritoryDesign.objects.get(status="published")
    assigned = TerritoryRep.objects.filter(rep__in=people, territory__design=design)
    covered = set(assigned.values_list("territory", flat=True))
    placed = dict(AccountTerritory.objects.filter(design=design).values_list("account_id", "territory_id"))
    return [a for a in Account.objects.all() if a.owner_id in people or placed.get(a.pk) in covered]


def _home_figures(client) -> dict[str, object]:
    page = client.get(reverse("home")).content.decode()
    tiers = re.findall(r'\?tier=([ABCDN])"><span[^>]*>[^<]*</span>\s*([\d,]+)</a>', page)
    return {
        "team_accounts": int(re.search(r'Team accounts</div>\s*<div class="kpi-value">([\d,]+)', page)[1]),
        "tiers": {tier: int(n.replace(",", "")) for tier, n in tiers},
    }


def _state_choices(client) -> list[str]:
    page = client.get(reverse("account_list")).content.decode()
    select = re.search(r'<select name="state".*?</select>', page, re.S)[0]
    return re.findall(r'<option value="(\w+)"', select)


def _matrix_focus(client, icp) -> int:
    page = client.get(reverse("icp_matrix", args=[icp.pk])).content.decode()
    return int(re.search(r"<strong>([\d,]+)</strong> focus accounts", page)[1])


def _design_rows(client, design) -> dict[str, tuple[int, str]]:
    """Territory → (accounts, TAM $ as shown) on the design page."""
    page = client.get(design.get_absolute_url()).content.decode()
    cells = r'<td class="text-end">([\d,]+)</td>\s*<td class="text-end">([^<]+)</td>'
    rows = re.findall(r'<span class="">(\w+) territory</span>.*?' + cells, page, re.S)
    return {state: (int(n.replace(",", "")), dollars) for state, n, dollars in rows}


def _design_territories(client, design) -> dict[str, int]:
    return {state: n for state, (n, _dollars) in _design_rows(client, design).items()}


def _figures(client, market) -> dict[str, object]:
    return {
        **_home_figures(client),
        "states": _state_choices(client),
        "focus": _matrix_focus(client, market["icp"]),
        "territories": _design_territories(client, market["design"]),
    }


def _expected(manager: User, market) -> dict[str, object]:
    seen = _seen_by(manager)
    tiers = dict(AccountScore.objects.filter(icp=market["icp"]).values_list("account_id", "tier"))
    counts = Counter(tiers[a.pk] for a in seen if a.pk in tiers)  # an account not scored yet has no tier
    people = {manager.pk, *User.objects.filter(team__manager=manager).values_list("pk", flat=True)}
    placed = Counter(AccountTerritory.objects.filter(design=market["design"]).values_list("territory__name", flat=True))
    covered = TerritoryRep.objects.filter(rep__in=people).values_list("territory__name", flat=True)
    return {
        "team_accounts": len(seen),
        "tiers": {tier: counts.get(tier, 0) for tier in "ABCDN"},
        "states": sorted({a.state for a in seen if a.state}),
        "focus": counts.get("A", 0) + counts.get("B", 0),
        "territories": {name.split()[0]: placed[name] for name in covered},
    }


def _move_on_the_user_page(client, org, rep, team):
    client.force_login(org["leader"])
    person = org[rep]
    data = {"username": person.username, "first_name": person.first_name or "R", "last_name": person.last_name or "R",
            "email": person.email, "title": "", "role": "rep", "team": org[team].pk, "is_active": "on"}  # fmt: skip
    assert client.post(reverse("user_edit", args=[person.pk]), data).status_code == 302


def _move_on_the_team_page(client, org, rep, team):
    client.force_login(org["leader"])
    target = org[team]
    reps = [*target.members.values_list("pk", flat=True), org[rep].pk]
    data = {"name": target.name, "manager": target.manager_id, "reps": reps}
    assert client.post(reverse("team_edit", args=[target.pk]), data).status_code == 302


@pytest.mark.parametrize("move", [_move_on_the_user_page, _move_on_the_team_page], ids=["user page", "team page"])
def test_a_team_move_shows_on_every_cached_figure_of_both_managers_at_once(client, org, market, move):
    before = {}
    for manager in ("manager_a", "manager_b"):
        client.force_login(org[manager])
        before[manager] = _figures(client, market)  # every cached figure is warm now
        assert before[manager] == _expected(org[manager], market)
    assert "NY" in before["manager_a"]["states"]
    assert "CA" in before["manager_a"]["states"]

    move(client, org, "rep_a1", "team_b")
    assert User.objects.get(pk=org["rep_a1"].pk).team == org["team_b"]

    for manager in ("manager_a", "manager_b"):
        client.force_login(org[manager])
        assert _figures(client, market) == _expected(org[manager], market), manager
    client.force_login(org["manager_a"])
    assert _state_choices(client) == ["MA"]  # NY and CA left with rep_a1
    assert _home_figures(client)["team_accounts"] == before["manager_a"]["team_accounts"] - 11


def test_a_published_design_changes_a_reps_cached_states_at_once(client, org, market):
    client.force_login(org["rep_a1"])
    assert _state_choices(client) == ["CA", "NY"]
    design = design_create(plan=market["plan"], user=org["leader"], name="Next year")
    region = territory_create(design=design, level="region", name="All")
    area = territory_create(design=design, level="area", name="All areas", parent=region)
    texas = territory_create(design=design, level="territory", name="Texas", parent=area)
    territory_rep_set(territory=texas, rep=org["rep_a1"])
    rule_create(design=design, territory=texas, states=["TX"])
    territories_apply(design)
    design_publish(design)
    assert _state_choices(client) == ["CA", "TX"]


def test_an_import_changes_every_cached_figure_at_once(client, org, market):
    client.force_login(org["manager_a"])
    _figures(client, market)
    assert _design_rows(client, market["design"])["MA"][1] == usd(_potential("MA"))
    AccountFactory(state="NJ", owner=org["rep_a2"], annual_revenue=10**9)
    Account.objects.filter(state="MA").update(annual_revenue=10**9)  # set-based, as an import writes
    accounts_data_changed()
    assert _figures(client, market) == _expected(org["manager_a"], market)
    assert "NJ" in _state_choices(client)
    assert _design_rows(client, market["design"])["MA"][1] == usd(_potential("MA")) == "$25M"


def _potential(state: str) -> int:
    """$ potential by the plan's default model: half a percent of revenue."""
    return round(sum(Account.objects.filter(state=state).values_list("annual_revenue", flat=True)) * 0.005)


def test_the_fingerprint_is_what_a_person_sees_not_who_they_are(org, market):
    from salesplan.selectors import visibility_fingerprint

    leader_2 = User.objects.create(username="leader_2", role="leader")
    assert visibility_fingerprint(org["leader"]) == visibility_fingerprint(leader_2)
    assert visibility_fingerprint(org["manager_a"]) != visibility_fingerprint(org["manager_b"])
    before = visibility_fingerprint(org["manager_a"], inputs=["accounts"])
    assert visibility_fingerprint(org["manager_a"], inputs=["accounts"]) == before  # steady while nothing moves
    user_update(user=org["rep_a2"], team=org["team_b"])
    assert visibility_fingerprint(org["manager_a"], inputs=["accounts"]) != before
    moved = visibility_fingerprint(org["manager_a"], inputs=["accounts"])
    team_save(team=org["team_a"], name="Team A", manager=org["manager_a"], reps=[org["rep_a2"]])
    assert visibility_fingerprint(org["manager_a"], inputs=["accounts"]) != moved
    moved = visibility_fingerprint(org["manager_a"], inputs=["accounts"])
    accounts_data_changed()
    assert visibility_fingerprint(org["manager_a"], inputs=["accounts"]) != moved

"""Named accounts in placement rules: found by searching names, chosen and shown by name, stored as ids."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccountTerritory
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AssignmentRule
from segmentation.services.territories import (
    design_create,
    rule_create,
    territories_apply,
    territory_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(org):
    plan = PlanFactory(status="published")
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    east = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="North East", parent=east)
    ny = territory_create(design=design, level="territory", name="New York", parent=area)
    key = territory_create(design=design, level="territory", name="Key accounts", parent=area)
    rule_create(design=design, territory=ny, states=["NY"])
    return {"design": design, "ny": ny, "key": key}


def _search(client, design, text, chosen=()):
    url = reverse("rule_account_search", args=[design["design"].pk])
    return client.get(url, {"account_q": text, "r-accounts": [a.pk for a in chosen]})


def test_leader_finds_accounts_by_name_leaving_out_the_chosen_ones(client, org, design):
    acme = AccountFactory(name="Acme Tools Inc.", city="Albany", state="NY")
    acme_west = AccountFactory(name="Acme West LLC", city="Reno", state="NV")
    AccountFactory(name="Zenith Corp.")
    client.force_login(org["leader"])

    page = _search(client, design, "acme").content.decode()
    assert "Acme Tools Inc." in page
    assert "Albany, NY" in page
    assert "Acme West LLC" in page
    assert "Zenith" not in page
    assert f"?account={acme.pk}" in page

    page = _search(client, design, "acme", chosen=[acme]).content.decode()
    assert "Acme Tools Inc." not in page
    assert f"?account={acme_west.pk}" in page
    assert "has “zzz” in its name" in _search(client, design, "zzz").content.decode()
    assert "at least two letters" in _search(client, design, "a").content.decode()


def test_only_the_leader_searches_and_chooses_accounts_for_rules(client, org, design):
    account = AccountFactory(name="Acme Tools Inc.", owner=org["rep_a1"])
    for role in ("manager_a", "rep_a1"):
        client.force_login(org[role])
        assert _search(client, design, "acme").status_code in {403, 404}
        choose = reverse("rule_account_choose", args=[design["design"].pk])
        assert client.get(choose, {"account": account.pk}).status_code in {403, 404}


def test_choosing_an_account_gives_its_chip_with_its_id_and_clears_the_search(client, org, design):
    account = AccountFactory(name="Acme <Tools> Inc.")
    client.force_login(org["leader"])
    url = reverse("rule_account_choose", args=[design["design"].pk])

    page = client.get(url, {"account": account.pk}).content.decode()

    assert f'<input type="hidden" name="r-accounts" value="{account.pk}">' in page
    assert "Acme &lt;Tools&gt; Inc." in page  # escaped
    assert 'id="rule-account-results" hx-swap-oob="true"' in page
    assert client.get(url, {"account": 999_999}).status_code == 404
    assert client.get(url, {"account": "x"}).status_code == 404


def _rule_post(design, territory, accounts, **extra):
    return {"action": "rule", "r-territory": territory.pk if territory else "",
            "r-accounts": [a.pk for a in accounts], **extra}  # fmt: skip


def test_a_rule_of_named_accounts_is_stored_as_ids_shown_by_name_and_places_them_first(client, org, design):
    big_ny = AccountFactory(name="Big Apple Foods Inc.", state="NY")
    other = AccountFactory(name="Harbor Freight Lines LLC", state="NY")
    client.force_login(org["leader"])
    url = reverse("territory_design_detail", args=[design["design"].pk])

    response = client.post(url, _rule_post(design, design["key"], [other, big_ny], **{"r-first": "on"}))

    assert response.status_code == 302
    rules = list(AssignmentRule.objects.filter(design=design["design"]))
    assert [r.territory.name for r in rules] == ["Key accounts", "New York"]  # tried first
    assert rules[0].accounts == sorted([big_ny.pk, other.pk])
    page = client.get(url).content.decode()
    assert 'are named: <strong class="fw-medium">Big Apple Foods Inc.</strong>, ' in page
    assert "Harbor Freight Lines LLC</strong>" in page
    territories_apply(design["design"])
    placed = dict(AccountTerritory.objects.filter(design=design["design"]).values_list("account_id", "territory_id"))
    assert placed[big_ny.pk] == design["key"].pk  # the named rule wins over the state rule
    assert placed[other.pk] == design["key"].pk


def test_a_refused_rule_comes_back_with_its_chosen_accounts_and_the_reason(client, org, design):
    chosen = AccountFactory(name="Kept Choice Inc.")
    client.force_login(org["leader"])
    url = reverse("territory_design_detail", args=[design["design"].pk])

    response = client.post(url, _rule_post(design, None, [chosen], **{"r-revenue_min": "$50M"}))

    page = response.content.decode()
    assert response.status_code == 200
    assert AssignmentRule.objects.filter(design=design["design"]).count() == 1
    assert f'name="r-accounts" value="{chosen.pk}">Kept Choice Inc.' in page
    assert 'value="$50M"' in page
    assert "This field is required." in page


def test_an_account_no_longer_visible_is_refused_by_name_of_the_problem(client, org, design):
    client.force_login(org["leader"])
    url = reverse("territory_design_detail", args=[design["design"].pk])
    page = client.post(url, {"action": "rule", "r-territory": design["key"].pk, "r-accounts": [987_654]})
    assert "An account chosen is not one you can see any more: search again." in page.content.decode()
    assert AssignmentRule.objects.filter(design=design["design"]).count() == 1

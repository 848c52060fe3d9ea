"""The ICP matrix and My territory say when a filter was not applied (someone or something out of sight)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.services.icp import icp_create, icp_publish, icp_score_all

pytestmark = pytest.mark.django_db

CRITERIA = [{"key": "budget", "name": "Budget", "kind": "question", "question": "Budget?", "weight": 5}]


@pytest.fixture
def icp(org):
    plan = PlanFactory(status="published")
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    AccountFactory(owner=org["rep_a1"], name="Alpha Foods Inc.")
    AccountFactory(owner=org["rep_b1"], name="Gamma Freight Co.")
    icp_score_all(icp)
    return icp


def test_the_matrix_says_a_filter_on_another_teams_rep_was_not_applied(client, org, icp):
    client.force_login(org["manager_a"])
    url = reverse("icp_matrix", args=[icp.pk])
    page = client.get(url, {"owner": org["rep_b1"].pk}).content.decode()
    assert "You can&#x27;t see that person&#x27;s accounts; the “Owner” filter was not applied." in page
    assert "Gamma Freight Co." not in page
    page = client.get(url, {"owner": org["rep_a1"].pk}).content.decode()
    assert "was not applied" not in page
    assert "Alpha Foods Inc." in page


def test_my_territory_says_a_territory_or_tier_it_cannot_use(client, org, icp):
    client.force_login(org["rep_a1"])
    page = client.get(reverse("my_territory"), {"territory": 999_999, "tier": "Z"}).content.decode()
    assert "You can&#x27;t see that territory; the “Territory” filter was not applied." in page
    assert "“Z” is not a tier (A, B, C, D or Needs data); the “Tier” filter was not applied." in page
    assert client.get(reverse("my_territory"), {"territory": "abc"}).status_code == 200  # was a server error
    page = client.get(reverse("my_territory"), {"tier": "A"}).content.decode()
    assert "was not applied" not in page

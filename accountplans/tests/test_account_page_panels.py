"""The account page shows the account's strategy and plan questions (account planning) and its ICP fit
(segmentation) with the page itself, in that order, rather than loading them in further requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.services.icp import icp_create, icp_publish

pytestmark = pytest.mark.django_db


def test_the_account_page_shows_strategy_and_icp_fit_with_the_page(client, org):
    icp_publish(icp_create(plan=PlanFactory(status="published"), user=org["leader"], name="ICP"))
    account = AccountFactory(owner=org["rep_a1"], lifecycle="prospect")
    client.force_login(org["rep_a1"])

    html = client.get(reverse("account_detail", args=[account.pk])).content.decode()

    assert 'id="account-strategy"' in html
    assert "A prospect: win its first order." in html  # the suggestion and why
    assert "Does it match our Ideal Customer Profile?" in html  # the plan questions
    assert 'id="account-icp"' in html
    assert "Ideal Customer Profile fit" in html
    assert html.index('id="account-strategy"') < html.index('id="account-icp"')
    assert 'hx-get="' + reverse("account_strategy_panel", args=[account.pk]) not in html
    assert 'hx-get="' + reverse("account_icp_panel", args=[account.pk]) not in html

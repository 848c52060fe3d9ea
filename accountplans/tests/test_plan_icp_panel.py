"""A plan's profile shows the account's ICP fit with the page itself (segmentation's panel, answers shown
and not asked), on the plan page and in its printout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accountplans.services.plans import plan_create
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.services.icp import answer_set, icp_create, icp_publish

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["account_plan_detail", "account_plan_print"])
def test_the_plan_shows_the_icp_fit_with_the_answers_read_only(client, org, page):
    icp = icp_publish(icp_create(plan=PlanFactory(status="published"), user=org["leader"], name="ICP"))
    account = AccountFactory(owner=org["rep_a1"])
    question = icp.criteria.filter(kind="question").first()
    answer_set(account=account, key=question.key, answer="partly", user=org["rep_a1"])
    plan = plan_create(account=account, user=org["rep_a1"])
    client.force_login(org["rep_a1"])

    html = client.get(reverse(page, args=[plan.pk])).content.decode()

    assert 'id="account-icp"' in html
    assert "Ideal Customer Profile fit" in html
    assert question.name in html
    assert "Partly" in html
    assert reverse("icp_answer", args=[icp.pk, account.pk]) not in html  # shown, not asked
    assert reverse("account_icp_panel", args=[account.pk]) not in html  # no second request for it

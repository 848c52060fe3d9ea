"""The chain that keeps segmentation's results current: score → place → rank → summaries, by itself.

Each test starts from a scored, placed and ranked market, makes one change as a person would (an import,
a rule, a review, an answer), and checks what the leader and the reps then read.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import AccountTerritory
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory
from salesplan.models import DerivedResult, JobRun
from salesplan.services.freshness import derived_freshness, derived_out_of_date, refresh_request
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountPriority, AccountScore, IdealCustomerProfile, PriorityRun
from segmentation.services.icp import answer_set, icp_create, icp_publish, tier_review
from segmentation.services.territories import (
    design_create,
    design_publish,
    rule_create,
    territories_apply_job,
    territory_create,
    territory_rep_set,
)

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 1_000_000, "weight": 5},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget confirmed?", "weight": 5},
]


@pytest.fixture
def market(org, django_capture_on_commit_callbacks):
    """A current plan with a published profile, a published design (NY, MA) and everything computed once."""
    today = dt.date.today()
    plan = PlanFactory(fiscal_year_start=today.replace(month=1, day=1), fiscal_year_end=today.replace(month=12, day=31))
    for i in range(6):
        AccountFactory(name=f"NY {i}", state="NY", country="US", annual_revenue=5_000_000, owner=None)
    for i in range(4):
        AccountFactory(name=f"MA {i}", state="MA", country="US", annual_revenue=5_000_000, owner=None)
    icp = icp_create(plan=plan, user=org["leader"], name="Fit", criteria=CRITERIA)
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    region = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="North East", parent=region)
    ny = territory_create(design=design, level="territory", name="New York", parent=area)
    ma = territory_create(design=design, level="territory", name="Massachusetts", parent=area)
    territory_rep_set(territory=ny, rep=org["rep_a1"])
    territory_rep_set(territory=ma, rep=org["rep_b1"])
    rule_create(design=design, territory=ny, states=["NY"])
    rule_create(design=design, territory=ma, states=["MA"])
    territories_apply_job(job=None, design_id=design.pk)
    design.refresh_from_db()
    design_publish(design)
    icp_publish(icp)
    refresh_chain(django_capture_on_commit_callbacks)
    assert derived_out_of_date() == []
    return {"plan": plan, "icp": icp, "design": design, "ny": ny, "ma": ma, **org}


def refresh_chain(capture) -> JobRun | None:
    """What happens after a commit in production: the chain is requested and (sync backend) runs."""
    with capture(execute=True):
        job = refresh_request()
    if job is not None:
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
    return job


def _ran() -> dict[str, dt.datetime]:
    return dict(DerivedResult.objects.values_list("key", "computed_at"))


def test_the_first_chain_scores_ranks_and_sums_up_a_newly_published_profile(market):
    icp = IdealCustomerProfile.objects.get(pk=market["icp"].pk)
    assert icp.scored_count == 10
    assert sum(icp.summary["counts"].values()) == 10
    run = PriorityRun.objects.get(plan=market["plan"])
    assert run.icp_id == icp.pk
    assert set(_ran()) == {
        f"score:{icp.pk}",
        f"place:{market['design'].pk}",
        f"rank:{market['plan'].pk}",
        f"summary:{icp.pk}",
    }


def test_an_import_brings_scores_territories_ranks_and_the_summary_up_to_date(
    market, auto_refresh, django_capture_on_commit_callbacks, settings, tmp_path, client
):
    settings.MEDIA_ROOT = tmp_path
    icp, design = market["icp"], market["design"]
    before = _ran()
    csv = "Company,State,Country,Revenue\nNew York Newco,NY,US,9000000\nBoston Newco,MA,US,8000000\nTexas Co,TX,US,1\n"
    upload = account_import_create(file=ContentFile(csv.encode(), name="new.csv"), name="new.csv", user=None)

    with django_capture_on_commit_callbacks(execute=True):
        job = account_import_start(account_import=upload, mapping=upload.mapping, mode="all", user=market["leader"])
    job.refresh_from_db()
    assert job.status == "succeeded", job.error

    chains = JobRun.objects.filter(kind="refresh", pk__gt=job.pk)
    assert chains.count() == 1  # one chain for the whole import
    assert chains.get().status == "succeeded"
    design.refresh_from_db()
    assert (design.assigned_count, design.unassigned_count) == (12, 1)  # the Texas company fits no rule
    assert AccountTerritory.objects.filter(
        design=design, account__name="New York Newco", territory=market["ny"]
    ).exists()
    assert AccountScore.objects.filter(icp=icp).count() == 13
    icp.refresh_from_db()
    assert sum(icp.summary["counts"].values()) == 13
    ranked = set(AccountPriority.objects.filter(run__plan=market["plan"]).values_list("account__name", flat=True))
    assert {"New York Newco", "Boston Newco"} <= ranked
    after = _ran()
    assert all(after[key] > before[key] for key in before)
    assert derived_out_of_date() == []
    assert derived_freshness("all").state == "current"
    client.force_login(market["leader"])
    report = client.get(reverse("account_import_detail", args=[upload.pk])).content.decode()
    assert 'data-freshness="all" data-state="current"' in report  # the report says the results followed


def test_every_result_at_once_says_when_it_is_being_brought_up_to_date(market, client, settings):
    from unittest import mock

    AccountFactory(name="Report Co", state="NY")  # the accounts changed (paused: nothing runs yet)
    assert derived_freshness("all").state == "out_of_date"
    settings.JOBS_BACKEND = "celery"
    with mock.patch("salesplan.services.jobs._job_dispatch"):
        chain = refresh_request()
    state = derived_freshness("all")
    assert (state.state, state.updating) == ("updating", chain)
    assert state.noun == "Scores, territory placement, priorities, figures"
    client.force_login(market["leader"])
    body = client.get(reverse("freshness", args=["all"])).content.decode()
    assert "Being brought up to date" in body


def test_a_tier_review_reranks_and_sums_up_again_without_scoring_every_account(
    market, auto_refresh, django_capture_on_commit_callbacks
):
    before = _ran()
    score = AccountScore.objects.filter(icp=market["icp"]).select_related("account").first()
    with django_capture_on_commit_callbacks(execute=True):
        tier_review(
            account=score.account,
            plan=market["plan"],
            reviewer=market["manager_a"],
            computed_tier=score.tier,
            tier="D",
            reason="Buys centrally",
        )
    after = _ran()
    plan, icp = market["plan"], market["icp"]
    assert after[f"score:{icp.pk}"] == before[f"score:{icp.pk}"]  # a review is not a reason to score a million
    assert after[f"place:{market['design'].pk}"] == before[f"place:{market['design'].pk}"]
    assert after[f"rank:{plan.pk}"] > before[f"rank:{plan.pk}"]
    assert after[f"summary:{icp.pk}"] > before[f"summary:{icp.pk}"]


def test_an_answer_moves_one_score_at_once_and_the_ranking_follows(
    market, auto_refresh, django_capture_on_commit_callbacks
):
    before = _ran()
    account = AccountScore.objects.filter(icp=market["icp"]).select_related("account").first().account
    with django_capture_on_commit_callbacks(execute=True):
        answer_set(account=account, key="budget", answer="yes", user=market["rep_a1"])
    after = _ran()
    icp = market["icp"]
    assert after[f"score:{icp.pk}"] == before[f"score:{icp.pk}"]
    assert after[f"rank:{market['plan'].pk}"] > before[f"rank:{market['plan'].pk}"]


def test_a_new_rule_on_the_published_design_places_the_accounts_again(
    market, auto_refresh, django_capture_on_commit_callbacks
):
    design = market["design"]
    with django_capture_on_commit_callbacks(execute=True):
        AccountFactory(name="Vermont Co", state="VT", country="US", annual_revenue=5_000_000)
        rule_create(design=design, territory=market["ma"], states=["VT"])
    assert AccountTerritory.objects.filter(design=design, account__name="Vermont Co", territory=market["ma"]).exists()
    assert derived_out_of_date() == []


def test_results_of_a_past_year_stay_as_of_their_day(market, django_capture_on_commit_callbacks):
    plan = market["plan"]
    plan.fiscal_year_start, plan.fiscal_year_end = dt.date(2001, 1, 1), dt.date(2001, 12, 31)
    plan.save()
    AccountFactory(name="Later Co", state="NY")
    assert derived_out_of_date() == []  # nothing of a past year is a target
    assert refresh_chain(django_capture_on_commit_callbacks) is None


def test_pages_say_as_of_and_when_results_are_being_brought_up_to_date(market, client, settings):
    icp = market["icp"]
    client.force_login(market["rep_a1"])
    body = client.get(reverse("my_territory")).content.decode()
    assert 'data-freshness="rank:' in body
    assert 'data-state="current"' in body
    assert "Priorities as of" in body

    AccountFactory(name="Queued Co", state="NY")  # paused: the accounts changed, nothing runs yet
    assert derived_freshness(f"score:{icp.pk}").state == "out_of_date"
    settings.JOBS_BACKEND = "celery"
    from unittest import mock

    with mock.patch("salesplan.services.jobs._job_dispatch"):
        refresh_request()
    body = client.get(reverse("icp_matrix", args=[icp.pk])).content.decode()
    assert 'data-state="updating"' in body
    assert "Being brought up to date" in body
    client.force_login(market["leader"])
    body = client.get(reverse("territory_design_detail", args=[market["design"].pk])).content.decode()
    assert 'data-freshness="place:' in body
    assert 'data-state="updating"' in body


def test_the_as_of_line_of_something_a_user_cannot_see_is_a_404(market, client, org):
    # A draft profile of a draft plan: the leader's work in progress, which a rep never sees.
    draft_plan = PlanFactory(
        status="draft",
        fiscal_year_start=market["plan"].fiscal_year_start,
        fiscal_year_end=market["plan"].fiscal_year_end,
    )
    draft = icp_create(plan=draft_plan, user=org["leader"], name="Next year", criteria=CRITERIA)
    client.force_login(org["rep_a1"])
    assert client.get(reverse("freshness", args=[f"score:{market['icp'].pk}"])).status_code == 286  # seen
    assert client.get(reverse("freshness", args=[f"rank:{market['plan'].pk}"])).status_code == 286
    for key in (f"score:{draft.pk}", f"rank:{draft_plan.pk}", "all", "score:x", "nothing:1"):
        assert client.get(reverse("freshness", args=[key])).status_code == 404, key
    client.force_login(org["leader"])
    assert client.get(reverse("freshness", args=["all"])).status_code == 286


def test_a_design_cannot_lose_its_last_rule_once_it_has_placed_accounts(market):
    from django.core.exceptions import ValidationError

    from segmentation.services.territories import rule_delete

    design = market["design"]
    first, last = list(design.rules.order_by("position"))
    assert rule_delete(design=design, rule_id=first.pk)
    with pytest.raises(ValidationError, match="last rule"):
        rule_delete(design=design, rule_id=last.pk)
    assert design.rules.count() == 1

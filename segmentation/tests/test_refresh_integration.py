"""The chain on the real stack: an import on the Celery worker brings scores, territories and ranks up to
date by itself, over Redis, in the worker process (PostgreSQL, Redis and the worker of the harness)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from accounts.models import AccountTerritory
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory
from conftest import wait_for
from salesplan.models import JobRun
from salesplan.services.freshness import derived_out_of_date, refresh_run
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountPriority, AccountScore, TierReview
from segmentation.services.icp import icp_create, icp_publish, tier_review
from segmentation.services.territories import (
    design_create,
    design_publish,
    rule_create,
    territories_apply,
    territory_create,
    territory_rep_set,
)

pytestmark = [pytest.mark.postgres, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 1_000_000, "weight": 5}
]


@pytest.fixture
def market(org):
    today = dt.date.today()
    plan = PlanFactory(fiscal_year_start=today.replace(month=1, day=1), fiscal_year_end=today.replace(month=12, day=31))
    AccountFactory.create_batch(5, state="NY", country="US", annual_revenue=5_000_000, owner=None)
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    region = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="North East", parent=region)
    ny = territory_create(design=design, level="territory", name="New York", parent=area)
    territory_rep_set(territory=ny, rep=org["rep_a1"])
    rule_create(design=design, territory=ny, states=["NY"])
    territories_apply(design)
    design_publish(design)
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="Fit", criteria=CRITERIA))
    refresh_run()  # everything computed once, here
    assert derived_out_of_date() == []
    return {"plan": plan, "design": design, "icp": icp, "ny": ny, **org}


def _chains_done() -> bool:
    return not JobRun.objects.filter(kind="refresh", status__in=JobRun.ACTIVE).exists()


def test_an_import_on_the_worker_starts_the_chain_there_and_it_brings_everything_up_to_date(
    market, real_jobs, settings, tmp_path
):
    csv = "Company,State,Country,Revenue\nNew York Newco,NY,US,9000000\nAlbany Newco,NY,US,8000000\n"
    upload = account_import_create(file=ContentFile(csv.encode(), name="new.csv"), name="new.csv", user=None)
    job = account_import_start(account_import=upload, mapping=upload.mapping, mode="all", user=market["leader"])

    wait_for(lambda: JobRun.objects.filter(pk=job.pk, status="succeeded").first(), what="the import job")
    chain = wait_for(
        lambda: JobRun.objects.filter(kind="refresh", status="succeeded", pk__gt=job.pk).first(), what="the chain"
    )
    wait_for(_chains_done, what="every chain to end")

    assert chain.started_by is None  # started by the worker after the import, not by a click
    assert AccountTerritory.objects.filter(design=market["design"], account__name="Albany Newco").exists()
    assert AccountScore.objects.filter(icp=market["icp"], account__name="Albany Newco", tier="A").exists()
    assert AccountPriority.objects.filter(run__plan=market["plan"], account__name="New York Newco").exists()
    assert derived_out_of_date() == []


def test_two_changes_in_a_row_end_with_everything_current_and_no_pile_of_chains(market, real_jobs, auto_refresh):
    scores = list(AccountScore.objects.filter(icp=market["icp"]).select_related("account")[:2])
    for score in scores:
        tier_review(account=score.account, plan=market["plan"], reviewer=market["manager_a"], computed_tier=score.tier)

    wait_for(lambda: JobRun.objects.filter(kind="refresh").exists(), what="a chain to start")
    wait_for(_chains_done, what="the chains to end")

    assert TierReview.objects.count() == 2
    assert JobRun.objects.filter(kind="refresh").count() <= 2  # one per change at most, never a pile
    assert not JobRun.objects.filter(kind="refresh", status="failed").exists()
    assert derived_out_of_date() == []

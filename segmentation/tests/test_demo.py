"""The demo's segmentation as a leader first meets it: rated accounts in every tier beside the ones that need
data, no A or B on too little knowledge, and a SAM that is a plausible share of the TAM."""

from __future__ import annotations

import pytest
from django.db.models import Count

from salesplan.services.demo import demo_seed
from segmentation.models import AccountScore, IdealCustomerProfile, TamRun

pytestmark = pytest.mark.django_db


def test_demo_market_has_every_tier_and_a_plausible_sam():
    demo_seed(companies=2_000, seed=42)
    icp = IdealCustomerProfile.objects.get(status="published")
    scores = AccountScore.objects.filter(icp=icp)
    tiers = dict(scores.order_by().values_list("tier").annotate(n=Count("account_id")))
    assert set(tiers) == {"A", "B", "C", "D", "N"}
    # Reps have qualified some accounts, not all: the rest is work for them, not tier A.
    assert 0.5 < tiers["N"] / sum(tiers.values()) < 0.95
    assert not scores.filter(tier__in=["A", "B"], coverage__lt=icp.min_known_pct).exists()
    run = TamRun.objects.get()
    # Before, the SAM was 87 % of the TAM (nearly every large company rated A or B on its firmographics).
    assert 0.15 < run.sam / run.tam < 0.5
    assert 0 < run.sam_accounts < tiers["A"] + tiers["B"] + 10  # A or B in force (a few moved by reviews)

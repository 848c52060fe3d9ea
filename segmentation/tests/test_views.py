"""The ICP pages as each role meets them: who may see and do what, exports, the editor, JSON over HTTP."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.tests.factories import AccountFactory
from salesplan.models import JobRun
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountAnswer, AccountScore, IdealCustomerProfile, TierReview
from segmentation.services.icp import icp_create, icp_publish, icp_score_all

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 1_000_000, "weight": 5},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget?", "weight": 5},
]


@pytest.fixture
def world(org):
    plan = PlanFactory(status="published")
    icp = icp_create(plan=plan, user=org["leader"], name="Core ICP", criteria=CRITERIA)
    icp_publish(icp)
    mine = AccountFactory(name='=HYPERLINK("x")', owner=org["rep_a1"], annual_revenue=5_000_000)
    teammate = AccountFactory(name="Teammate Co", owner=org["rep_a2"])
    other_team = AccountFactory(name="Other Team Co", owner=org["rep_b1"])
    icp_score_all(icp)
    return {"icp": icp, "mine": mine, "teammate": teammate, "other": other_team, "plan": plan}


def _matrix(client, user, icp, **params):
    client.force_login(user)
    return client.get(reverse("icp_matrix", args=[icp.pk]), params)


def test_each_role_sees_only_its_accounts_in_the_matrix(client, org, world):
    page = _matrix(client, org["rep_a1"], world["icp"]).content.decode()
    assert "HYPERLINK" in page
    assert "Teammate Co" not in page
    assert "Other Team Co" not in page
    page = _matrix(client, org["manager_a"], world["icp"]).content.decode()
    assert "Teammate Co" in page
    assert "Other Team Co" not in page
    page = _matrix(client, org["leader"], world["icp"]).content.decode()
    assert "Other Team Co" in page


def test_answering_another_teams_account_is_a_404_and_changes_nothing(client, org, world):
    client.force_login(org["rep_a1"])
    url = reverse("icp_answer", args=[world["icp"].pk, world["other"].pk])
    assert client.post(url, {"key": "budget", "answer": "yes"}).status_code == 404
    assert not AccountAnswer.objects.exists()


def test_rep_answers_inline_and_gets_the_row_back(client, org, world):
    client.force_login(org["rep_a1"])
    url = reverse("icp_answer", args=[world["icp"].pk, world["mine"].pk])
    response = client.post(url, {"key": "budget", "answer": "no"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "data-score>50.0<" in response.content.decode()
    assert AccountScore.objects.get(account=world["mine"]).tier == "B"


def test_only_managers_and_leaders_review_and_only_their_teams(client, org, world):
    icp, mine = world["icp"], world["mine"]
    client.force_login(org["rep_a1"])
    url = reverse("icp_review", args=[icp.pk, mine.pk])
    assert client.post(url, {"tier": "A", "reason": "x"}).status_code == 403
    client.force_login(org["manager_b"])
    assert client.post(url, {"tier": "A", "reason": "x"}).status_code == 404
    client.force_login(org["manager_a"])
    response = client.post(url, {"tier": "D", "reason": "Shrinking"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "overridden to D: Shrinking" in response.content.decode()
    # Revenue known (5 of 10), the budget not: 50 % known, under 60 %: "Needs data", overridden to D.
    assert (TierReview.objects.get().computed_tier, TierReview.objects.get().tier) == ("N", "D")


def test_matrix_exports_neutralize_formulas_and_keep_numbers(client, org, world):
    response = _matrix(client, org["rep_a1"], world["icp"], export="csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Company", "Domain", "Owner"]
    assert rows[0][-2:] == ["Revenue (of 5)", "Budget (of 5)"]
    assert rows[1][0].startswith("'=HYPERLINK")
    response = _matrix(client, org["rep_a1"], world["icp"], export="xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A2"].value.startswith("'=")
    assert [c.value for c in sheet[2][3:6]] == ["Needs data", None, "Needs data"]  # tier, review, in force
    assert sheet["G2"].value == 75  # revenue 5 of 10, the budget's 5 unknown counting half: (5 + 2.5) / 10
    assert sheet["K2"].value == 5


def test_matrix_exports_write_a_criterion_named_like_a_formula_as_text(client, org, world):
    evil = '=HYPERLINK("http://evil.example/","Open")'
    world["icp"].criteria.filter(key="budget").update(name=evil)
    response = _matrix(client, org["leader"], world["icp"], export="csv")
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert header[-1] == f"'{evil} (of 5)"
    response = _matrix(client, org["leader"], world["icp"], export="xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    written = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert sheet.cell(row=1, column=sheet.max_column).value == f"'{evil} (of 5)"
    assert all(c.data_type == "s" and not c.value.startswith(("=", "+", "-", "@")) for c in written)


def test_drafts_are_the_leaders_and_editing_is_the_leaders(client, org, world):
    draft = icp_create(plan=world["plan"], user=org["leader"], name="Next year")
    client.force_login(org["manager_a"])
    assert client.get(reverse("icp_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("icp_edit", args=[world["icp"].pk])).status_code == 403
    client.force_login(org["leader"])
    response = client.get(reverse("icp_edit", args=[world["icp"].pk]))  # published: a new draft version instead
    new = IdealCustomerProfile.objects.get(lineage=world["icp"].lineage, version=2)
    assert response.url == reverse("icp_edit", args=[new.pk])


def test_leader_edits_criteria_and_publishing_starts_scoring(client, org, world, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    draft = icp_create(plan=world["plan"], user=org["leader"], name="Edited", criteria=CRITERIA)
    url = reverse("icp_edit", args=[draft.pk])
    form = {
        "name": "Edited", "description": "", "tier_a_min": 80, "tier_b_min": 60, "tier_c_min": 30,
        "criteria-TOTAL_FORMS": 3, "criteria-INITIAL_FORMS": 2,
        "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, c in enumerate(draft.criteria.all()):
        form |= {f"criteria-{i}-id": c.pk, f"criteria-{i}-key": c.key, f"criteria-{i}-name": c.name,
                 f"criteria-{i}-kind": c.kind, f"criteria-{i}-field": c.field, f"criteria-{i}-weight": 7,
                 f"criteria-{i}-min_value": c.min_value or "", f"criteria-{i}-question": c.question}  # fmt: skip
    form |= {"criteria-2-name": "Public", "criteria-2-kind": "fact", "criteria-2-field": "public",
             "criteria-2-expected": "on", "criteria-2-weight": 3}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "then": "publish"})
    draft.refresh_from_db()
    assert draft.status == "published"
    assert draft.tier_a_min == 80
    assert list(draft.criteria.values_list("key", "weight")) == [("rev", 7), ("budget", 7), ("public", 3)]
    job = JobRun.objects.get(kind="icp_score")
    assert response.url == job.get_absolute_url()
    assert job.status == "succeeded"
    assert AccountScore.objects.filter(icp=draft).count() == 3
    # A range without bounds is refused with the reason, on the criterion's row.
    draft2 = icp_create(plan=world["plan"], user=org["leader"], name="Bad", criteria=CRITERIA)
    bad = {**form, "criteria-0-id": draft2.criteria.all()[0].pk, "criteria-1-id": draft2.criteria.all()[1].pk,
           "criteria-0-min_value": ""}  # fmt: skip
    page = client.post(reverse("icp_edit", args=[draft2.pk]), bad).content.decode()
    assert "a range needs a minimum, a maximum or both" in page


def test_json_export_and_import_over_http(client, org, world):
    client.force_login(org["leader"])
    data = json.loads(client.get(reverse("icp_export", args=[world["icp"].pk])).content)
    assert data["format"] == "salesplan.icp/1"
    assert len(data["criteria"]) == 2
    upload = SimpleUploadedFile("icp.json", json.dumps(data).encode(), content_type="application/json")
    response = client.post(reverse("icp_import"), {"plan": world["plan"].pk, "file": upload})
    imported = IdealCustomerProfile.objects.exclude(lineage=world["icp"].lineage).get()
    assert response.url == imported.get_absolute_url()
    assert imported.status == "draft"
    broken = SimpleUploadedFile("icp.json", b"{not json", content_type="application/json")
    response = client.post(reverse("icp_import"), {"plan": world["plan"].pk, "file": broken}, follow=True)
    assert "not valid JSON" in response.content.decode()


def test_account_page_panel_explains_the_score(client, org, world):
    client.force_login(org["rep_a1"])
    page = client.get(reverse("account_icp_panel", args=[world["mine"].pk])).content.decode()
    assert "Matches 1 of 2 criteria" in page
    assert "unknown · counts 2.5 / 5" in page  # the unanswered budget counts half its weight
    assert "Not sure yet:" in page
    assert "tiers A and B need 60%" in page
    assert "Budget?" in page  # what to find out: the question itself
    assert client.get(reverse("account_icp_panel", args=[world["other"].pk])).status_code == 404


def test_pages_render_for_every_role_with_and_without_a_profile(client, org, world):
    for role in ("leader", "manager_a", "rep_a1"):
        client.force_login(org[role])
        for name in ("icp_list", "matrix", "home"):
            assert client.get(reverse(name), follow=True).status_code == 200
        assert client.get(reverse("icp_detail", args=[world["icp"].pk])).status_code == 200
    IdealCustomerProfile.objects.all().delete()
    client.force_login(org["rep_a1"])
    assert "has not published an Ideal Customer Profile" in client.get(reverse("matrix")).content.decode()


def test_account_icp_panel_read_only_shows_answers_without_forms(client, org):
    from segmentation.services.icp import answer_set

    icp = icp_create(plan=PlanFactory(status="published"), user=org["leader"], name="ICP")
    icp_publish(icp)
    account = AccountFactory(owner=org["rep_a1"])
    question = icp.criteria.filter(kind="question").first()
    answer_set(account=account, key=question.key, answer="partly", user=org["rep_a1"])
    client.force_login(org["rep_a1"])
    url = reverse("account_icp_panel", args=[account.pk])
    assert 'name="answer"' in client.get(url).content.decode()
    page = client.get(url, {"readonly": "1"}).content.decode()
    assert 'name="answer"' not in page
    assert "Partly" in page


def test_matrix_tier_filter_reads_the_tier_in_force_and_lists_rated_accounts_first(client, org, world):
    icp = world["icp"]
    rated = AccountFactory(name="Rated Co", owner=org["rep_a1"], annual_revenue=10)
    AccountAnswer.objects.create(account=rated, key="budget", answer="no")
    # "mine": revenue matches, the budget unknown: 50 % known, Needs data at (5 + 2.5) / 10 = 75.0.
    # "Rated Co": revenue missed, budget "no": 10 of 10 known, 0 earned: 0.0, tier D, rated.
    icp_score_all(icp)
    rows = _matrix(client, org["rep_a1"], icp).context["rows"]
    assert [r["account"].name for r in rows] == ["Rated Co", world["mine"].name]  # rated D before needs-data 75.0
    assert _names(_matrix(client, org["rep_a1"], icp, tier="N")) == [world["mine"].name]
    from segmentation.services.icp import tier_review

    tier_review(account=world["mine"], plan=world["plan"], reviewer=org["manager_a"], computed_tier="N", tier="B",
                reason="Budget signed")  # fmt: skip
    assert _names(_matrix(client, org["rep_a1"], icp, tier="N")) == []
    assert _names(_matrix(client, org["rep_a1"], icp, tier="B")) == [world["mine"].name]
    page = _matrix(client, org["rep_a1"], icp, tier="B").content.decode()
    assert "overridden to B: Budget signed" in page  # the computed "Needs data" stays beside it


def _names(response) -> list[str]:
    return [r["account"].name for r in response.context["rows"]]


OFF_SITE = ["https://evil.example.com/", "//evil.example", "/\\evil.example", " //evil.example", "http:evil.example"]


@pytest.mark.parametrize("away", OFF_SITE)
def test_answering_goes_back_only_to_a_page_of_this_site(client, org, world, away):
    client.force_login(org["rep_a1"])
    url = reverse("icp_answer", args=[world["icp"].pk, world["mine"].pk])
    response = client.post(url, {"key": "budget", "answer": "no", "next": away})
    assert response["Location"] == reverse("account_detail", args=[world["mine"].pk])
    back = client.post(url, {"key": "budget", "answer": "yes", "next": "/segmentation/matrix/?tier=A"})
    assert back["Location"] == "/segmentation/matrix/?tier=A"


@pytest.mark.parametrize("away", OFF_SITE)
def test_reviewing_goes_back_only_to_a_page_of_this_site(client, org, world, away):
    client.force_login(org["manager_a"])
    url = reverse("icp_review", args=[world["icp"].pk, world["mine"].pk])
    response = client.post(url, {"tier": "D", "reason": "Shrinking", "next": away})
    assert response["Location"] == reverse("icp_matrix", args=[world["icp"].pk])
    back = client.post(url, {"tier": "D", "reason": "Shrinking", "next": "/segmentation/matrix/?tier=D"})
    assert back["Location"] == "/segmentation/matrix/?tier=D"


def test_over_https_the_way_back_stays_on_https(client, org, world):
    client.force_login(org["manager_a"])
    url = reverse("icp_review", args=[world["icp"].pk, world["mine"].pk])
    response = client.post(url, {"tier": "D", "reason": "x", "next": "http://testserver/home/"}, secure=True)
    assert response["Location"] == reverse("icp_matrix", args=[world["icp"].pk])

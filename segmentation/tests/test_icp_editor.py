"""The ICP editor's criteria over HTTP: saved as shown, no blank criterion, amounts read as people type them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from salesplan.tests.factories import PlanFactory
from segmentation.models import Criterion
from segmentation.services.icp import icp_create

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 50_000_000,
     "max_value": 5_000_000_000, "weight": 8},
    {"key": "founded", "name": "Founded", "kind": "range", "field": "founded_year", "min_value": 2002, "weight": 2},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget?", "weight": 5},
]  # fmt: skip


@pytest.fixture
def draft(org):
    return icp_create(plan=PlanFactory(status="published"), user=org["leader"], name="Draft", criteria=CRITERIA)


def _form_as_shown(page: str) -> dict[str, str]:
    """What a browser sends for the editor as it is shown: every input, textarea and selected option."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or (kind and kind.group(1) == "checkbox" and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = text.strip()
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = chosen.group(1) if chosen else ""
    return {k: v for k, v in data.items() if "__prefix__" not in k}  # the "Add a criterion" template sends nothing


def test_the_editor_shows_amounts_in_their_unit_and_no_blank_row(client, org, draft):
    client.force_login(org["leader"])
    page = client.get(reverse("icp_edit", args=[draft.pk])).content.decode()
    assert 'name="criteria-0-min_value" value="$50M"' in page
    assert 'name="criteria-0-max_value" value="$5B"' in page
    assert 'name="criteria-1-min_value" value="2002"' in page  # a year, not 2,002
    assert 'name="criteria-TOTAL_FORMS" value="3"' in page  # the three criteria, no blank fourth
    assert "criteria-3-name" not in page


def test_saving_the_editor_as_shown_keeps_the_criteria_and_adds_none(client, org, draft):
    client.force_login(org["leader"])
    url = reverse("icp_edit", args=[draft.pk])
    data = _form_as_shown(client.get(url).content.decode())

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(Criterion.objects.filter(icp=draft).values_list("key", "min_value", "max_value", "weight")) == [
        ("rev", 50_000_000, 5_000_000_000, 8),
        ("founded", 2002, None, 2),
        ("budget", None, None, 5),
    ]


def test_amounts_are_read_as_typed_and_a_bad_one_is_named_on_its_row(client, org, draft):
    client.force_login(org["leader"])
    url = reverse("icp_edit", args=[draft.pk])
    data = _form_as_shown(client.get(url).content.decode())

    client.post(url, data | {"criteria-0-min_value": "$1.5M", "criteria-0-max_value": "250,000,000"})
    assert Criterion.objects.filter(icp=draft, key="rev").values_list("min_value", "max_value").get() == (
        1_500_000,
        250_000_000,
    )

    page = client.post(url, data | {"criteria-0-min_value": "about a million"}).content.decode()
    assert "From: Enter a whole amount, such as 250000, $250,000 or 250K." in page
    assert 'value="about a million"' in page  # what was typed is kept
    assert Criterion.objects.get(icp=draft, key="rev").min_value == 1_500_000

"""Accounts: the one scoped query, the list's filters, sort and export, the account page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Account
from accounts.selectors import accounts_summary, accounts_visible_to
from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(org):
    return {
        "a1": AccountFactory(
            owner=org["rep_a1"],
            name="Alpha Foods Inc.",
            industry="Food Production",
            state="NY",
            annual_revenue=5_000_000,
            lifecycle="customer",
            wallet=100_000,
            current_sales=40_000,
        ),
        "a2": AccountFactory(owner=org["rep_a2"], name="Beta Software LLC", state="MA", annual_revenue=500_000_000),
        "b1": AccountFactory(
            owner=org["rep_b1"], name="Gamma Freight Co.", industry="Logistics", state="TX", annual_revenue=None
        ),
        "none": AccountFactory(owner=None, name="Orphan Corp.", state="CA"),
    }


def test_rep_sees_own_accounts_manager_the_team_leader_all(org, market):
    assert set(accounts_visible_to(org["rep_a1"])) == {market["a1"]}
    assert set(accounts_visible_to(org["manager_a"])) == {market["a1"], market["a2"]}
    assert set(accounts_visible_to(org["manager_b"])) == {market["b1"]}
    assert set(accounts_visible_to(org["leader"])) == set(Account.objects.all())


@pytest.mark.parametrize(
    ("viewer", "target", "expected"),
    [
        ("rep_a1", "a1", 200),
        ("rep_a1", "a2", 404),
        ("rep_a1", "b1", 404),
        ("manager_a", "a2", 200),
        ("manager_a", "b1", 404),
        ("manager_b", "none", 404),
        ("leader", "none", 200),
    ],
)
def test_account_page_is_404_outside_the_users_scope(client, org, market, viewer, target, expected):
    client.force_login(org[viewer])
    assert client.get(market[target].get_absolute_url()).status_code == expected


def test_summary_counts_what_is_missing(org, market):
    summary = accounts_summary(Account.objects.all())
    assert summary["total"] == 4
    assert summary["customers"] == 1
    assert summary["missing_revenue"] == 1
    assert summary["current_sales"] == 40_000


def _listed(response) -> list[str]:
    return [a.name for a in response.context["page"].object_list]


def test_list_filters_by_search_industry_state_lifecycle_revenue_and_owner(client, org, market):
    client.force_login(org["leader"])
    url = reverse("account_list")
    assert _listed(client.get(url, {"q": "beta"})) == ["Beta Software LLC"]
    assert _listed(client.get(url, {"q": "FREIGHT"})) == ["Gamma Freight Co."]  # case does not matter
    assert _listed(client.get(url, {"industry": "Logistics"})) == ["Gamma Freight Co."]
    assert _listed(client.get(url, {"state": "NY"})) == ["Alpha Foods Inc."]
    assert _listed(client.get(url, {"lifecycle": "customer"})) == ["Alpha Foods Inc."]
    assert _listed(client.get(url, {"revenue": "100m-1b"})) == ["Beta Software LLC"]
    assert _listed(client.get(url, {"revenue": "unknown"})) == ["Gamma Freight Co."]
    assert _listed(client.get(url, {"owner": org["rep_b1"].pk})) == ["Gamma Freight Co."]


def test_owner_filter_offers_only_visible_reps(client, org, market):
    client.force_login(org["manager_a"])
    response = client.get(reverse("account_list"), {"owner": org["rep_b1"].pk})
    owners = {u.username for u in response.context["filter"].form.fields["owner"].queryset}
    assert owners == {"rep_a1", "rep_a2"}
    assert (
        "You can&#x27;t see that person&#x27;s accounts; the “Owner” filter was not applied."
        in response.content.decode()
    )


def test_list_sorts_by_revenue_with_unknowns_last(client, org, market):
    client.force_login(org["leader"])
    desc = _listed(client.get(reverse("account_list"), {"sort": "-revenue"}))
    asc = _listed(client.get(reverse("account_list"), {"sort": "revenue"}))
    assert desc[0] == "Beta Software LLC"
    assert desc[-1] == "Gamma Freight Co."
    assert asc[-1] == "Gamma Freight Co."


def test_unknown_sort_falls_back_to_name(client, org, market):
    client.force_login(org["leader"])
    assert _listed(client.get(reverse("account_list"), {"sort": "password"}))[0] == "Alpha Foods Inc."


def test_list_paginates(client, org):
    AccountFactory.create_batch(60, owner=org["rep_a1"])
    client.force_login(org["rep_a1"])
    first = client.get(reverse("account_list"))
    assert len(first.context["page"].object_list) == 50
    assert "Showing 1–50 of 60" in first.content.decode()
    assert len(client.get(reverse("account_list"), {"page": 2}).context["page"].object_list) == 10


def test_list_page_query_count_does_not_grow_with_rows(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org["manager_a"])
    counts = []
    for batch in (5, 95):
        AccountFactory.create_batch(batch, owner=org["rep_a1"])
        client.get(reverse("account_list"))  # warms the per-process caches (choice lists, design id)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("account_list"))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 12


def test_export_is_scoped_filtered_and_formula_safe(client, org, market):
    AccountFactory(owner=org["rep_a1"], name='=HYPERLINK("http://x","click")', annual_revenue=-3)
    client.force_login(org["rep_a1"])
    response = client.get(reverse("account_list"), {"export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted(r["Name"] for r in rows) == ['\'=HYPERLINK("http://x","click")', "Alpha Foods Inc."]
    assert {r["Annual revenue (USD)"] for r in rows} == {"5000000", "-3"}  # numbers stay numbers


def test_empty_state_tells_a_leader_how_to_get_data(client, org):
    client.force_login(org["leader"])
    assert "Load the demo market" in client.get(reverse("account_list")).content.decode()


def test_account_page_shows_wallet_share(client, org, market):
    client.force_login(org["rep_a1"])
    page = client.get(market["a1"].get_absolute_url()).content.decode()
    assert "40%" in page
    assert "$100K" in page


def test_account_page_links_parent_and_subsidiaries_the_user_may_see(client, org):
    parent = AccountFactory(owner=org["rep_a1"], name="Parent Holdings")
    AccountFactory(owner=org["rep_a1"], name="Visible Sub", parent=parent)
    AccountFactory(owner=org["rep_b1"], name="Hidden Sub", parent=parent)
    client.force_login(org["rep_a1"])
    page = client.get(parent.get_absolute_url()).content.decode()
    assert "Visible Sub" in page
    assert "Hidden Sub" not in page

"""The review screen of possible duplicates and the changed-accounts list, as the leader meets them; and
the 404 everyone else gets."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Account, AccountImport, PossibleDuplicate
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(org, django_capture_on_commit_callbacks):
    def _do(data: str, name: str = "list.csv") -> AccountImport:
        account_import = account_import_create(
            file=ContentFile(data.encode(), name=name), name=name, user=org["leader"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            account_import_start(
                account_import=account_import, mapping=account_import.mapping, mode="all", user=org["leader"]
            )
        account_import.refresh_from_db()
        return account_import

    return _do


@pytest.fixture
def pairs(run):
    """Three possible duplicates in one import, one in another."""
    for name, city in (("Spire", "Bedford"), ("Atlas", "Salem"), ("Cedar", "Lowell"), ("Vertex", "Quincy")):
        AccountFactory(name=name, domain="", city=city, state="MA")
    first = run("Company,City,State\nSpire,Boston,MA\nAtlas,Boston,MA\nCedar,Boston,MA\n", "first.csv")
    second = run("Company,City,State\nVertex,Boston,MA\n", "second.csv")
    return first, second


def _names(response) -> list[str]:
    return [row["new_name"] for row in response.context["rows"]]


def test_the_review_screen_shows_each_pair_side_by_side(pairs, client, org):
    client.force_login(org["leader"])

    response = client.get(reverse("possible_duplicate_list"))

    html = response.content.decode()
    assert sorted(_names(response)) == ["Atlas", "Cedar", "Spire", "Vertex"]
    assert _names(response)[0] == "Vertex"  # the newest import first
    assert "4 to review" in html
    spire = next(r for r in response.context["rows"] if r["new_name"] == "Spire")
    city = next(f for f in spire["fields"] if f["label"] == "City")
    assert (city["new"], city["existing"], city["differs"]) == ("Boston", "Bedford", True)
    state = next(f for f in spire["fields"] if f["label"] == "State")
    assert (state["new"], state["existing"], state["differs"]) == ("MA", "MA", False)
    assert "same name, another city: Boston, not Bedford" in html
    assert "Same company: merge" in html


def test_the_review_screen_filters_sorts_and_pages(pairs, client, org):
    first, _second = pairs
    client.force_login(org["leader"])
    url = reverse("possible_duplicate_list")

    assert sorted(_names(client.get(url, {"account_import": first.pk}))) == ["Atlas", "Cedar", "Spire"]
    assert _names(client.get(url, {"sort": "name"})) == ["Atlas", "Cedar", "Spire", "Vertex"]
    assert _names(client.get(url, {"q": "ced"})) == ["Cedar"]
    page_one = client.get(url, {"sort": "name", "per_page": 25})
    assert page_one.context["page"].paginator.count == 4
    body = client.get(url, {"export": "csv", "sort": "name"}).getvalue().decode("utf-8-sig").splitlines()
    assert body[0].startswith("Import,Row,Company in the file")
    assert [line.split(",")[2] for line in body[1:]] == ["Atlas", "Cedar", "Spire", "Vertex"]


def test_answering_a_pair_takes_it_off_the_list(pairs, client, org):
    client.force_login(org["leader"])
    spire = PossibleDuplicate.objects.get(row_name="Spire")
    atlas = PossibleDuplicate.objects.get(row_name="Atlas")
    back = reverse("possible_duplicate_list") + "?sort=name"

    response = client.post(reverse("possible_duplicate_decide", args=[spire.pk]), {"decision": "same", "next": back})
    client.post(reverse("possible_duplicate_decide", args=[atlas.pk]), {"decision": "different", "next": back})

    assert response["Location"] == back
    assert _names(client.get(back)) == ["Cedar", "Vertex"]
    answered = client.get(reverse("possible_duplicate_list"), {"status": "all", "sort": "name"})
    assert _names(answered) == ["Atlas", "Cedar", "Spire", "Vertex"]
    assert Account.objects.filter(name="Spire").count() == 1  # merged into the Bedford account
    assert Account.objects.get(name="Spire").city == "Boston"
    assert Account.objects.filter(name="Atlas").count() == 2
    html = client.get(back, follow=True).content.decode()
    assert "Answered by" not in html  # the open list shows only open pairs


def test_a_foreign_next_address_is_not_followed(pairs, client, org):
    client.force_login(org["leader"])
    spire = PossibleDuplicate.objects.get(row_name="Spire")
    response = client.post(
        reverse("possible_duplicate_decide", args=[spire.pk]), {"decision": "different", "next": "https://evil.example"}
    )
    assert response["Location"] == reverse("possible_duplicate_list")


def test_an_empty_review_screen_says_what_would_appear_there(client, org):
    client.force_login(org["leader"])
    html = client.get(reverse("possible_duplicate_list")).content.decode()
    assert "Nothing to review" in html
    assert "brings it in as a new account and lists the pair here" in html


def test_the_report_and_the_imports_list_lead_to_the_review_screen(pairs, client, org):
    first, _second = pairs
    client.force_login(org["leader"])

    report = client.get(first.get_absolute_url()).content.decode()
    imports = client.get(reverse("account_import_list")).content.decode()

    assert f'href="/accounts/imports/duplicates/?account_import={first.pk}"' in report
    assert "3 possible duplicates to review" in report
    assert 'href="/accounts/imports/duplicates/"' in imports


@pytest.mark.parametrize("who", ["manager_a", "rep_a1"])
def test_everyone_but_the_leader_gets_404(pairs, client, org, who):
    first, _second = pairs
    pair = PossibleDuplicate.objects.first()
    client.force_login(org[who])

    assert client.get(reverse("possible_duplicate_list")).status_code == 404
    assert client.post(reverse("possible_duplicate_decide", args=[pair.pk]), {"decision": "same"}).status_code == 404
    assert client.get(reverse("account_import_changes", args=[first.pk])).status_code == 404
    pair.refresh_from_db()
    assert pair.status == "open"


def test_the_changed_accounts_list_filters_and_exports(run, client, org):
    AccountFactory(name="Alpha", domain="alpha.com", city="Austin", annual_revenue=1_000_000)
    AccountFactory(name="Beta", domain="beta.com", city="Austin", annual_revenue=2_000_000)
    account_import = run("Company,Website,City,Revenue\nAlpha,alpha.com,Dallas,$1M\nBeta,beta.com,Austin,$3M\n")
    client.force_login(org["leader"])
    url = reverse("account_import_changes", args=[account_import.pk])

    everything = client.get(url, {"sort": "name"})
    city_only = client.get(url, {"field": "city"})
    csv_lines = client.get(url, {"export": "csv", "sort": "name"}).getvalue().decode("utf-8-sig").splitlines()

    assert [r["name"] for r in everything.context["rows"]] == ["Alpha", "Beta"]
    assert [r["name"] for r in city_only.context["rows"]] == ["Alpha"]
    alpha, beta = Account.objects.get(name="Alpha").pk, Account.objects.get(name="Beta").pk
    assert csv_lines == [  # one line per account of the list, in its order
        "Account id,Account,Changes (before → after),Territory before,Territory after",
        f"{alpha},Alpha,Website: — → https://alpha.com; City: Austin → Dallas,,",
        f"{beta},Beta,Website: — → https://beta.com; Revenue: $2M → $3M,,",
    ]
    empty = client.get(url, {"q": "nobody"}).content.decode()
    assert "No changed account matches these filters" in empty


def test_the_review_screen_reads_a_page_in_the_same_queries_whatever_its_size(run, client, org, published_design):
    client.force_login(org["leader"])

    def pairs(n: int, tag: str) -> None:
        for i in range(n):
            AccountFactory(name=f"{tag} {i}", domain="", city="Bedford", state="NY", owner=org["rep_a1"])
        run("Company,City,State,Owner\n" + "".join(f"{tag} {i},Reno,NV,rep_a2\n" for i in range(n)), f"{tag}.csv")

    pairs(2, "Few")
    client.get(reverse("possible_duplicate_list"))  # what the first request caches (the published design)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("possible_duplicate_list"), {"q": "Few"}).context["rows"]) == 2
    pairs(12, "Many")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("possible_duplicate_list"), {"q": "Many"}).context["rows"]) == 12
    assert len(many) == len(few)


@pytest.fixture
def published_design(org):
    from salesplan.tests.factories import PlanFactory
    from segmentation.services.territories import (
        design_create,
        design_publish,
        rule_create,
        territories_apply,
        territory_create,
    )

    design = design_create(plan=PlanFactory(status="published"), user=org["leader"], name="D")
    region = territory_create(design=design, level="region", name="R")
    area = territory_create(design=design, level="area", name="A", parent=region)
    for state in ("NY", "NV"):
        territory = territory_create(design=design, level="territory", name=f"T {state}", parent=area)
        rule_create(design=design, territory=territory, states=[state])
    territories_apply(design)
    design_publish(design)
    return design

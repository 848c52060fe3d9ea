"""Every role's home, the navigation, the sign-in page and the error pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import resolve, reverse

from accounts.tests.factories import AccountFactory
from salesplan.models import User
from salesplan.services.demo import demo_seed
from salesplan.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

_HREF = re.compile(r'href="(/[^"#]*)"')


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        ("leader", ["Build the year", "New plan", "Reps", "People", "Teams"], []),
        ("manager_a", ["Team A", "My team", "People", "Team accounts"], ["New plan"]),
        ("rep_a1", ["My accounts", "Biggest prospects", "room to grow"], ["People", "New plan", "Teams"]),
    ],
)
def test_each_role_lands_on_its_own_home(client, org, role, expected, absent):
    client.force_login(org[role])
    page = client.get(reverse("home")).content.decode()
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


@pytest.mark.parametrize("role", ["leader", "manager_a", "rep_a1"])
def test_no_dead_links_from_any_page_a_role_can_reach(client, org, role):
    """Follow every same-site link from home, two levels deep: each must answer 200."""
    PlanFactory(status="published")
    AccountFactory(owner=org["rep_a1"])
    client.force_login(org[role])
    seen, frontier = set(), [reverse("home")]
    for _depth in range(2):
        next_frontier = []
        for url in frontier:
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, f"{url} answered {response.status_code} for {role}"
            if response.get("Content-Type", "").startswith("text/html"):
                links = _HREF.findall(response.content.decode())
                next_frontier += [u.replace("&amp;", "&") for u in links if not u.startswith(("/static/", "/admin/"))]
        frontier = next_frontier
    assert len(seen) > 5


def test_every_models_page_address_opens_a_page(client, db):
    """``get_absolute_url`` of every model reverses to a real URL pattern; on the demo's objects the leader
    gets the page, and an anchor in the address names an element of it."""
    demo_seed(companies=200, seed=3)
    client.force_login(User.objects.get(username="leader"))
    opened = set()
    for model in apps.get_models():
        if not hasattr(model, "get_absolute_url"):
            continue
        instance = model._base_manager.order_by("pk").first()
        if instance is None:  # none in the demo: an unsaved one with every key set must still reverse
            keys = {f.attname: 1 for f in model._meta.concrete_fields if f.is_relation}
            resolve(urlsplit(model(pk=1, **keys).get_absolute_url()).path)
            continue
        url = instance.get_absolute_url()
        response = client.get(url)
        assert response.status_code == 200, f"{model._meta.label}: {url} answered {response.status_code}"
        fragment = urlsplit(url).fragment
        assert not fragment or f'id="{fragment}"' in response.content.decode(), f"{url}: no element #{fragment}"
        opened.add(model._meta.label)
    assert {"salesplan.Territory", "segmentation.TamModel", "accounts.Account"} <= opened


def test_sign_in_lands_on_home_and_shows_demo_logins_in_debug(client, org, settings):
    from salesplan.services.demo import demo_seed_org

    settings.DEBUG = True
    demo_seed_org()
    page = client.get(reverse("login")).content.decode()
    assert "Demo logins" in page
    assert "manager1" in page
    response = client.post(reverse("login"), {"username": "rep1", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_demo_logins_are_never_shown_in_production(client, org, settings):
    from salesplan.services.demo import demo_seed_org

    settings.DEBUG = False
    demo_seed_org()
    assert "Demo logins" not in client.get(reverse("login")).content.decode()


def test_wrong_password_is_explained(client, org):
    response = client.post(reverse("login"), {"username": "leader", "password": "nope"})
    assert "Please enter a correct username and password" in response.content.decode()


def test_unknown_page_uses_the_friendly_404(client, org):
    client.force_login(org["rep_a1"])
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_healthz_answers_without_signing_in(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_user_text_is_escaped(client, org):
    AccountFactory(owner=org["rep_a1"], name="<script>alert(1)</script> Corp")
    client.force_login(org["rep_a1"])
    page = client.get(reverse("account_list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Corp" in page


def test_logout_needs_post_and_ends_the_session(client, org):
    client.force_login(org["rep_a1"])
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_server_error_page_is_friendly_and_standalone(client, org, settings, monkeypatch):
    from salesplan import views

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "plan_current", broken)
    client.raise_request_exception = False
    client.force_login(org["rep_a1"])
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize("role", ["leader", "manager_a", "rep_a1"])
def test_home_query_count_does_not_grow_with_accounts(client, org, role, django_assert_max_num_queries):
    PlanFactory(status="published")
    for rep in ("rep_a1", "rep_a2", "rep_b1"):
        AccountFactory.create_batch(20, owner=org[rep], lifecycle="customer", wallet=1_000_000, current_sales=10_000)
    client.force_login(org[role])
    # constant: one query or two per home panel, and one for the accounts' data version (cached lists follow it)
    with django_assert_max_num_queries(18):
        client.get(reverse("home"))

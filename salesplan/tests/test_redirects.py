"""Every ``next=`` stays on the site: signing in, and the one helper the apps' forms use."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from salesplan.redirects import next_url_or

OFF_SITE = ["https://evil.example/", "//evil.example", "/\\evil.example", " //evil.example", "http:evil.example"]


@pytest.mark.parametrize("away", OFF_SITE)
def test_next_off_the_site_falls_back(away):
    request = RequestFactory().post("/x/", {"next": away})
    assert next_url_or(request, "/home/") == "/home/"


def test_next_on_the_site_is_followed_and_https_stays_https():
    factory = RequestFactory()
    assert next_url_or(factory.post("/x/", {"next": "/accounts/?q=a"}), "/") == "/accounts/?q=a"
    assert next_url_or(factory.get("/x/", {"next": "http://testserver/plans/"}), "/") == "http://testserver/plans/"
    assert next_url_or(factory.post("/x/", {"next": "http://testserver/plans/"}, secure=True), "/") == "/"


@pytest.mark.parametrize("away", OFF_SITE)
def test_signing_in_never_sends_the_user_off_the_site(client, org, away):
    org["rep_a1"].set_password("right-password-1")
    org["rep_a1"].save()
    response = client.post(
        reverse("login") + "?next=/plans/", {"username": "rep_a1", "password": "right-password-1", "next": away}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_signing_in_goes_on_to_the_page_asked_for(client, org):
    org["rep_a1"].set_password("right-password-1")
    org["rep_a1"].save()
    response = client.post(reverse("login"), {"username": "rep_a1", "password": "right-password-1", "next": "/plans/"})
    assert response["Location"] == "/plans/"

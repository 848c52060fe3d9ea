"""Signing in: failed sign-ins are throttled per username and address and per address, the sign-in page says
why, a sales leader lifts a lock-out, failures are logged; password reset by e-mail when e-mail is set up."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from salesplan.services.logins import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-7"
LOCKED = "Too many failed sign-ins"


@pytest.fixture
def people(org):
    for user in org.values():
        if hasattr(user, "set_password"):
            user.set_password(PASSWORD)
            user.save()
    return org


def _sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def _fail(client, username: str, times: int, address: str = "10.0.0.1") -> list:
    return [_sign_in(client, username, f"wrong-{n}", address) for n in range(times)]


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_message(client, people, settings):
    answers = _fail(client, "rep_a1", 40)
    first_locked = next(n for n, r in enumerate(answers, start=1) if r.status_code == 429)
    assert first_locked == settings.AXES_FAILURE_LIMIT == 10
    assert all("Please enter a correct username and password" in r.content.decode() for r in answers[:9])
    response = _sign_in(client, "rep_a1", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "Try again in 15 minutes, or ask your sales leader to unlock your account" in page
    assert 'name="password"' in page  # the sign-in page itself, saying why, not a bare error page
    assert "_auth_user_id" not in client.session


def test_below_the_limit_the_right_password_signs_in(client, people):
    _fail(client, "rep_a1", 9)
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))


def test_signing_in_forgives_ones_own_failures_but_not_the_addresss(client, people):
    _fail(client, "rep_a1", 9)
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))
    client.logout()
    _fail(client, "rep_a1", 9)
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))  # 18 failures, never 10 in a row
    client.logout()
    for username in ["ghost1", "ghost2", "ghost3", "ghost4", "ghost5"]:
        _fail(client, username, 9)
        assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))  # the guesser's own account, between guesses
        client.logout()
    _fail(client, "ghost6", 5)  # 50 failures from the address: locked, whoever signs in
    assert _sign_in(client, "rep_a1", PASSWORD).status_code == 429


def test_a_lock_out_holds_for_that_username_from_that_address_only(client, people):
    _fail(client, "rep_a1", 10, address="10.0.0.1")
    assert _sign_in(client, "rep_a1", PASSWORD, address="10.0.0.1").status_code == 429
    assert _signed_in(_sign_in(client, "rep_a2", PASSWORD, address="10.0.0.1"))  # a colleague at the same desk
    client.logout()
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD, address="10.0.0.2"))  # the person, from elsewhere


def test_one_address_trying_every_username_is_stopped(client, people, settings):
    usernames = ["leader", "manager_a", "manager_b", "rep_a1", "rep_a2", "rep_b1", "ghost1", "ghost2", "ghost3", "x"]
    for username in usernames:
        _fail(client, username, 5)  # under the limit per username, 50 from the address
    assert AccessAttempt.objects.filter(ip_address="10.0.0.1").count() == 10
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 50
    refused = _sign_in(client, "rep_b1", PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "paused for everyone" in page
    assert "axes_reset_ip" in page  # the remedy that lifts it
    assert "unlock your account (People page)" not in page  # unlocking a person would not
    assert _signed_in(_sign_in(client, "rep_b1", PASSWORD, address="10.0.0.9"))


def test_a_lock_out_ends_by_itself_after_the_wait(client, people):
    _fail(client, "rep_a1", 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))


def test_the_leader_sees_the_lock_out_and_lifts_it(client, people):
    _fail(client, "rep_a1", 10)
    client.force_login(people["leader"])
    page = client.get(reverse("user_list")).content.decode()
    row = next(r for r in page.split("<tr") if "<code>rep_a1</code>" in r)
    assert "Locked out" in row
    assert f'action="{reverse("user_unlock", args=[people["rep_a1"].pk])}"' in row
    assert "Locked out" not in next(r for r in page.split("<tr") if "<code>rep_a2</code>" in r)

    response = client.post(reverse("user_unlock", args=[people["rep_a1"].pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("user_list")
    assert "can sign in again" in client.get(reverse("user_list")).content.decode()
    client.logout()
    assert _signed_in(_sign_in(client, "rep_a1", PASSWORD))


@pytest.mark.parametrize(("who", "status"), [("manager_a", 403), ("rep_a1", 404), ("manager_b", 404), (None, 302)])
def test_only_a_leader_can_unlock(client, people, who, status):
    _fail(client, "rep_a2", 10)
    if who:
        client.force_login(people[who])
    response = client.post(reverse("user_unlock", args=[people["rep_a2"].pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))  # a visitor is sent to sign in
    client.logout()
    assert _sign_in(client, "rep_a2", PASSWORD).status_code == 429  # still locked
    assert client.get(reverse("user_unlock", args=[people["rep_a2"].pk])).status_code in {302, 405}


def test_failures_and_lock_outs_are_logged_with_username_and_address_never_the_password(client, people, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        _fail(client, "rep_a1", 10, address="10.0.0.7")
    text = caplog.text
    assert re.search(r'login failure by \{username: "rep_a1", ip_address: "10\.0\.0\.7"', text)
    assert re.search(r'Locking out \{username: "rep_a1", ip_address: "10\.0\.0\.7"', text)
    assert "wrong-" not in text
    assert "wrong-" not in "".join(AccessAttempt.objects.values_list("post_data", flat=True))


def test_the_admin_sign_in_is_throttled_and_says_why(client, people):
    for n in range(10):
        client.post(reverse("admin:login"), {"username": "leader", "password": f"no-{n}"}, REMOTE_ADDR="10.0.0.3")
    response = client.post(reverse("admin:login"), {"username": "leader", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_address_behind_trusted_proxies_is_the_one_the_proxy_saw(settings):
    factory = RequestFactory()
    forwarded = factory.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.1.1.1")
    assert client_ip(forwarded) == "10.1.1.1"  # no proxy trusted: the header is the client's own words
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(forwarded) == "203.0.113.9"  # what the one proxy saw; "6.6.6.6" was forged by the client
    assert client_ip(factory.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.1.1.1")) == "10.1.1.1"


# --- Password reset by e-mail -----------------------------------------------------------------------


def test_without_e_mail_there_is_no_reset_and_the_page_says_who_helps(client, people, settings):
    settings.PASSWORD_RESET_BY_EMAIL = False
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") not in page
    assert "Your sales leader can set a new one" in page
    assert client.get(reverse("password_reset")).status_code == 404


def test_with_e_mail_a_reset_link_sets_a_new_password(client, people, settings, mailoutbox):
    settings.PASSWORD_RESET_BY_EMAIL = True
    people["rep_a1"].email = "rep.a1@example.com"
    people["rep_a1"].save()
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}">Forgot your password?' in page

    response = client.post(reverse("password_reset"), {"email": "rep.a1@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["rep.a1@example.com"]
    assert mail.subject == "Set a new salesplan password"
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a-brand-new-one-42", "new_password2": "a-brand-new-one-42"})
    assert done["Location"] == reverse("password_reset_complete")
    assert "Your new password is set" in client.get(done["Location"]).content.decode()
    assert _signed_in(_sign_in(client, "rep_a1", "a-brand-new-one-42"))
    client.logout()
    assert "no longer works" in client.get(link, follow=True).content.decode()  # the link works once


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, people, settings, mailoutbox):
    settings.PASSWORD_RESET_BY_EMAIL = True
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []

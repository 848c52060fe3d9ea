"""A filter on someone (or something) the user may not see says so on the page, instead of being dropped
silently; a filter on someone they may see is applied without a word."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

REFUSED = "You can&#x27;t see that person&#x27;s accounts; the “Owner” filter was not applied."


@pytest.fixture
def market(org):
    return {
        "a1": AccountFactory(owner=org["rep_a1"], name="Alpha Foods Inc.", state="NY"),
        "a2": AccountFactory(owner=org["rep_a2"], name="Beta Software LLC", state="MA"),
        "b1": AccountFactory(owner=org["rep_b1"], name="Gamma Freight Co.", state="TX"),
    }


def _list(client, user, **params):
    client.force_login(user)
    return client.get(reverse("account_list"), params).content.decode()


def test_a_manager_filtering_on_their_own_rep_gets_that_reps_accounts_and_no_warning(client, org, market):
    page = _list(client, org["manager_a"], owner=org["rep_a2"].pk)
    assert "Beta Software LLC" in page
    assert "Alpha Foods Inc." not in page
    assert "was not applied" not in page


def test_a_manager_filtering_on_another_teams_rep_is_told_the_filter_was_not_applied(client, org, market):
    page = _list(client, org["manager_a"], owner=org["rep_b1"].pk)
    assert REFUSED in page
    assert "Gamma Freight Co." not in page  # the other team's account stays out of sight
    assert "Alpha Foods Inc." in page  # the list is the manager's own, unfiltered
    assert "Beta Software LLC" in page
    assert str(org["rep_b1"]) not in page  # nor is the person named


def test_a_person_who_does_not_exist_reads_the_same_as_one_out_of_sight(client, org, market):
    assert REFUSED in _list(client, org["manager_a"], owner=999_999)
    assert REFUSED in _list(client, org["rep_a1"], owner=org["rep_a2"].pk)  # a rep: only their own


def test_a_choice_outside_the_users_choices_is_named_and_not_applied(client, org, market):
    page = _list(client, org["rep_a1"], state="TX")  # rep_a1 has no account in Texas
    assert "“TX” is not one of the choices you can see for “State”; that filter was not applied." in page
    assert "Alpha Foods Inc." in page
    page = _list(client, org["rep_a1"], state="NY")
    assert "was not applied" not in page
    assert "Alpha Foods Inc." in page


def test_a_value_that_cannot_be_read_is_named_too(client, org, market):
    page = _list(client, org["leader"], unassigned_in="seven")
    assert "filter was not applied: Enter a number." in page


def test_the_account_plans_list_says_so_too(client, org, market):
    client.force_login(org["manager_a"])
    page = client.get(reverse("account_plan_list"), {"owner": org["rep_b1"].pk}).content.decode()
    assert "You can&#x27;t see that person&#x27;s account plans; the “Owner” filter was not applied." in page
    page = client.get(reverse("account_plan_list"), {"owner": org["rep_a1"].pk}).content.decode()
    assert "was not applied" not in page
